"""FHIR validation in worker processes decides exactly as validation inside decoding does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from broker.router.validation import FhirValidationPool
from schemas import ContractError, KafkaRecord
from schemas.fhir import FhirVerdict
from tests.router.events import referral
from tests.router.harness import CODEC

_ENOUGH = 20  # more than a batch the pool leaves to decoding


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[FhirValidationPool]:
    started = FhirValidationPool(1)
    await started.start()
    yield started
    started.stop()


def _not_fhir(record: KafkaRecord) -> KafkaRecord:
    bundle = json.loads(record.value)
    bundle["timestamp"] = "not a time"
    return KafkaRecord(record.key, record.headers, json.dumps(bundle).encode())


async def _verdicts(pool: FhirValidationPool, records: list[KafkaRecord]) -> list[FhirVerdict]:
    found = [verdict async for verdict in pool.verdicts([r.value for r in records])]
    assert all(verdict is not None for verdict in found)
    return [verdict for verdict in found if verdict is not None]


async def test_a_valid_event_decodes_the_same_with_a_verdict_from_a_worker(
    pool: FhirValidationPool,
) -> None:
    record = CODEC.encode(referral("R-V1"))

    verdict, *_ = await _verdicts(pool, [record] * _ENOUGH)

    assert verdict.problem is None
    assert CODEC.decode(record, verdict) == CODEC.decode(record)


async def test_an_invalid_bundle_is_refused_with_the_reason_decoding_itself_gives(
    pool: FhirValidationPool,
) -> None:
    record = _not_fhir(CODEC.encode(referral("R-V2")))

    verdict, *_ = await _verdicts(pool, [record] * _ENOUGH)

    with pytest.raises(ContractError) as inline:
        CODEC.decode(record)
    with pytest.raises(ContractError) as pooled:
        CODEC.decode(record, verdict)
    assert verdict.problem is not None
    assert str(pooled.value) == str(inline.value)


async def test_verdicts_come_back_in_the_order_of_the_values(pool: FhirValidationPool) -> None:
    valid = CODEC.encode(referral("R-V3"))
    records = [valid if n % 3 else _not_fhir(valid) for n in range(120)]

    verdicts = await _verdicts(pool, records)

    assert [v.problem is None for v in verdicts] == [bool(n % 3) for n in range(120)]


async def test_a_few_records_are_left_to_decoding_even_with_workers(
    pool: FhirValidationPool,
) -> None:
    values = [CODEC.encode(referral("R-V4")).value] * 3

    assert [v async for v in pool.verdicts(values)] == [None, None, None]


async def test_without_workers_decoding_is_left_to_validate() -> None:
    idle = FhirValidationPool(0)
    await idle.start()

    assert [v async for v in idle.verdicts([b"{}", b"{}"])] == [None, None]
