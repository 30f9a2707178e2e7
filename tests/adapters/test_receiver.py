"""The receiver: each event once to the organisation's system; failures parked, never fatal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest
from pydantic import BaseModel
from structlog.testing import capture_logs

from adapters.sdk import (
    AdapterStore,
    ReceivedEvents,
    ReceivedOutcome,
    Receiver,
    RejectEvent,
    RetryPolicy,
)
from broker.embedded import EmbeddedBroker, free_port
from broker.kafka import KafkaConnection
from broker.registry import Organisation
from broker.topics import inbox_topic, outbox_topic
from schemas import Event, KafkaRecord, RejectionNotice
from tests.adapters.events import CODEC, SOTE_OID, client_code, referral
from tests.adapters.kafka import create_organisation_topics, deliver_to_inbox, fresh_organisation
from tests.broker.conditions import eventually

pytestmark = pytest.mark.kafka

_WITHIN: Final = 60.0


class SystemDouble:
    """The organisation's system: takes events, or fails on the ones it is told to."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.taken: list[Event] = []
        self.attempts: dict[str, int] = {}
        self.notices: list[RejectionNotice] = []
        self._failing = failing or set()

    async def handle(self, event: Event) -> None:
        event_id = str(event.event_id)
        self.attempts[event_id] = self.attempts.get(event_id, 0) + 1
        if event_id in self._failing:
            raise ConnectionRefusedError("client records system did not answer")
        self.taken.append(event)

    def recover(self) -> None:
        """From now on, take every event."""
        self._failing.clear()

    async def on_rejection(self, notice: RejectionNotice) -> None:
        self.notices.append(notice)

    def taken_ids(self) -> list[str]:
        return [str(event.event_id) for event in self.taken]


@asynccontextmanager
async def receiving(
    kafka_bootstrap: str,
    state_file: Path,
    handler: Callable[[Event], Awaitable[None]],
    *,
    system: SystemDouble | None = None,
) -> AsyncIterator[tuple[Receiver, ReceivedEvents, KafkaConnection, Organisation]]:
    """A receiver of a fresh organisation's inbox, with a state file of its own."""
    connection = KafkaConnection(kafka_bootstrap)
    organisation = fresh_organisation()
    await create_organisation_topics(connection, organisation)
    store = await AdapterStore.open(state_file)
    received = ReceivedEvents(store)
    receiver = Receiver(
        received,
        connection,
        inbox_topic(organisation.id),
        group_id=f"adapter-test-{organisation.id}",
        codec=CODEC,
        handler=handler,
        on_rejection=system.on_rejection if system is not None else None,
        retry=RetryPolicy(3, 0.01, 0.05),
        session_timeout_ms=2_000,
    )
    receiver.start()
    try:
        yield receiver, received, connection, organisation
    finally:
        await receiver.stop()
        await store.close()


async def test_each_event_reaches_the_system_as_a_typed_event_in_order(
    kafka_bootstrap: str, state_file: Path
) -> None:
    system = SystemDouble()
    events = [referral(client_code(10), n) for n in range(3)]
    async with receiving(kafka_bootstrap, state_file, system.handle) as (_, _, connection, org):
        await deliver_to_inbox(connection, org, *(CODEC.encode(e) for e in events))
        await eventually(lambda: len(system.taken) == 3, within=_WITHIN, what="3 events taken")
    assert system.taken == events


async def test_an_event_delivered_twice_is_handed_over_once(
    kafka_bootstrap: str, state_file: Path
) -> None:
    system = SystemDouble()
    event, after = referral(client_code(11)), referral(client_code(11), 1)
    async with receiving(kafka_bootstrap, state_file, system.handle) as (receiver, _, conn, org):
        record = CODEC.encode(event)
        await deliver_to_inbox(conn, org, record, record, CODEC.encode(after))
        await eventually(lambda: len(system.taken) == 2, within=_WITHIN, what="2 events taken")
        assert system.taken_ids() == [str(event.event_id), str(after.event_id)]
        assert receiver.status.duplicates == 1


async def test_a_failing_handler_is_retried_then_the_event_parked_and_the_next_handled(
    kafka_bootstrap: str, state_file: Path
) -> None:
    failing, later = referral(client_code(12)), referral(client_code(12), 1)
    system = SystemDouble(failing={str(failing.event_id)})
    async with receiving(kafka_bootstrap, state_file, system.handle) as (_, received, conn, org):
        await deliver_to_inbox(conn, org, CODEC.encode(failing), CODEC.encode(later))
        await eventually(lambda: len(system.taken) == 1, within=_WITHIN, what="the later event")
        [parked] = await received.parked()
    assert system.taken == [later]
    assert system.attempts[str(failing.event_id)] == 3
    assert parked.event_id == str(failing.event_id)
    assert parked.record == CODEC.encode(failing)
    assert parked.topic == inbox_topic(org.id)
    assert "handler failed 3 time(s)" in parked.reason
    assert "ConnectionRefusedError: client records system did not answer" in parked.reason


