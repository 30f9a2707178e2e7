"""A router process settles its garbage collector once started; so does each decoding worker.

Each test runs in a fresh interpreter: settling is for the whole process, and the test
process must keep collecting as it always does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from broker.router import YOUNG_GENERATION_THRESHOLD

_SETTLED = """
import gc, json, weakref
from broker.router import settle_collector

class Node:
    pass

garbage = Node()
garbage.itself = garbage  # a cycle only the collector frees
left_over = weakref.ref(garbage)
del garbage
settle_collector()
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "threshold": gc.get_threshold(),
    "left_over_kept": left_over() is not None,
}))
"""

_WORKER_STARTED = """
import gc, json
from broker.router.decoding_worker import prepare
from schemas.examples import example_codec
prepare(example_codec())
print(json.dumps({"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()}))
"""


def _run(script: str) -> dict[str, Any]:
    finished = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


def test_settling_freezes_what_the_process_holds_and_collects_young_objects_less_often() -> None:
    settled = _run(_SETTLED)

    assert settled["frozen"] > 1_000
    assert settled["threshold"][0] == YOUNG_GENERATION_THRESHOLD


def test_settling_collects_the_garbage_left_by_start_up_instead_of_keeping_it() -> None:
    assert _run(_SETTLED)["left_over_kept"] is False


def test_a_decoding_worker_settles_its_collector_once_its_models_are_warm() -> None:
    started = _run(_WORKER_STARTED)

    # The FHIR models warmed at start are most of a worker's heap.
    assert started["frozen"] > 10_000
    assert started["threshold"][0] == YOUNG_GENERATION_THRESHOLD


_WAITING = """
import gc, json
from broker.router import IDLE_COLLECTION_MARK, collect_while_waiting, settle_collector

settle_collector()
few = [[] for _ in range(IDLE_COLLECTION_MARK // 2)]
collected_few = collect_while_waiting()
many = [[] for _ in range(IDLE_COLLECTION_MARK)]
collected_many = collect_while_waiting()
print(json.dumps({
    "collected_few": collected_few,
    "collected_many": collected_many,
    "young_after": gc.get_count()[0],
}))
"""


def test_a_router_waiting_for_records_collects_young_objects_past_the_mark() -> None:
    result = _run(_WAITING)
    assert result["collected_many"]
    assert result["young_after"] < 100


def test_a_router_waiting_for_records_leaves_fewer_young_objects_than_the_mark() -> None:
    assert not _run(_WAITING)["collected_few"]


_WAITING_LONG = """
import gc, json
from broker.router import IDLE_COLLECTION_MARK, collect_while_waiting, settle_collector

settle_collector()
_, middle_threshold, old_threshold = gc.get_threshold()
kept = []
for _ in range((middle_threshold + 1) * (old_threshold + 1)):
    kept.append([[] for _ in range(IDLE_COLLECTION_MARK)])
    collect_while_waiting()
    kept.pop()
_, middle, old = gc.get_count()
print(json.dumps({
    "middle": middle, "middle_threshold": middle_threshold,
    "old": old, "old_threshold": old_threshold,
}))
"""


def test_a_router_waiting_for_records_collects_the_middle_generation_when_due() -> None:
    result = _run(_WAITING_LONG)
    assert result["middle"] < result["middle_threshold"]


def test_a_router_waiting_for_records_collects_the_old_generation_when_due() -> None:
    result = _run(_WAITING_LONG)
    assert result["old"] < result["old_threshold"]
