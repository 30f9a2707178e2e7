"""The router fails closed while its database is unreachable, and resumes by itself."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from broker.registry import OrganisationRegistry
from broker.topics import outbox_topic
from schemas import DataCategory, OrganisationKind, Recipient
from tests.broker.conditions import eventually
from tests.broker.scraping import health, sample, scrape
from tests.router.events import consent, referral
from tests.router.harness import Harness, running_router
from tests.router.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def _committed(harness: Harness) -> int:
    topic = outbox_topic(harness.org("sote").id)
    consumer = AIOKafkaConsumer(
        **harness.connection.client_kwargs(),
        group_id=harness.settings.router_group_id,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        total = 0
        for partition in range(harness.settings.topic_partitions):
            total += await consumer.committed(TopicPartition(topic, partition)) or 0
        return total
    finally:
        await consumer.stop()


async def test_nothing_is_delivered_or_committed_while_the_store_is_gone_and_all_flows_after(
    kafka_bootstrap: str,
    via_proxy: str,
    proxy: TcpProxy,
    registry: OrganisationRegistry,
) -> None:
    async with running_router(kafka_bootstrap, via_proxy, registry) as (harness, service):
        await harness.publish(
            consent("C-1", (Recipient(kind=OrganisationKind.KELA),), (DataCategory.REFERRAL,))
        )
        await harness.publish(referral("R-1"))
        await harness.wait_for_inbox("kela", 1)
        await eventually(lambda: _is(harness, 2), within=30, what="offsets of 2 records committed")

        await proxy.cut()
        await harness.publish(referral("R-2"))
        await eventually(
            lambda: service.status.paused_reason is not None,
            within=30,
            what="the router pauses routing",
        )

        assert len(await harness.inbox("kela")) == 1
        assert await _committed(harness) == 2

        await proxy.start()
        await harness.wait_for_inbox("kela", 2)
        await eventually(lambda: _is(harness, 3), within=30, what="offset of R-2 committed")
        assert service.status.paused_reason is None


async def _is(harness: Harness, expected: int) -> bool:
    return await _committed(harness) == expected


async def test_health_and_metrics_show_the_pause_while_the_store_is_gone(
    kafka_bootstrap: str,
    via_proxy: str,
    proxy: TcpProxy,
    registry: OrganisationRegistry,
) -> None:
    async with running_router(kafka_bootstrap, via_proxy, registry, metrics_port=0) as (
        harness,
        service,
    ):
        await proxy.cut()
        await harness.publish(referral("R-1"))
        await eventually(
            lambda: service.status.paused_reason is not None,
            within=30,
            what="the router pauses routing",
        )

        paused_status, paused = await health(service.metrics_port)
        while_gone = await scrape(service.metrics_port)
        await proxy.start()
        await eventually(
            lambda: service.status.paused_reason is None,
            within=30,
            what="the router resumes routing",
        )
        resumed_status, _ = await health(service.metrics_port)
        after = await scrape(service.metrics_port)

    assert (paused_status, paused["status"]) == (503, "paused")
    assert "database" in str(paused["reason"])
    assert sample(while_gone, "saattaja_router_paused") == 1
    assert sample(while_gone, "saattaja_router_pauses_total") == 1
    assert resumed_status == 200
    assert sample(after, "saattaja_router_paused") == 0
