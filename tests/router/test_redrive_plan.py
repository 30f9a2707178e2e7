"""What `saattaja topics redrive` sends back of the dead letters asked for, and what it does not."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

import pytest
from aiokafka.errors import MessageSizeTooLargeError, TopicAuthorizationFailedError
from aiokafka.structs import ConsumerRecord

from broker.cli import main
from broker.cli.topics_command import format_redrive
from broker.dead_letters import (
    DeadLetter,
    DeadLetterFilter,
    issued_by_router,
    lasting_cause,
    plan_redrive,
    reserved_header,
    reused_consent_id,
    reused_event_id,
    send_back,
)
from broker.errors import ConfigurationError
from broker.router.dead_letter import dead_letter_record, send_rejections
from broker.router.incoming import IncomingRecord
from broker.topics import DLQ_TOPIC
from schemas import KafkaRecord
from tests.router.events import referral
from tests.router.harness import CODEC

OUTBOX: Final = "saattaja.sote.outbox"
AT: Final = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CONTRACT_REASON: Final = "missing header ce_specversion"


def _record(referral_id: str) -> KafkaRecord:
    return CODEC.encode(referral(referral_id))


def _dead_letter(
    record: KafkaRecord,
    reason: str = CONTRACT_REASON,
    *,
    offset: int = 0,
    at: datetime = AT,
) -> DeadLetter:
    """The dead letter the router writes of ``record`` for ``reason``, as it is read back."""
    incoming = IncomingRecord(OUTBOX, 0, offset, record)
    written = dead_letter_record(incoming, reason, at)
    return DeadLetter.from_message(_consumed(written, offset), {OUTBOX: "sote"})


def _consumed(record: KafkaRecord, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=DLQ_TOPIC,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=record.key,
        value=record.value,
        checksum=None,
        serialized_key_size=len(record.key),
        serialized_value_size=len(record.value),
        headers=list(record.headers),
    )


class RefusingLargeValues:
    """Kafka for send_rejections: a dead letter with a value is too large for saattaja.dlq."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, KafkaRecord]] = []

    async def send_all(self, deliveries: Sequence[tuple[str, KafkaRecord]]) -> None:
        if any(record.value for _, record in deliveries):
            raise MessageSizeTooLargeError("too large")
        self.taken.extend(deliveries)


async def _left_out(record: KafkaRecord) -> DeadLetter:
    """The dead letter of ``record`` as the router writes it when Kafka refuses its size."""
    kafka = RefusingLargeValues()
    incoming = IncomingRecord(OUTBOX, 0, 7, record)
    await send_rejections(kafka, [(DLQ_TOPIC, dead_letter_record(incoming, CONTRACT_REASON, AT))])
    [(_, written)] = kafka.taken
    return DeadLetter.from_message(_consumed(written, 7), {OUTBOX: "sote"})


def test_a_record_rejected_for_breaking_the_contract_is_sent_back_to_its_outbox_as_it_arrived() -> (
    None
):
    record = _record("R-P1")

    plan = plan_redrive([_dead_letter(record)])

    assert plan.deliveries == [(OUTBOX, record)]
    assert plan.held == ()


async def test_a_dead_letter_whose_value_was_left_out_is_not_sent_back() -> None:
    letter = await _left_out(_record("R-P2"))

    plan = plan_redrive([letter])

    assert plan.deliveries == []
    [held] = plan.held
    assert held.letter == letter
    assert held.why.startswith("its value was left out of saattaja.dlq (")
    assert "ask sote to send the event again" in held.why


async def test_a_dead_letter_says_its_value_was_left_out_where_the_router_left_it_out() -> None:
    letter = await _left_out(_record("R-P3"))

    assert letter.record.value == b""
    assert letter.value_left_out is not None
    assert letter.value_left_out.endswith("too large for saattaja.dlq with the router's headers")
    assert letter.to_json()["value_left_out"] == letter.value_left_out


def test_a_dead_letter_with_its_value_says_nothing_was_left_out() -> None:
    letter = _dead_letter(_record("R-P4"))

    assert (letter.value_left_out, letter.to_json()["value_left_out"]) == (None, None)


@pytest.mark.parametrize(
    "reason",
    [
        reused_event_id(
            "0b3d9a0e-0000-4000-8000-000000000000", "fi.saattaja.referral.requested.v1"
        ),
        reused_consent_id("C-1", "Kela (1.2.246.10.1)"),
        issued_by_router("fi.saattaja.referral.overdue.v1"),
        reserved_header("saattaja_dlq_reason"),
    ],
    ids=["reused event id", "reused consent id", "issued by the router", "the router's header"],
)
def test_a_record_rejected_for_what_no_fix_changes_is_not_sent_back(reason: str) -> None:
    letter = _dead_letter(_record("R-P5"), reason)

    plan = plan_redrive([letter])

    assert plan.deliveries == []
    [held] = plan.held
    assert held.why == lasting_cause(reason)


