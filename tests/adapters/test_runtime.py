"""An adapter with the SDK around it: its records reach the outbox, the inbox reaches it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import pytest
from aiokafka.consumer.subscription_state import SubscriptionState
from pydantic import SecretStr
from structlog.testing import capture_logs

from adapters.sdk import (
    AdapterConfigurationError,
    AdapterContext,
    AdapterFailedError,
    AdapterRuntime,
    AdapterSettings,
    AdapterStore,
    InvalidEventError,
)
from adapters.sdk.receiver import Receiver
from broker.embedded import EmbeddedBroker, free_port
from broker.kafka import KafkaConnection, open_admin
from broker.registry import Organisation
from broker.settings import SaattajaSettings
from broker.topics import inbox_topic, missing_topics, outbox_topic
from tests.adapters.events import CODEC, KELA_OID, SECRET, client_code, referral
from tests.adapters.kafka import (
    create_organisation_topics,
    deliver_to_inbox,
    fresh_organisation,
)
from tests.adapters.memory_adapter import MemoryAdapter, MemorySettings
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic
from tests.broker.scraping import health, sample, scrape

pytestmark = pytest.mark.kafka

_WITHIN: Final = 60.0


@asynccontextmanager
async def running(
    kafka_bootstrap: str, state_file: Path, **settings: Any
) -> AsyncIterator[tuple[AdapterRuntime, MemoryAdapter, KafkaConnection, Organisation]]:
    runtime, adapter, connection, organisation = await _runtime(
        kafka_bootstrap, state_file, **settings
    )
    async with runtime:
        yield runtime, adapter, connection, organisation


async def _runtime(
    kafka_bootstrap: str,
    state_file: Path,
    *,
    with_topics: bool = True,
    adapter_class: type[MemoryAdapter] = MemoryAdapter,
    **settings: Any,
) -> tuple[AdapterRuntime, MemoryAdapter, KafkaConnection, Organisation]:
    """A runtime around a memory adapter, for a fresh organisation; not started."""
    connection = KafkaConnection(kafka_bootstrap)
    organisation = fresh_organisation()
    if with_topics:
        await create_organisation_topics(connection, organisation)
    adapter = adapter_class(MemorySettings(source_name="queue"))
    runtime = AdapterRuntime(
        adapter,
        settings=AdapterSettings(
            organisation=organisation.id,
            state_file=state_file,
            relay_first_delay_seconds=0.1,
            relay_max_delay_seconds=0.5,
            session_timeout_ms=2_000,
            **settings,
        ),
        saattaja=SaattajaSettings(
            kafka_bootstrap=kafka_bootstrap, pseudonym_secret=SecretStr(SECRET.decode())
        ),
        organisation=organisation,
        connection=connection,
    )
    return runtime, adapter, connection, organisation


async def test_the_adapters_records_reach_its_outbox_and_its_inbox_reaches_it(
    kafka_bootstrap: str, state_file: Path
) -> None:
    outgoing, incoming = referral(client_code(20)), referral(client_code(21))
    async with running(kafka_bootstrap, state_file) as (runtime, adapter, connection, org):
        await adapter.source.put(outgoing)
        await deliver_to_inbox(connection, org, CODEC.encode(incoming))

        async def published() -> bool:
            return len(await read_topic(connection, outbox_topic(org.id))) == 1

        await eventually(published, within=_WITHIN, what="the record in the outbox topic")
        await eventually(lambda: adapter.delivered == [incoming], within=_WITHIN, what="handled")

        async def drained() -> bool:
            return (await runtime.health()).outbox_unsent == 0

        await eventually(drained, within=_WITHIN, what="the local outbox drained")
        health = await runtime.health()
    assert (health.outbox_unsent, health.outbox_oldest_age_seconds, health.parked) == (0, 0.0, 0)
    assert health.healthy


async def test_stopping_closes_the_adapter_once_after_its_last_delivery(
    kafka_bootstrap: str, state_file: Path
) -> None:
    async with running(kafka_bootstrap, state_file) as (_, adapter, connection, org):
        await deliver_to_inbox(connection, org, CODEC.encode(referral(client_code(23))))
        await eventually(lambda: len(adapter.delivered) == 1, within=_WITHIN, what="handled")
        assert adapter.closed == 0
    assert (adapter.closed, adapter.handled_after_close) == (1, 0)


async def test_the_adapter_is_closed_even_when_its_receiver_fails_to_stop(
    kafka_bootstrap: str, state_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = Receiver.stop

    async def fails(receiver: Receiver) -> None:
        await stop(receiver)  # stopped, but reporting a failure as it did
        raise RuntimeError("the receiver could not stop")

    with pytest.raises(RuntimeError, match="could not stop"):
        async with running(kafka_bootstrap, state_file) as (_, adapter, _, _):
            monkeypatch.setattr(Receiver, "stop", fails)
    assert adapter.closed == 1


async def test_a_start_that_fails_half_way_leaves_nothing_open(
    kafka_bootstrap: str, state_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[AdapterStore] = []
    close = AdapterStore.close

    async def recorded(store: AdapterStore) -> None:
        closed.append(store)
        await close(store)

    def fails(_receiver: Receiver) -> None:
        raise RuntimeError("the receiver could not start")

    monkeypatch.setattr(AdapterStore, "close", recorded)
    monkeypatch.setattr(Receiver, "start", fails)

    runtime, adapter, _, _ = await _runtime(kafka_bootstrap, state_file)

    with pytest.raises(RuntimeError, match="could not start"):
        await runtime.start()

    assert len(closed) == 1
    assert adapter.closed == 1


async def test_an_adapter_whose_loop_fails_stops_the_runtime_with_the_reason(
    kafka_bootstrap: str, state_file: Path
) -> None:
    async with running(kafka_bootstrap, state_file) as (runtime, adapter, _, _):
        await adapter.source.put(referral(client_code(22), sender=KELA_OID))
        with pytest.raises(InvalidEventError, match=re.escape(f"names {KELA_OID} as its sender")):
            await runtime.wait(asyncio.Event())


class _BuggyLoop(MemoryAdapter):
    ran = False

    async def run(self, context: AdapterContext) -> None:
        self.ran = True  # and fails in the same step: once seen, the loop has failed
        record: dict[str, str] = {}
        record["fields"]  # a record of the system without the field the adapter expects


async def test_an_adapter_whose_loop_raises_a_bug_logs_its_traceback_for_the_developer(
    kafka_bootstrap: str, state_file: Path
) -> None:
    runtime, _, _, _ = await _runtime(kafka_bootstrap, state_file, adapter_class=_BuggyLoop)
    async with runtime:
        with capture_logs() as logs, pytest.raises(AdapterFailedError) as raised:
            await asyncio.wait_for(runtime.wait(asyncio.Event()), _WITHIN)

    assert "KeyError: 'fields' (its traceback is logged as adapter_failed)" in str(raised.value)
    [failed] = [log for log in logs if log["event"] == "adapter_failed"]
    assert isinstance(failed["exc_info"], KeyError)


async def test_a_loop_that_failed_before_the_stop_is_raised_by_wait_all_the_same(
    kafka_bootstrap: str, state_file: Path
) -> None:
    runtime, adapter, _, _ = await _runtime(kafka_bootstrap, state_file, adapter_class=_BuggyLoop)
    assert isinstance(adapter, _BuggyLoop)
    stop = asyncio.Event()
    async with runtime:
        await eventually(lambda: adapter.ran, within=_WITHIN, what="the adapter's loop ran")
        stop.set()
        with pytest.raises(AdapterFailedError, match="KeyError: 'fields'"):
            await runtime.wait(stop)


async def test_metrics_show_what_was_sent_and_received_and_the_outbox(
    kafka_bootstrap: str, state_file: Path
) -> None:
    outgoing, incoming = referral(client_code(30)), referral(client_code(31))
    async with running(kafka_bootstrap, state_file, metrics_port=0) as (
        runtime,
        adapter,
        connection,
        org,
    ):
        await adapter.source.put(outgoing)
        await deliver_to_inbox(connection, org, CODEC.encode(incoming))
        await deliver_to_inbox(connection, org, CODEC.encode(incoming))  # dropped by its id
        await eventually(lambda: adapter.delivered == [incoming], within=_WITHIN, what="handled")

        async def counted() -> bool:
            samples = await scrape(runtime.metrics_port)
            return sample(samples, "saattaja_adapter_received_total", **of(org, "duplicate")) == 1

        await eventually(counted, within=_WITHIN, what="the duplicate counted")
        samples = await scrape(runtime.metrics_port)
        status, body = await health(runtime.metrics_port)

    assert sample(samples, "saattaja_adapter_sent_total", organisation=org.id) == 1
    assert sample(samples, "saattaja_adapter_received_total", **of(org, "handled")) == 1
    assert sample(samples, "saattaja_adapter_outbox_unsent", organisation=org.id) == 0
    assert ("saattaja_adapter_parked", frozenset({("organisation", org.id)})) in samples
    assert sample(samples, "saattaja_adapter_kafka_waiting", **of(org, "sending", "direction")) == 0
    assert (status, body["status"], body["parked"]) == (200, "running", 0)


async def test_no_metrics_are_served_unless_a_port_is_set(
    kafka_bootstrap: str, state_file: Path
) -> None:
    async with running(kafka_bootstrap, state_file) as (runtime, *_):
        assert runtime.metrics_port is None


async def test_a_metrics_port_in_use_fails_the_start_before_joining_and_leaves_nothing_open(
    kafka_bootstrap: str, state_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(kafka_bootstrap, state_file, metrics_port=0) as (first, *_unused):
        runtime, adapter, *_ = await _runtime(
            kafka_bootstrap, tmp_path / "second.db", metrics_port=first.metrics_port
        )
        joined: list[Receiver] = []
        monkeypatch.setattr(Receiver, "start", joined.append)
        with pytest.raises(AdapterConfigurationError, match="SAATTAJA_ADAPTER_METRICS_PORT"):
            await runtime.start()
    assert joined == []
    assert adapter.closed == 1


async def test_health_stays_up_while_kafka_is_away_and_says_what_waits(
    state_file: Path,
) -> None:
    nobody = f"127.0.0.1:{free_port('127.0.0.1')}"  # no broker listens here
    runtime, adapter, _, organisation = await _runtime(
        nobody, state_file, with_topics=False, metrics_port=0
    )
    async with runtime:
        await adapter.source.put(referral(client_code(32)))

        async def waiting_to_send() -> bool:
            # The receiver finds Kafka away first; the record waits once the relay tries it.
            body = (await health(runtime.metrics_port))[1]
            return body["status"] == "waiting" and "sending" in body

        await eventually(
            waiting_to_send, within=_WITHIN, what="the adapter says its record waits for Kafka"
        )
        status, body = await health(runtime.metrics_port)
        samples = await scrape(runtime.metrics_port)

    assert status == 200  # it still takes its system's events
    assert "sending" in body
    assert sample(samples, "saattaja_adapter_outbox_unsent", organisation=organisation.id) == 1
    assert (
        sample(
            samples, "saattaja_adapter_kafka_waiting", **of(organisation, "sending", "direction")
        )
        == 1
    )


async def test_an_adapter_started_while_kafka_is_away_stops_when_kafka_answers_without_its_topics(
    state_file: Path,
) -> None:
    broker = EmbeddedBroker("127.0.0.1", free_port("127.0.0.1"))  # not started yet
    runtime, adapter, connection, organisation = await _runtime(
        broker.bootstrap,
        state_file,
        with_topics=False,
        handler_first_delay_seconds=0.1,
        handler_max_delay_seconds=0.5,
    )
    topics = (outbox_topic(organisation.id), inbox_topic(organisation.id))

    async def run_until_it_stops() -> None:
        async with runtime:
            await adapter.source.put(referral(client_code(34)))

            async def both_wait() -> bool:
                health = await runtime.health()
                return health.relay_error is not None and health.receiver_error is not None

            await eventually(both_wait, within=_WITHIN, what="sending and receiving wait")
            await broker.start()  # an empty broker: no topics
            await asyncio.wait_for(runtime.wait(asyncio.Event()), _WITHIN)

    try:
        with pytest.raises(AdapterConfigurationError, match="do not exist") as stopped:
            await run_until_it_stops()
        async with open_admin(connection) as admin:
            assert await missing_topics(admin, topics) == topics  # Kafka made none of them
    finally:
        await broker.stop()
    assert "saattaja topics create" in str(stopped.value)


async def test_health_and_metrics_say_receiving_waits_while_kafka_is_gone_and_all_is_quiet(
    own_broker: EmbeddedBroker, state_file: Path
) -> None:
    async with running(own_broker.bootstrap, state_file, metrics_port=0) as (runtime, *_, org):
        await own_broker.stop()

        async def waiting_to_receive() -> bool:
            body = (await health(runtime.metrics_port))[1]
            return body["status"] == "waiting" and "receiving" in body

        await eventually(waiting_to_receive, within=_WITHIN, what="receiving waits for Kafka")
        status, body = await health(runtime.metrics_port)
        samples = await scrape(runtime.metrics_port)

    assert status == 200  # it still takes its system's events
    assert f"no Kafka broker answers at {own_broker.bootstrap}" in str(body["receiving"])
    receiving = of(org, "receiving", "direction")
    assert sample(samples, "saattaja_adapter_kafka_waiting", **receiving) == 1


async def test_health_says_receiving_waits_when_kafka_goes_while_the_receiver_joins_its_group(
    own_broker: EmbeddedBroker, state_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # aiokafka's consumer start() waits for its group's assignment without end.
    wait_for_assignment = SubscriptionState.wait_for_assignment

    async def kafka_goes_first(subscription: SubscriptionState) -> None:
        await own_broker.stop()
        await wait_for_assignment(subscription)

    monkeypatch.setattr(SubscriptionState, "wait_for_assignment", kafka_goes_first)
    async with running(own_broker.bootstrap, state_file, metrics_port=0) as (runtime, *_):

        async def waiting_to_receive() -> bool:
            body = (await health(runtime.metrics_port))[1]
            return body["status"] == "waiting" and "receiving" in body

        await eventually(waiting_to_receive, within=_WITHIN, what="receiving waits for Kafka")
        body = (await health(runtime.metrics_port))[1]

    assert f"no Kafka broker answers at {own_broker.bootstrap}" in str(body["receiving"])


def of(organisation: Organisation, value: str, label: str = "outcome") -> dict[str, str]:
    """The labels of one organisation's sample."""
    return {"organisation": organisation.id, label: value}
