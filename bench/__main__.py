"""Run every benchmark: ``python -m bench``; its last line is every figure as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from bench import codec, machine, router


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's command line: it takes no argument but --help."""
    return argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Run the codec and router benchmarks on the embedded broker (several minutes), "
            "printing each figure beside its target and baseline, then every figure as one "
            "line of JSON. Exits 1 when a target is missed."
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Print each benchmark's figures, then all of them as one line of JSON."""
    # Before anything runs: a mistyped argument would otherwise cost a whole run.
    build_parser().parse_args(argv)
    # The machine's speed may change during the run: measured at both ends of it.
    machine_figures = machine.run("start")
    codec_figures, codec_met = codec.run()
    router_figures, router_met = router.run()
    machine_figures |= machine.run("end")
    print(json.dumps(machine_figures | codec_figures | router_figures, sort_keys=True))
    return 0 if codec_met and router_met else 1


if __name__ == "__main__":
    sys.exit(main())
