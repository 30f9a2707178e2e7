"""Run every benchmark: ``python -m bench``; its last line is every figure as JSON."""

from __future__ import annotations

import json
import sys

from bench import codec, machine, router


def main() -> int:
    """Print each benchmark's figures, then all of them as one line of JSON."""
    # The machine's speed may change during the run: measured at both ends of it.
    machine_figures = machine.run("start")
    codec_figures, codec_met = codec.run()
    router_figures, router_met = router.run()
    machine_figures |= machine.run("end")
    print(json.dumps(machine_figures | codec_figures | router_figures, sort_keys=True))
    return 0 if codec_met and router_met else 1


if __name__ == "__main__":
    sys.exit(main())