class _ClientRecord(BaseModel):
    """The organisation's system's own model, whose ValidationError quotes what it was given."""

    number: int


async def test_a_handler_failing_validation_parks_the_event_without_quoting_its_contents(
    kafka_bootstrap: str, state_file: Path
) -> None:
    async def validate(event: Event) -> None:
        _ClientRecord.model_validate({"number": getattr(event, "client", None)})

    event = referral(client_code(14))
    with capture_logs() as logs:
        async with receiving(kafka_bootstrap, state_file, validate) as (
            receiver,
            received,
            conn,
            org,
        ):
            await deliver_to_inbox(conn, org, CODEC.encode(event))
            await eventually(lambda: receiver.status.parked == 1, within=_WITHIN, what="parked")
            [parked] = await received.parked()
    assert "last: ValidationError: number: Input should be a valid integer" in parked.reason
    assert client_code(14) not in parked.reason
    assert client_code(14) not in str(logs)


async def test_a_handler_that_rejects_an_event_parks_it_without_retrying(
    kafka_bootstrap: str, state_file: Path
) -> None:
    attempts: list[Event] = []

    async def refuse(event: Event) -> None:
        attempts.append(event)
        raise RejectEvent("the referral names a service this organisation does not offer")

    event = referral(client_code(13))
    async with receiving(kafka_bootstrap, state_file, refuse) as (receiver, received, conn, org):
        await deliver_to_inbox(conn, org, CODEC.encode(event))
        await eventually(lambda: receiver.status.parked == 1, within=_WITHIN, what="parked")
        [parked] = await received.parked()
    assert len(attempts) == 1
    assert parked.reason == (
        "rejected by the handler: the referral names a service this organisation does not offer"
    )


async def test_a_record_that_is_not_a_valid_event_is_parked_and_receiving_goes_on(
    kafka_bootstrap: str, state_file: Path
) -> None:
    system = SystemDouble()
    valid = referral(client_code(14))
    garbage = KafkaRecord(key=b"x", headers=(("ce_id", b"not-a-uuid"),), value=b"{nope")
    async with receiving(kafka_bootstrap, state_file, system.handle) as (
        receiver,
        received,
        conn,
        org,
    ):
        await deliver_to_inbox(conn, org, garbage, CODEC.encode(valid))
        await eventually(lambda: len(system.taken) == 1, within=_WITHIN, what="the valid event")
        # Different keys, different partitions: the garbage may be read after the valid event.
        await eventually(lambda: receiver.status.parked == 1, within=_WITHIN, what="parked")
        [parked] = await received.parked()
    assert system.taken == [valid]
    assert parked.event_id == "not-a-uuid"
    assert parked.record == garbage
    assert parked.reason.startswith("not a valid event: ")


async def test_a_rejection_notice_goes_to_the_rejection_handler_not_the_parking(
    kafka_bootstrap: str, state_file: Path
) -> None:
    system = SystemDouble()
    async with receiving(kafka_bootstrap, state_file, system.handle, system=system) as (
        receiver,
        received,
        conn,
        org,
    ):
        notice = RejectionNotice(
            rejected_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
            recipient=SOTE_OID,
            rejected_event_id="5d0c1c8e-2f59-4c11-9d43-6d5b1f0d8a11",
            reason="ce_source names another organisation than the outbox",
            source_topic=outbox_topic(org.id),
            source_partition=0,
            source_offset=7,
        )
        await deliver_to_inbox(conn, org, notice.encode(b"some-pseudonym"))
        await eventually(lambda: len(system.notices) == 1, within=_WITHIN, what="the notice")
        assert await received.parked_count() == 0
    assert system.notices == [notice]
    assert system.taken == []
    assert receiver.status.rejections == 1


async def test_a_parked_event_asked_for_again_reaches_the_system_once_it_takes_it(
    kafka_bootstrap: str, state_file: Path
) -> None:
    event = referral(client_code(14))
    system = SystemDouble(failing={str(event.event_id)})
    async with receiving(kafka_bootstrap, state_file, system.handle) as (
        receiver,
        received,
        conn,
        org,
    ):
        await deliver_to_inbox(conn, org, CODEC.encode(event))
        await eventually(lambda: receiver.status.parked == 1, within=_WITHIN, what="parked")
        system.recover()

        await received.request_retry(await received.parked())

        await eventually(lambda: system.taken == [event], within=_WITHIN, what="taken on retry")
        await eventually(lambda: receiver.status.retried == 1, within=_WITHIN, what="unparked")
        assert await received.parked() == []
        assert await received.outcome(str(event.event_id)) == ReceivedOutcome.HANDLED