@pytest.mark.parametrize(
    "reason",
    [
        CONTRACT_REASON,
        "ce_type fi.saattaja.referral.requested.v2 is not an event type of the catalogue",
        "ce_source names 1.2.246.10.2, but the event came from the outbox of sote "
        "(1.2.246.10.1): an organisation publishes only as itself",
        "the event is on partition 1 of saattaja.sote.outbox, but records keyed by its "
        "client's pseudonym belong on partition 0",
    ],
    ids=["contract", "unknown type", "registry OID", "partition"],
)
def test_a_record_rejected_for_what_an_operator_may_fix_is_sent_back(reason: str) -> None:
    assert lasting_cause(reason) is None


def test_a_dead_letter_of_no_outbox_of_the_registry_is_not_sent_back() -> None:
    written = dead_letter_record(
        IncomingRecord("saattaja.gone.outbox", 0, 3, _record("R-P6")), CONTRACT_REASON, AT
    )
    letter = DeadLetter.from_message(_consumed(written, 3), {OUTBOX: "sote"})

    [held] = plan_redrive([letter]).held

    assert held.why.startswith("it came from saattaja.gone.outbox, the outbox of no organisation")


def test_a_record_rejected_twice_goes_once_judged_by_its_latest_rejection() -> None:
    record = _record("R-P7")
    first = _dead_letter(record, offset=1)
    again = _dead_letter(record, reused_event_id("x", "t"), offset=9, at=AT + timedelta(hours=1))
    other = _dead_letter(_record("R-P8"), offset=2)

    plan = plan_redrive([first, other, again])

    assert plan.deliveries == [(OUTBOX, other.record)]
    assert [held.letter for held in plan.held] == [again]
    assert plan.repeated == 1


def test_records_go_back_in_the_order_they_were_rejected() -> None:
    letters = [_dead_letter(_record(f"R-O{n}"), offset=n) for n in range(3)]

    assert [record for _, record in plan_redrive(letters).deliveries] == [
        letter.record for letter in letters
    ]


def test_the_dry_run_lists_what_would_be_sent_and_what_would_not_and_sends_nothing() -> None:
    sendable = _dead_letter(_record("R-D1"))
    lasting = _dead_letter(_record("R-D2"), issued_by_router("fi.saattaja.referral.overdue.v1"))

    printed = format_redrive(plan_redrive([sendable, lasting]), sent=False, sent_at=AT)

    lines = printed.splitlines()
    assert lines[0] == "Would send back 1 record(s) to their outboxes:"
    assert str(dict(sendable.record.headers)["ce_id"].decode()) in lines[2]
    assert "Not sent back, 1 record(s):" in lines
    assert "only the router issues events of its type" in printed
    assert lines[-1] == "Nothing was sent: run again with --yes to send them."


def test_what_was_sent_is_listed_with_where_to_look_for_it_rejected_again() -> None:
    printed = format_redrive(plan_redrive([_dead_letter(_record("R-D3"))]), sent=True, sent_at=AT)

    assert printed.splitlines()[0] == "Sent back 1 record(s) to their outboxes:"
    assert printed.endswith("`saattaja topics dlq --since 2026-12-01T09:00:00Z`.")


class RefusingWrites:
    """Kafka refusing this principal the write on an outbox."""

    async def send_all(self, deliveries: Sequence[tuple[str, KafkaRecord]]) -> None:
        raise TopicAuthorizationFailedError(OUTBOX)


async def test_a_principal_that_may_not_write_the_outbox_is_told_which_may() -> None:
    plan = plan_redrive([_dead_letter(_record("R-A1"))])

    with pytest.raises(ConfigurationError, match="--redrive-principal") as refused:
        await send_back(RefusingWrites(), plan)

    assert f"does not let this principal write {OUTBOX}" in str(refused.value)


def test_the_filter_by_event_ids_matches_only_those() -> None:
    letter = _dead_letter(_record("R-F1"))
    event_id = dict(letter.record.headers)["ce_id"].decode()

    assert DeadLetterFilter(event_ids=frozenset({event_id})).matches(letter)
    assert not DeadLetterFilter(event_ids=frozenset({"another"})).matches(letter)


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--since", "yesterday"], "'yesterday' is not an ISO 8601 date or time"),
        (["--since", "2026-12-14", "--until", "2026-12-13"], "is not before --until"),
        (["--yes", "now"], "unrecognized arguments: now"),
    ],
)
def test_a_bad_argument_prints_the_usage(
    arguments: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["topics", "redrive", *arguments])

    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja topics redrive" in error
    assert said in error
