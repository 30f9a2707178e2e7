"""How fast this machine runs plain Python now, so that figures of different days compare.

The development machines' speed varies from day to day and within an hour by a factor of
four or more; the benchmark's figures mean little without it.
"""

from __future__ import annotations

import time
from typing import Final

__all__ = ["loop_ms", "run"]

_ADDITIONS: Final = 3_000_000
_RUNS: Final = 3


def loop_ms() -> float:
    """Milliseconds a plain Python loop of three million additions takes, best of three."""
    timings = []
    for _ in range(_RUNS):
        started = time.perf_counter()
        total = 0
        for n in range(_ADDITIONS):
            total += n
        timings.append(time.perf_counter() - started)
    return min(timings) * 1000


def run(when: str) -> dict[str, float]:
    """Print the machine's speed now (``when``: start or end); return it as a figure."""
    took = loop_ms()
    print(
        f"machine speed at the {when}: a plain Python loop of {_ADDITIONS:,} additions takes "
        f"{took:,.0f} ms (best of three): figures of runs whose loops differ do not compare"
    )
    return {f"machine_loop_ms_at_{when}": round(took, 1)}
