"""The router says it is paused while Kafka is gone, even with nothing to route, and goes on after.

aiokafka's consumer does not raise while no broker answers: the router has to notice.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from broker.embedded import EmbeddedBroker
from broker.registry import OrganisationRegistry
from broker.router import RouterService
from broker.topics import create_topics
from consent.database import upgrade_database
from schemas import DataCategory, OrganisationKind, Recipient
from tests.broker.conditions import eventually
from tests.broker.scraping import health, sample, scrape
from tests.router.events import consent, referral
from tests.router.harness import Harness, running_router

pytestmark = pytest.mark.kafka


@pytest.fixture
async def measured_on_own_broker(
    own_broker: EmbeddedBroker, tmp_path: Path, registry: OrganisationRegistry
) -> AsyncIterator[tuple[Harness, RouterService]]:
    """A router serving its metrics, over the test's own broker, holding its partitions."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    await upgrade_database(database_url)
    async with running_router(own_broker.bootstrap, database_url, registry, metrics_port=0) as (
        harness,
        service,
    ):
        await eventually(
            lambda: bool(service.owned_partitions()), within=30, what="the router's partitions"
        )
        yield harness, service


async def _health_says(service: RouterService, status: str) -> bool:
    _, body = await health(service.metrics_port)
    return body["status"] == status


async def test_health_and_metrics_show_the_pause_while_kafka_is_gone(
    own_broker: EmbeddedBroker, measured_on_own_broker: tuple[Harness, RouterService]
) -> None:
    _, service = measured_on_own_broker

    await own_broker.stop()
    await eventually(lambda: _health_says(service, "paused"), within=30, what="/health paused")

    status, body = await health(service.metrics_port)
    samples = await scrape(service.metrics_port)
    assert status == 503
    assert f"no Kafka broker answers at {own_broker.bootstrap}" in str(body["reason"])
    assert sample(samples, "saattaja_router_paused") == 1
    assert sample(samples, "saattaja_router_pauses_total") == 1


async def test_the_router_routes_again_by_itself_once_kafka_is_back(
    own_broker: EmbeddedBroker, measured_on_own_broker: tuple[Harness, RouterService]
) -> None:
    harness, service = measured_on_own_broker
    await own_broker.stop()
    await eventually(lambda: _health_says(service, "paused"), within=30, what="/health paused")

    await own_broker.start()
    await create_topics(harness.connection, harness.registry, harness.settings.topic_partitions)
    await eventually(lambda: _health_says(service, "routing"), within=30, what="/health routing")
    await harness.read_metadata_again()
    await harness.publish(
        consent("C-1", (Recipient(kind=OrganisationKind.KELA),), (DataCategory.REFERRAL,))
    )
    await harness.publish(referral("R-1"))
    await harness.wait_for_inbox("kela", 1)

    status, _ = await health(service.metrics_port)
    samples = await scrape(service.metrics_port)
    assert status == 200
    assert sample(samples, "saattaja_router_paused") == 0


async def test_a_router_stops_cleanly_while_kafka_is_gone(
    own_broker: EmbeddedBroker, tmp_path: Path, registry: OrganisationRegistry
) -> None:
    # SIGTERM during an outage (a host shut down with its Kafka) must still end the router,
    # its decoding workers and its database pool, and not with an error.
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    await upgrade_database(database_url)
    async with running_router(own_broker.bootstrap, database_url, registry, metrics_port=0) as (
        _,
        service,
    ):
        await eventually(
            lambda: bool(service.owned_partitions()), within=30, what="the router's partitions"
        )
        workers = service.decoding_worker_pids
        await own_broker.stop()
        await eventually(lambda: _health_says(service, "paused"), within=30, what="paused")
    assert service.decoding_worker_pids == ()
    assert workers == () or all(not _alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
