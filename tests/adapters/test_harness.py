"""AdapterHarness: a developer tests an adapter against Kafka without writing Kafka code."""

from __future__ import annotations

import pytest

from adapters.sdk import (
    AdapterContext,
    AdapterFailedError,
    ReceivedOutcome,
    RejectEvent,
)
from adapters.sdk.testing import AdapterHarness
from schemas import Event
from tests.adapters.events import client_code, referral
from tests.adapters.memory_adapter import MemoryAdapter, MemorySettings
from tests.broker.conditions import eventually

pytestmark = pytest.mark.kafka

_WITHIN = 60.0


def _adapter() -> MemoryAdapter:
    return MemoryAdapter(MemorySettings(source_name="queue"))


async def test_what_run_publishes_reads_back_from_the_outbox_topic_in_order(
    kafka_bootstrap: str,
) -> None:
    adapter = _adapter()
    async with AdapterHarness(adapter, kafka_bootstrap=kafka_bootstrap) as harness:
        sender = harness.organisation.oid
        sent = [referral(client_code(60 + n), sender=sender) for n in range(3)]
        for event in sent:
            await adapter.source.put(event)

        published = await harness.published(3, within=_WITHIN)

    assert [event.event_id for event in published] == [event.event_id for event in sent]


async def test_deliver_returns_once_handle_has_taken_the_event(kafka_bootstrap: str) -> None:
    adapter = _adapter()
    async with AdapterHarness(adapter, kafka_bootstrap=kafka_bootstrap) as harness:
        event = referral(client_code(63))
        outcomes = await harness.deliver(event, within=_WITHIN)
        delivered = list(adapter.delivered)

    assert outcomes == [ReceivedOutcome.HANDLED]
    assert delivered == [event]


async def test_deliver_says_an_event_handle_refused_was_parked(kafka_bootstrap: str) -> None:
    adapter = _Refusing(MemorySettings(source_name="queue"))
    async with AdapterHarness(adapter, kafka_bootstrap=kafka_bootstrap) as harness:
        outcomes = await harness.deliver(referral(client_code(65)), within=_WITHIN)

    assert outcomes == [ReceivedOutcome.PARKED]


class _Refusing(MemoryAdapter):
    async def handle(self, event: Event) -> None:
        raise RejectEvent("the system will never take it")


async def test_waiting_for_more_than_was_published_says_how_many_came(
    kafka_bootstrap: str,
) -> None:
    async with AdapterHarness(_adapter(), kafka_bootstrap=kafka_bootstrap) as harness:
        with pytest.raises(TimeoutError, match=r"0 event\(s\) reached saattaja\.\S+\.outbox"):
            await harness.published(1, within=0.5)


async def test_without_a_bootstrap_it_runs_its_own_embedded_broker_and_stops_it() -> None:
    adapter = _adapter()
    async with AdapterHarness(adapter) as harness:
        await adapter.source.put(referral(client_code(64), sender=harness.organisation.oid))
        [published] = await harness.published(1, within=_WITHIN)
        state_file = harness.runtime.context.settings.state_path

    assert published.sender == harness.organisation.oid
    assert adapter.closed == 1
    assert not state_file.parent.exists()


class _BuggyLoop(MemoryAdapter):
    ran = False

    async def run(self, context: AdapterContext) -> None:
        self.ran = True
        raise KeyError("fields")


async def test_a_run_that_fails_fails_the_wait_for_what_it_publishes_at_once(
    kafka_bootstrap: str,
) -> None:
    with pytest.raises(AdapterFailedError, match="KeyError: 'fields'"):
        async with AdapterHarness(
            _BuggyLoop(MemorySettings(source_name="q")), kafka_bootstrap=kafka_bootstrap
        ) as harness:
            await harness.published(1, within=_WITHIN)


async def test_a_run_that_fails_while_the_test_waits_on_nothing_fails_the_test_at_its_end(
    kafka_bootstrap: str,
) -> None:
    adapter = _BuggyLoop(MemorySettings(source_name="q"))

    async def a_test_that_waits_on_its_own_condition() -> None:
        async with AdapterHarness(adapter, kafka_bootstrap=kafka_bootstrap):
            await eventually(lambda: adapter.ran, within=_WITHIN, what="run() ran")

    with pytest.raises(AdapterFailedError, match="KeyError: 'fields'"):
        await a_test_that_waits_on_its_own_condition()