async def test_a_parked_event_refused_again_stays_parked_with_the_new_reason(
    kafka_bootstrap: str, state_file: Path
) -> None:
    reasons = iter(["no room in the queue", "the service has closed"])

    async def refuse(_event: Event) -> None:
        raise RejectEvent(next(reasons))

    event = referral(client_code(15))
    async with receiving(kafka_bootstrap, state_file, refuse) as (receiver, received, conn, org):
        await deliver_to_inbox(conn, org, CODEC.encode(event))
        await eventually(lambda: receiver.status.parked == 1, within=_WITHIN, what="parked")

        await received.request_retry(await received.parked())

        async def refused_again() -> bool:
            [parked] = await received.parked()
            return parked.reason.endswith("the service has closed")

        await eventually(refused_again, within=_WITHIN, what="the new reason")
        [parked] = await received.parked()
        assert not parked.retry_requested
        assert parked.event_id == str(event.event_id)
        assert receiver.status.retried == 0


async def test_a_parked_event_asked_for_again_reaches_the_system_while_kafka_is_away(
    state_file: Path,
) -> None:
    event = referral(client_code(16))
    system = SystemDouble()
    store = await AdapterStore.open(state_file)
    received = ReceivedEvents(store)
    await received.park(
        event_id=str(event.event_id),
        topic="saattaja.kela.inbox",
        partition=0,
        offset=3,
        record=CODEC.encode(event),
        reason="handler failed 3 time(s): system down",
    )
    await received.request_retry(await received.parked())
    nobody = KafkaConnection(f"127.0.0.1:{free_port('127.0.0.1')}")
    receiver = Receiver(
        received,
        nobody,
        "saattaja.kela.inbox",
        group_id="adapter-test-kafka-away",
        codec=CODEC,
        handler=system.handle,
        retry=RetryPolicy(3, 0.01, 0.05),
        session_timeout_ms=2_000,
    )
    receiver.start()
    try:
        await eventually(
            lambda: receiver.status.last_error is not None, within=_WITHIN, what="Kafka away"
        )
        await eventually(lambda: system.taken == [event], within=_WITHIN, what="taken on retry")
        assert await received.parked() == []
        assert receiver.status.last_error is not None  # Kafka is still away
    finally:
        await receiver.stop()
        await store.close()


async def test_a_receiver_with_nothing_to_receive_says_when_kafka_goes_and_when_it_is_back(
    own_broker: EmbeddedBroker, state_file: Path
) -> None:
    system = SystemDouble()
    before, after = referral(client_code(17)), referral(client_code(17), 1)
    async with receiving(own_broker.bootstrap, state_file, system.handle) as (
        receiver,
        _,
        connection,
        organisation,
    ):
        await deliver_to_inbox(connection, organisation, CODEC.encode(before))
        await eventually(lambda: system.taken == [before], within=_WITHIN, what="receiving")

        await own_broker.stop()
        await eventually(
            lambda: receiver.status.last_error is not None, within=_WITHIN, what="Kafka gone"
        )
        assert f"no Kafka broker answers at {own_broker.bootstrap}" in str(
            receiver.status.last_error
        )

        await own_broker.start()
        await create_organisation_topics(connection, organisation)
        await eventually(
            lambda: receiver.status.last_error is None, within=_WITHIN, what="Kafka back"
        )
        await deliver_to_inbox(connection, organisation, CODEC.encode(after))
        await eventually(lambda: system.taken == [before, after], within=_WITHIN, what="received")


async def test_an_unreadable_rejection_notice_is_parked_without_quoting_what_it_holds(
    kafka_bootstrap: str, state_file: Path
) -> None:
    system = SystemDouble()
    async with receiving(kafka_bootstrap, state_file, system.handle, system=system) as (
        receiver,
        received,
        conn,
        org,
    ):
        notice = RejectionNotice(
            rejected_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
            recipient=SOTE_OID,
            reason="ce_source names another organisation than the outbox",
            source_topic=outbox_topic(org.id),
            source_partition=0,
            source_offset=7,
        )
        record = notice.encode(b"some-pseudonym")
        # A partition no int() reads: its ValueError would quote it.
        broken = KafkaRecord(
            key=record.key,
            headers=record.headers,
            value=record.value.replace(b"/0@7", b"/020516C903K@7", 1),
        )
        assert broken.value != record.value
        await deliver_to_inbox(conn, org, broken)
        await eventually(lambda: receiver.status.parked == 1, within=_WITHIN, what="parked")
        [parked] = await received.parked()
    assert parked.reason.startswith("unreadable rejection notice (ValueError)")
    assert "020516C903K" not in parked.reason
