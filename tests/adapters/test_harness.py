"""AdapterHarness: a developer tests an adapter against Kafka without writing Kafka code."""

from __future__ import annotations

import pytest

from adapters.sdk import AdapterHarness
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


async def test_an_event_delivered_to_the_inbox_reaches_handle(kafka_bootstrap: str) -> None:
    adapter = _adapter()
    async with AdapterHarness(adapter, kafka_bootstrap=kafka_bootstrap) as harness:
        event = referral(client_code(63))
        await harness.deliver(event)
        await eventually(lambda: bool(adapter.delivered), within=_WITHIN, what="the event handled")

    assert adapter.delivered == [event]


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
