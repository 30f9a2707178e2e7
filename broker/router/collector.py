"""The garbage collector of a long-running router process, settled once it has started.

CPython's defaults suit short scripts. In a router they cost about a fifth of its CPU and
pauses of up to 190 ms (the benchmark's router process routing a backlog of 12,000 events,
2.6 s in the collector; 0.4 s settled): a batch's events, rows and records live across
several young collections of 700 allocations each, are promoted to the old generation, and
each full collection that follows scans the whole heap, with every module, FHIR model and
compiled statement the process loaded at start. Frozen, those are never scanned again;
collected every 50,000 allocations, a batch's objects are mostly gone before they could be
promoted.

A young collection that comes due in the middle of a batch then takes 12-28 ms, and the
batch waits: the slowest batches at 200 events/s were these. A router waiting for records
collects its young objects itself once there are more than a few thousand: with no batch
in hand, what it collects is what outlives batches, and no batch waits for it.
"""

from __future__ import annotations

import gc
from typing import Final

__all__ = [
    "IDLE_COLLECTION_MARK",
    "YOUNG_GENERATION_THRESHOLD",
    "collect_while_waiting",
    "settle_collector",
]

YOUNG_GENERATION_THRESHOLD: Final = 50_000
"""Allocations between two collections of the young generation (CPython's default: 700)."""

IDLE_COLLECTION_MARK: Final = 5_000
"""Young objects above which a router waiting for records collects them (a few ms)."""


def settle_collector() -> None:
    """Freeze what the process holds now and collect young objects less often.

    Call it once, in a process of its own, when its start-up is over: what start-up left
    as garbage is collected first, so that none of it is kept for good.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)


def collect_while_waiting() -> bool:
    """Collect the young generation if it holds more than the mark; whether it did.

    The older generations too when they are due, as the automatic collection would: a
    collection asked for never collects them otherwise. Left to a router that keeps under
    the automatic threshold, the middle generation would grow until a collection came due
    inside a batch, and the old one would keep its garbage for good.
    """
    counts = gc.get_count()
    if not gc.isenabled() or counts[0] < IDLE_COLLECTION_MARK:
        return False
    thresholds = gc.get_threshold()
    due = [
        generation
        for generation, (count, threshold) in enumerate(zip(counts, thresholds, strict=True))
        if generation > 0 and count >= threshold
    ]
    gc.collect(max(due, default=0))
    return True
