"""Decoding in worker processes gives exactly what decoding in the router process gives."""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Final

import pytest
from structlog.testing import capture_logs

from broker.errors import DecodingWorkerError, UndecodableRecordError
from broker.router import decoding
from broker.router.decoder import decode_record
from broker.router.decoding import Decoded, DecodingPool
from broker.router.decoding_worker import FRAME_HEADER, frame, serve
from schemas import ContractError, Event, EventCodec, KafkaRecord
from tests.bundles import with_value_at
from tests.router.events import referral
from tests.router.harness import CODEC

_ENOUGH: Final = 20  # more than one chunk for each worker


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[DecodingPool]:
    started = DecodingPool(1, CODEC)
    await started.start()
    yield started
    await started.stop()


def _not_fhir(record: KafkaRecord) -> KafkaRecord:
    return with_value_at(record, ("timestamp",), "not a time")


async def _decoded(pool: DecodingPool, records: list[KafkaRecord]) -> list[Decoded]:
    return [outcome async for outcome in pool.decoded(records)]


async def test_a_valid_event_decodes_in_a_worker_as_in_the_router(pool: DecodingPool) -> None:
    record = CODEC.encode(referral("R-V1"))

    outcome, *_ = await _decoded(pool, [record] * _ENOUGH)

    assert outcome == CODEC.decode(record)


async def test_an_invalid_bundle_is_refused_with_the_reason_the_router_would_give(
    pool: DecodingPool,
) -> None:
    record = _not_fhir(CODEC.encode(referral("R-V2")))

    outcome, *_ = await _decoded(pool, [record] * _ENOUGH)

    with pytest.raises(ContractError) as inline:
        CODEC.decode(record)
    assert isinstance(outcome, ContractError)
    assert str(outcome) == str(inline.value)


@dataclasses.dataclass(frozen=True, slots=True)
class _CodecWithABug(EventCodec):
    """Fails as no contract check would on a record keyed ``bug``."""

    def decode(self, record: KafkaRecord) -> Event:
        if record.key == b"bug":
            raise LookupError("a bug in decoding")
        if record.key == b"quoting bug":
            raise LookupError("no client 020516C903K")
        return super(_CodecWithABug, self).decode(record)


_BUGGY = _CodecWithABug(CODEC.pseudonymiser)


@pytest.mark.parametrize("workers", [0, 1])
async def test_a_record_decoding_fails_on_unexpectedly_is_refused_naming_the_failure(
    workers: int,
) -> None:
    buggy = DecodingPool(workers, _BUGGY)
    await buggy.start()
    valid = CODEC.encode(referral("R-BUG"))
    try:
        outcomes = await _decoded(buggy, [dataclasses.replace(valid, key=b"bug"), valid])
    finally:
        await buggy.stop()

    refused, decoded = outcomes
    assert isinstance(refused, UndecodableRecordError)
    assert "could not decode this record (LookupError)" in str(refused)
    assert decoded == CODEC.decode(valid)


async def test_a_failure_that_quotes_the_record_is_refused_without_its_text() -> None:
    # The reason goes to the sender and the dead-letter topic; the router's log has the text.
    buggy = DecodingPool(0, _BUGGY)
    await buggy.start()
    valid = CODEC.encode(referral("R-BUG"))
    try:
        [refused] = await _decoded(buggy, [dataclasses.replace(valid, key=b"quoting bug")])
    finally:
        await buggy.stop()

    assert isinstance(refused, UndecodableRecordError)
    assert "020516C903K" not in str(refused)


def test_an_undecodable_record_is_logged_without_an_id_that_may_be_personal_data() -> None:
    valid = CODEC.encode(referral("R-BUG-ID"))
    headers = tuple(
        (name, b"020516C903K" if name == "ce_id" else value) for name, value in valid.headers
    )
    with capture_logs() as logs:
        decode_record(_BUGGY, dataclasses.replace(valid, key=b"bug", headers=headers))

    [logged] = [entry for entry in logs if entry["event"] == "record_undecodable"]
    assert "020516C903K" not in str(logged["event_id"])
    assert logged["type"] == "fi.saattaja.referral.requested.v1"


async def test_outcomes_come_back_in_the_order_of_the_records(pool: DecodingPool) -> None:
    valid = CODEC.encode(referral("R-V3"))
    records = [valid if n % 3 else _not_fhir(valid) for n in range(120)]

    outcomes = await _decoded(pool, records)

    assert [not isinstance(o, ContractError) for o in outcomes] == [bool(n % 3) for n in range(120)]


async def test_even_one_record_is_decoded_by_a_worker_not_by_the_router_process(
    pool: DecodingPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workers import their own decoding; only the router process's is replaced.
    def decoded_here(_codec: object, _record: KafkaRecord) -> Decoded:
        raise AssertionError("decoded in the router process")

    monkeypatch.setattr(decoding, "decode_record", decoded_here)
    record = CODEC.encode(referral("R-V4"))

    assert await _decoded(pool, [record]) == [CODEC.decode(record)]


async def test_the_workers_run_below_the_router_process_priority() -> None:
    workers = DecodingPool(2, CODEC)
    await workers.start()
    router = os.getpriority(os.PRIO_PROCESS, 0)

    try:
        assert len(workers.worker_pids) == 2
        assert all(os.getpriority(os.PRIO_PROCESS, pid) > router for pid in workers.worker_pids)
    finally:
        await workers.stop()


_IMPORTS_AFTER_START = """
import asyncio, sys
from broker.router.decoding import DecodingPool
from schemas.examples import example_codec, example_events
codec = example_codec()
asyncio.run(DecodingPool(0, codec).start())
loaded = set(sys.modules)
for _, event in example_events():
    codec.decode(codec.encode(event))
print(sorted(set(sys.modules) - loaded))
"""


def test_once_started_decoding_any_event_type_imports_nothing_more() -> None:
    # In a fresh interpreter: this one has imported every FHIR model long ago.
    finished = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", _IMPORTS_AFTER_START], capture_output=True, text=True, check=True
    )

    assert finished.stdout.strip() == "[]"


