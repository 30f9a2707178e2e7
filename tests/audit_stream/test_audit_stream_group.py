"""Several audit streams: their group lets one ship, and another takes over when it leaves."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest

from broker.audit_stream import SEQUENCE_HEADER, AuditStreamService
from broker.errors import AuditTopicTakenError
from broker.kafka import KafkaConnection
from broker.registry import OrganisationRegistry
from broker.topics import AUDIT_TOPIC
from consent.audit import AuditLog
from tests.audit_stream.harness import append_decisions, stream_settings
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic
from tests.broker.scraping import health, sample, scrape

pytestmark = [pytest.mark.kafka]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: what these tests are about is Kafka; both databases are in the others."""
    return f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"


@asynccontextmanager
async def running(
    connection: KafkaConnection, database_url: str, registry: OrganisationRegistry, group: str
) -> AsyncIterator[tuple[AuditStreamService, asyncio.Task[None]]]:
    settings = stream_settings(
        connection, database_url, audit_stream_group_id=group, audit_stream_metrics_port=0
    )
    async with AuditStreamService(settings, registry, connection) as stream:
        task = asyncio.create_task(stream.run())
        try:
            yield stream, task
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def sequences_on_topic(connection: KafkaConnection) -> list[int]:
    messages = await read_topic(connection, AUDIT_TOPIC)
    return [int(dict(message.headers)[SEQUENCE_HEADER]) for message in messages]


async def test_of_two_streams_one_ships_and_the_other_stands_by(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    group = f"audit-stream-{uuid.uuid4().hex[:8]}"
    await append_decisions(log, 5)
    async with (
        running(connection, migrated_database_url, registry, group) as (first, _),
        running(connection, migrated_database_url, registry, group) as (second, _),
    ):
        streams = (first, second)
        await eventually(
            lambda: sum(s.status.shipped for s in streams) == 5, within=30, what="5 shipped"
        )
        await eventually(
            lambda: sorted(s.status.standing_by for s in streams) == [False, True],
            within=30,
            what="one stream ships, the other stands by",
        )
        [standing_by] = [s for s in streams if s.status.standing_by]
        [shipping] = [s for s in streams if not s.status.standing_by]
        status, body = await health(standing_by.metrics_port)
        standing_by_metrics = await scrape(standing_by.metrics_port)
        shipping_metrics = await scrape(shipping.metrics_port)

    assert (status, body["status"]) == (200, "standby")
    assert sample(standing_by_metrics, "saattaja_audit_stream_active") == 0
    assert sample(shipping_metrics, "saattaja_audit_stream_active") == 1
    assert await sequences_on_topic(connection) == [1, 2, 3, 4, 5]


async def test_when_the_shipping_stream_leaves_the_one_standing_by_takes_over(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    group = f"audit-stream-{uuid.uuid4().hex[:8]}"
    await append_decisions(log, 3)
    async with AsyncExitStack() as streams:
        first, _ = await streams.enter_async_context(
            running(connection, migrated_database_url, registry, group)
        )
        await eventually(lambda: first.status.shipped == 3, within=30, what="3 shipped")
        async with running(connection, migrated_database_url, registry, group) as (second, _):
            await eventually(
                lambda: second.status.standing_by, within=30, what="the second stands by"
            )
            assert not first.status.standing_by  # the first keeps the topic
            await streams.aclose()  # the first leaves its group
            await append_decisions(log, 2, start=3)
            await eventually(
                lambda: second.status.shipped == 2, within=30, what="the second ships the rest"
            )
            assert not second.status.standing_by

    assert await sequences_on_topic(connection) == [1, 2, 3, 4, 5]


async def test_once_beside_a_running_stream_of_its_group_gives_up_and_ships_nothing(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    group = f"audit-stream-{uuid.uuid4().hex[:8]}"
    await append_decisions(log, 1)
    async with running(connection, migrated_database_url, registry, group) as (first, _):
        await eventually(lambda: first.status.shipped == 1, within=30, what="1 shipped")
        settings = stream_settings(connection, migrated_database_url, audit_stream_group_id=group)
        async with AuditStreamService(settings, registry, connection) as once:
            taken = f"did not give this stream {AUDIT_TOPIC}"
            with pytest.raises(AuditTopicTakenError, match=taken):
                await once.ship_once(within=3)
        await append_decisions(log, 1, start=1)
        await eventually(lambda: first.status.shipped == 2, within=30, what="2 shipped")

    assert once.status.shipped == 0
    assert await sequences_on_topic(connection) == [1, 2]
