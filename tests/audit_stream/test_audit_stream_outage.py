"""The audit stream waits while its database is unreachable, and goes on by itself."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from broker.audit_stream import AuditStreamService
from broker.kafka import KafkaConnection
from broker.registry import OrganisationRegistry
from broker.topics import AUDIT_TOPIC
from consent.audit import AuditLog
from consent.database import create_database_engine
from tests.audit_stream.harness import stream_settings
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic
from tests.broker.scraping import health, sample, scrape
from tests.consent.audit.entries import entry
from tests.router.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


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
