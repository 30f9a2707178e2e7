"""How fast the contract encodes and decodes events, against the cost of JSON alone.

Baseline: ``json.dumps``/``json.loads`` of the same Bundles, the floor any FHIR-aware
codec stands on. Targets, from what a region needs: a wellbeing services county of
130,000 people produces of the order of 50,000 work-ability events on a busy day, and the
router validates each once; decoding (size check, headers, JSON, fhir.resources
validation, typed model) at 500 events/s or more on one core clears that day in under two
minutes. A peak under 1 MiB of Python allocations per decode keeps a batch of 500 events
well within a small container. Most of the decode time is fhir.resources validation.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Callable

from schemas import KafkaRecord
from schemas.examples import example_codec, journey_events

_DECODE_TARGET_PER_SECOND = 500
_PEAK_TARGET_BYTES = 1 << 20
_ROUNDS = 30


def _rate(operation: Callable[[], object], items: int) -> float:
    operation()  # warm caches and pydantic's lazily built validators
    started = time.perf_counter()
    for _ in range(_ROUNDS):
        operation()
    return items * _ROUNDS / (time.perf_counter() - started)


def run() -> tuple[dict[str, int], bool]:
    """Print the figures; return them and whether every target was met."""
    codec = example_codec()
    events = [event for _, event in journey_events()]
    records = [codec.encode(event) for event in events]
    bundles = [json.loads(record.value) for record in records]

    def encode() -> list[KafkaRecord]:
        return [codec.encode(event) for event in events]

    def decode() -> list[object]:
        return [codec.decode(record) for record in records]

    def json_only() -> list[object]:
        return [json.loads(json.dumps(bundle)) for bundle in bundles]

    encode_rate = _rate(encode, len(events))
    decode_rate = _rate(decode, len(records))
    baseline_rate = _rate(json_only, len(bundles))

    tracemalloc.start()
    peak = 0
    for record in records:
        tracemalloc.reset_peak()
        codec.decode(record)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()

    mean_size = sum(len(record.value) for record in records) / len(records)
    print(f"events: {len(events)} of the example journey, mean value {mean_size:,.0f} bytes")
    print(f"baseline json dumps+loads : {baseline_rate:>10,.0f} events/s")
    print(f"encode (build + validate) : {encode_rate:>10,.0f} events/s")
    print(
        f"decode (check + validate) : {decode_rate:>10,.0f} events/s  "
        f"(target >= {_DECODE_TARGET_PER_SECOND:,}; "
        f"{baseline_rate / decode_rate:.0f}x the baseline)"
    )
    print(
        f"decode peak allocations   : {peak / 1024:>10,.0f} KiB      "
        f"(target < {_PEAK_TARGET_BYTES // 1024:,} KiB)"
    )
    missed = decode_rate < _DECODE_TARGET_PER_SECOND or peak >= _PEAK_TARGET_BYTES
    print("result: " + ("TARGET MISSED" if missed else "targets met"))
    figures = {
        "codec_json_baseline_events_per_s": round(baseline_rate),
        "codec_encode_events_per_s": round(encode_rate),
        "codec_decode_events_per_s": round(decode_rate),
        "codec_decode_peak_kib": round(peak / 1024),
    }
    return figures, not missed