async def test_without_workers_the_router_process_decodes_every_batch() -> None:
    idle = DecodingPool(0, CODEC)
    await idle.start()
    record = CODEC.encode(referral("R-V5"))

    assert await _decoded(idle, [record] * _ENOUGH) == [CODEC.decode(record)] * _ENOUGH


async def test_a_batch_read_ahead_decodes_as_one_decoded_at_once(pool: DecodingPool) -> None:
    valid = CODEC.encode(referral("R-V6"))
    batch = [valid, _not_fhir(valid), valid]
    pool.read_ahead(batch)

    outcomes = await _decoded(pool, batch)

    assert outcomes[0] == outcomes[2] == CODEC.decode(valid)
    assert isinstance(outcomes[1], ContractError)


async def test_a_read_ahead_waits_for_its_own_batch_while_another_is_decoded(
    pool: DecodingPool,
) -> None:
    first = [CODEC.encode(referral("R-V7"))]
    second = [CODEC.encode(referral("R-V8")), CODEC.encode(referral("R-V9"))]
    pool.read_ahead(second)

    in_hand = await _decoded(pool, first)
    ahead = await _decoded(pool, second)

    assert in_hand == [CODEC.decode(first[0])]
    assert ahead == [CODEC.decode(record) for record in second]


async def test_a_read_ahead_nobody_asks_for_gives_way_to_the_next() -> None:
    single = DecodingPool(1, CODEC)
    await single.start()
    try:
        dropped = [CODEC.encode(referral("R-V10"))]
        wanted = [CODEC.encode(referral("R-V11"))]
        single.read_ahead(dropped)
        single.read_ahead(wanted)

        assert await _decoded(single, wanted) == [CODEC.decode(wanted[0])]
        assert await _decoded(single, dropped) == [CODEC.decode(dropped[0])]
    finally:
        await single.stop()


async def test_records_that_came_after_a_read_ahead_decode_after_it_in_one_batch(
    pool: DecodingPool,
) -> None:
    ahead = [CODEC.encode(referral(f"R-A{n}")) for n in range(3)]
    few = [CODEC.encode(referral("R-B1"))]
    many = [CODEC.encode(referral(f"R-C{n}")) for n in range(_ENOUGH)]
    for came_after in (few, many):
        pool.read_ahead(ahead)

        outcomes = await _decoded(pool, [*ahead, *came_after])

        assert outcomes == [CODEC.decode(record) for record in [*ahead, *came_after]]


async def test_records_a_worker_held_when_it_exited_fail_naming_the_worker() -> None:
    single = DecodingPool(1, CODEC)
    await single.start()
    [pid] = single.worker_pids
    try:
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(DecodingWorkerError, match=f"decoding worker {pid} exited with code -9"):
            await _decoded(single, [CODEC.encode(referral("R-K1"))])
    finally:
        await single.stop()


async def test_a_worker_that_exited_is_replaced_before_the_next_batch_is_decoded() -> None:
    single = DecodingPool(1, CODEC)
    await single.start()
    [exited] = single.worker_pids
    record = CODEC.encode(referral("R-K2"))
    try:
        os.kill(exited, signal.SIGKILL)
        with pytest.raises(DecodingWorkerError):
            await _decoded(single, [record])

        assert await _decoded(single, [record]) == [CODEC.decode(record)]
        assert len(single.worker_pids) == 1
        assert single.worker_pids != (exited,)
    finally:
        await single.stop()


async def test_stopped_workers_have_exited() -> None:
    workers = DecodingPool(2, CODEC)
    await workers.start()
    pids = workers.worker_pids

    await workers.stop()

    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # exited and reaped: no process of that id is left
    assert workers.worker_pids == ()


def test_a_worker_answers_each_batch_in_one_frame_and_ends_with_its_input() -> None:
    valid = CODEC.encode(referral("R-F1"))
    frames_in = io.BytesIO(frame([valid, _not_fhir(valid)]) + frame([valid]))
    frames_out = io.BytesIO()

    serve(CODEC, frames_in, frames_out)

    frames_out.seek(0)
    answers = []
    while header := frames_out.read(FRAME_HEADER.size):
        (size,) = FRAME_HEADER.unpack(header)
        answers.append(pickle.loads(frames_out.read(size)))  # noqa: S301 - written just now
    assert [len(answer) for answer in answers] == [2, 1]
    assert answers[0][0] == answers[1][0] == CODEC.decode(valid)
    assert isinstance(answers[0][1], ContractError)


def test_a_worker_whose_input_ends_in_the_middle_of_a_frame_ends_quietly() -> None:
    valid = CODEC.encode(referral("R-F2"))
    frames_out = io.BytesIO()

    serve(CODEC, io.BytesIO(frame([valid])[:-3]), frames_out)

    assert frames_out.getvalue() == b""


def test_a_worker_started_as_the_pool_starts_it_writes_nothing_to_standard_error() -> None:
    # Its module used to run a second time as __main__, and runpy warned of it on every
    # start of every worker.
    finished = subprocess.run(
        [sys.executable, "-m", "broker.router.decoding_worker"],
        input=b"",
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert (finished.returncode, finished.stderr.decode()) == (0, "")
