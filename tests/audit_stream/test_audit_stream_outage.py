"""The audit stream waits while its database or Kafka is unreachable, and goes on by itself."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from pathlib import Path

import asyncpg
import pytest
from aiokafka.errors import KafkaTimeoutError
from sqlalchemy.engine import make_url

from broker.audit_stream import SEQUENCE_HEADER, AuditStreamService
from broker.embedded import EmbeddedBroker, free_port
from broker.kafka import AcknowledgedSender, KafkaConnection
from broker.registry import OrganisationRegistry
from broker.topics import AUDIT_TOPIC
from consent.audit import AuditLog
from consent.database import create_database_engine, upgrade_database
from schemas import KafkaRecord
from tests.audit_stream.harness import append_decisions, recreate_audit_topic, stream_settings
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic
from tests.broker.scraping import health, sample, scrape
from tests.conftest import postgres_admin_url
from tests.consent.audit.entries import entry
from tests.postgres_roles import login_role
from tests.router.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.kafka]


@pytest.mark.postgres
async def test_the_stream_pauses_while_the_database_is_gone_and_ships_all_after(
    connection: KafkaConnection,
    postgres_database_url: str,
    via_proxy: str,
    proxy: TcpProxy,
    registry: OrganisationRegistry,
) -> None:
    direct = create_database_engine(postgres_database_url)
    log = AuditLog(direct)
    settings = stream_settings(connection, via_proxy, audit_stream_metrics_port=0)
    try:
        await log.append([entry(event_id=uuid.uuid4())])
        async with AuditStreamService(settings, registry, connection) as stream:
            running = asyncio.create_task(stream.run())
            await eventually(lambda: stream.status.shipped == 1, within=30, what="1 shipped")

            await proxy.cut()
            await log.append([entry(event_id=uuid.uuid4())])
            await eventually(
                lambda: stream.status.paused_reason is not None,
                within=30,
                what="the stream pauses",
            )
            status, body = await health(stream.metrics_port)
            paused = await scrape(stream.metrics_port)
            on_topic_while_gone = len(await read_topic(connection, AUDIT_TOPIC))

            await proxy.start()
            await eventually(lambda: stream.status.shipped == 2, within=30, what="2 shipped")
            await eventually(
                lambda: stream.status.paused_reason is None, within=30, what="the stream resumes"
            )
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
    finally:
        await direct.dispose()

    assert (status, body["status"]) == (503, "paused")
    assert "database" in str(body["reason"])
    assert sample(paused, "saattaja_audit_stream_paused") == 1
    assert on_topic_while_gone == 1
    messages = await read_topic(connection, AUDIT_TOPIC)
    assert [dict(m.headers)["saattaja_audit_sequence"] for m in messages] == [b"1", b"2"]


@pytest.mark.postgres
async def test_the_stream_pauses_while_the_server_turns_it_away_and_ships_all_after(
    connection: KafkaConnection, postgres_database_url: str, registry: OrganisationRegistry
) -> None:
    await upgrade_database(postgres_database_url)
    direct = create_database_engine(postgres_database_url)
    log = AuditLog(direct)
    try:
        await log.append([entry(event_id=uuid.uuid4())])
        async with login_role(postgres_database_url) as role:
            settings = stream_settings(connection, role.url)
            async with AuditStreamService(settings, registry, connection) as stream:
                running = asyncio.create_task(stream.run())
                await eventually(lambda: stream.status.shipped == 1, within=30, what="1 shipped")

                await role.turn_away()  # as when the server's connections are all in use
                await log.append([entry(event_id=uuid.uuid4())])
                # The first pause may name the connection the server ended; the retries
                # that follow are turned away at the door, and say so.
                await eventually(
                    lambda: "connections to spare" in str(stream.status.paused_reason),
                    within=30,
                    what="the stream pauses, naming the server's connection limit",
                )

                await role.limit_connections(-1)
                await eventually(lambda: stream.status.shipped == 2, within=30, what="2 shipped")
                still_running = not running.done()
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
    finally:
        await direct.dispose()

    assert still_running


@pytest.mark.postgres
async def test_the_stream_pauses_while_its_database_is_gone_naming_the_setting(
    connection: KafkaConnection, postgres_database_url: str, registry: OrganisationRegistry
) -> None:
    await upgrade_database(postgres_database_url)
    settings = stream_settings(connection, postgres_database_url)
    async with AuditStreamService(settings, registry, connection) as stream:
        running = asyncio.create_task(stream.run())
        await eventually(lambda: stream.status.running, within=30, what="the stream runs")

        await _drop(postgres_database_url)

        # The first pause may name the connection the drop ended; the retries after it are
        # refused for the database that is gone, and name the setting.
        await eventually(
            lambda: "SAATTAJA_DATABASE_URL" in str(stream.status.paused_reason),
            within=30,
            what="the stream pauses, naming SAATTAJA_DATABASE_URL",
        )
        still_running = not running.done()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    assert still_running


async def _drop(database_url: str) -> None:
    admin = make_url(postgres_admin_url()).set(drivername="postgresql")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False), timeout=5)
    try:
        await connection.execute(f'DROP DATABASE "{make_url(database_url).database}" WITH (FORCE)')
    finally:
        await connection.close()


async def test_after_kafka_comes_back_the_stream_reads_where_the_topic_ends_and_goes_on(
    registry: OrganisationRegistry, tmp_path: Path
) -> None:
    # SQLite only: what is under test is Kafka. A broker of the test's own, stopped and
    # started again on its port: the embedded broker keeps nothing, so the topic that comes
    # back is empty and the whole log is shipped again.
    migrated_database_url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    await upgrade_database(migrated_database_url)
    engine = create_database_engine(migrated_database_url)
    log = AuditLog(engine)
    port = free_port("127.0.0.1")
    broker = EmbeddedBroker("127.0.0.1", port)
    await broker.start()
    connection = KafkaConnection(broker.bootstrap)
    await recreate_audit_topic(connection, partitions=1)
    settings = stream_settings(connection, migrated_database_url)
    try:
        await log.append([entry(event_id=uuid.uuid4())])
        async with AuditStreamService(settings, registry, connection) as stream:
            running = asyncio.create_task(stream.run())
            await eventually(lambda: stream.status.shipped == 1, within=30, what="1 shipped")

            await broker.stop()
            # With nothing to ship, it still finds Kafka gone.
            await eventually(
                lambda: stream.status.paused_reason is not None,
                within=30,
                what="the idle stream pauses",
            )
            assert not (await stream.health()).ok
            await log.append([entry(event_id=uuid.uuid4())])
            broker = EmbeddedBroker("127.0.0.1", port)
            await broker.start()
            await recreate_audit_topic(connection, partitions=1)
            await eventually(
                lambda: stream.status.paused_reason is None, within=60, what="the stream resumes"
            )
            await eventually(
                lambda: stream.status.shipped == 3, within=60, what="the log shipped again"
            )
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        messages = await read_topic(connection, AUDIT_TOPIC)
    finally:
        await broker.stop()
        await engine.dispose()

    assert [dict(m.headers)[SEQUENCE_HEADER] for m in messages] == [b"1", b"2"]


async def test_a_stream_standing_by_says_it_is_paused_while_kafka_is_gone(
    registry: OrganisationRegistry, tmp_path: Path
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    await upgrade_database(database_url)
    broker = EmbeddedBroker("127.0.0.1", free_port("127.0.0.1"))
    await broker.start()
    connection = KafkaConnection(broker.bootstrap)
    await recreate_audit_topic(connection, partitions=1)
    settings = stream_settings(
        connection, database_url, audit_stream_group_id=f"audit-{uuid.uuid4().hex[:8]}"
    )
    try:
        async with (
            AuditStreamService(settings, registry, connection) as first,
            AuditStreamService(settings, registry, connection) as second,
        ):
            streams = (first, second)
            tasks = [asyncio.create_task(stream.run()) for stream in streams]
            await eventually(
                lambda: sorted(s.status.standing_by for s in streams) == [False, True],
                within=30,
                what="one stream ships, the other stands by",
            )
            [standing_by] = [s for s in streams if s.status.standing_by]

            await broker.stop()

            await eventually(
                lambda: standing_by.status.paused_reason is not None,
                within=30,
                what="the stream standing by pauses",
            )
            assert not (await standing_by.health()).ok
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await broker.stop()


async def test_a_batch_whose_acknowledgement_was_lost_is_not_sent_again(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent = AcknowledgedSender.send_all
    lost: list[int] = []

    async def send_then_lose_the_first_acknowledgement(
        self: AcknowledgedSender, deliveries: Sequence[tuple[str, KafkaRecord]]
    ) -> None:
        await sent(self, deliveries)
        if not lost:
            lost.append(len(deliveries))
            raise KafkaTimeoutError  # as when the broker's answer never came

    monkeypatch.setattr(AcknowledgedSender, "send_all", send_then_lose_the_first_acknowledgement)
    await append_decisions(log, 2)
    settings = stream_settings(connection, migrated_database_url)
    async with AuditStreamService(settings, registry, connection) as stream:
        running = asyncio.create_task(stream.run())
        await eventually(lambda: stream.status.shipped == 0 and bool(lost), within=30, what="lost")
        await append_decisions(log, 1, start=2)
        await eventually(
            lambda: stream.position is not None and stream.position.sequence == 3,
            within=30,
            what="record 3 shipped",
        )
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    messages = await read_topic(connection, AUDIT_TOPIC)
    assert [dict(m.headers)[SEQUENCE_HEADER] for m in messages] == [b"1", b"2", b"3"]
