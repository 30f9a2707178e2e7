"""All the events of one client reach one router process, whichever outbox they come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.errors import ConfigurationError
from broker.kafka import KafkaConnection
from broker.registry import OrganisationRegistry
from broker.router import RouterService
from broker.topics import create_topics, outbox_topic
from consent.database import upgrade_database
from tests.broker.conditions import eventually
from tests.router.harness import router_settings, running_router, suffixed_registry

pytestmark = pytest.mark.kafka


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    await upgrade_database(url)
    return url


def _numbers_by_outbox(service: RouterService) -> dict[str, set[int]]:
    owned: dict[str, set[int]] = {}
    for topic, partition in service.owned_partitions():
        owned.setdefault(topic, set()).add(partition)
    return owned


async def test_two_routers_in_a_group_each_own_the_same_partitions_of_every_outbox(
    kafka_bootstrap: str, sqlite_url: str, registry: OrganisationRegistry
) -> None:
    # Three partitions: with two, aiokafka's round robin would happen to deal them alike.
    async with running_router(kafka_bootstrap, sqlite_url, registry, topic_partitions=3) as (
        harness,
        first,
    ):
        outboxes = {outbox_topic(organisation.id) for organisation in harness.registry}
        second = RouterService(harness.settings, harness.registry, harness.connection)
        await second.start()
        try:

            def shared_out() -> bool:
                mine, theirs = first.owned_partitions(), second.owned_partitions()
                every = harness.settings.topic_partitions * len(outboxes)
                return bool(mine) and bool(theirs) and len(mine | theirs) == every

            await eventually(shared_out, within=60, what="the outboxes shared by two routers")
            for service in (first, second):
                by_outbox = _numbers_by_outbox(service)
                assert set(by_outbox) == outboxes
                assert len({frozenset(numbers) for numbers in by_outbox.values()}) == 1
            assert not first.owned_partitions() & second.owned_partitions()
        finally:
            await second.stop()


async def test_a_router_refuses_to_start_on_outboxes_of_different_partition_counts(
    kafka_bootstrap: str, sqlite_url: str, registry: OrganisationRegistry
) -> None:
    organisations = list(suffixed_registry(registry))
    connection = KafkaConnection(kafka_bootstrap)
    await create_topics(connection, OrganisationRegistry(organisations[:1]), 3)
    await create_topics(connection, OrganisationRegistry(organisations[1:]), 2)
    service = RouterService(
        router_settings(kafka_bootstrap, sqlite_url),
        OrganisationRegistry(organisations),
        connection,
    )

    with pytest.raises(ConfigurationError, match="different numbers of partitions") as refused:
        await service.start()

    assert f"{outbox_topic(organisations[0].id)}: 3" in str(refused.value)
    assert f"{outbox_topic(organisations[1].id)}: 2" in str(refused.value)
