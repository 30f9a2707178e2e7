"""The audit stream writes the audit log to the audit topic: in order, checked, once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.audit_stream import HASH_HEADER, SEQUENCE_HEADER, AuditStreamService
from broker.audit_stream.position import refuse_emptied_topic
from broker.errors import AuditStreamError, ConfigurationError
from broker.kafka import KafkaConnection
from broker.registry import OrganisationRegistry
from broker.topics import AUDIT_TOPIC
from consent.audit import AuditLog, record_json
from consent.errors import AuditChainBrokenError
from tests.audit_stream.harness import (
    append_decisions,
    delete_audit_topic,
    recreate_audit_topic,
    stream_settings,
)
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic
from tests.broker.scraping import health, sample, scrape
from tests.consent.audit.entries import PSEUDONYM, cut_after, execute

pytestmark = [pytest.mark.kafka]


@asynccontextmanager
async def audit_stream(
    connection: KafkaConnection, database_url: str, registry: OrganisationRegistry, **extra: Any
) -> AsyncIterator[AuditStreamService]:
    async with AuditStreamService(
        stream_settings(connection, database_url, **extra), registry, connection
    ) as service:
        yield service


async def on_topic(connection: KafkaConnection) -> list[Any]:
    return await read_topic(connection, AUDIT_TOPIC)


def sequences(messages: Sequence[Any]) -> list[int]:
    return [int(dict(message.headers)[SEQUENCE_HEADER]) for message in messages]


async def test_each_record_is_on_the_topic_in_order_as_the_jsonl_export_writes_it(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    records = [*await append_decisions(log, 2), *await append_decisions(log, 1, start=2)]

    async with audit_stream(connection, migrated_database_url, registry) as stream:
        shipped = await stream.ship_once()

    messages = await on_topic(connection)
    assert shipped == 3
    assert [json.loads(message.value) for message in messages] == [
        record_json(record) for record in records
    ]
    assert sequences(messages) == [1, 2, 3]
    assert [dict(message.headers)[HASH_HEADER].decode() for message in messages] == [
        record.hash for record in records
    ]
    assert {message.key.decode() for message in messages} == {PSEUDONYM}
    assert {dict(message.headers)["content-type"] for message in messages} == {b"application/json"}


async def test_the_fhir_format_writes_an_audit_event_per_record(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 2)

    async with audit_stream(
        connection, migrated_database_url, registry, audit_stream_format="fhir"
    ) as stream:
        await stream.ship_once()

    messages = await on_topic(connection)
    events = [json.loads(message.value) for message in messages]
    assert [event["resourceType"] for event in events] == ["AuditEvent", "AuditEvent"]
    assert [event["id"] for event in events] == ["saattaja-audit-1", "saattaja-audit-2"]
    assert {dict(message.headers)["content-type"] for message in messages} == {
        b"application/fhir+json"
    }
    assert sequences(messages) == [1, 2]


async def test_a_stream_started_again_goes_on_after_the_record_the_topic_ends_with(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 3)
    async with audit_stream(connection, migrated_database_url, registry) as first:
        await first.ship_once()
    await append_decisions(log, 2, start=3)

    async with audit_stream(connection, migrated_database_url, registry) as second:
        shipped = await second.ship_once()
        again = await second.ship_once()

    assert (shipped, again) == (2, 0)
    assert sequences(await on_topic(connection)) == [1, 2, 3, 4, 5]


async def test_the_running_stream_ships_records_as_they_are_appended(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 2)
    async with audit_stream(connection, migrated_database_url, registry) as stream:
        running = asyncio.create_task(stream.run())
        await eventually(lambda: stream.status.shipped == 2, within=30, what="2 records shipped")
        await append_decisions(log, 3, start=2)
        await eventually(lambda: stream.status.shipped == 5, within=30, what="5 records shipped")
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    assert sequences(await on_topic(connection)) == [1, 2, 3, 4, 5]


async def test_a_changed_record_stops_the_stream_at_it_and_nothing_from_it_on_is_shipped(
    connection: KafkaConnection,
    engine: AsyncEngine,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 4)
    await execute(engine, "UPDATE audit_records SET reason = 'tampered' WHERE sequence = 3")

    async with audit_stream(
        connection, migrated_database_url, registry, audit_stream_batch_size=1
    ) as stream:
        with pytest.raises(AuditChainBrokenError, match=r"broken at record 3 \(altered\)"):
            await stream.ship_once()

    assert sequences(await on_topic(connection)) == [1, 2]


async def test_the_running_stream_stops_at_a_changed_record_and_says_so(
    connection: KafkaConnection,
    engine: AsyncEngine,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 2)
    await execute(engine, "UPDATE audit_records SET reason = 'tampered' WHERE sequence = 2")

    async with audit_stream(
        connection, migrated_database_url, registry, audit_stream_metrics_port=0
    ) as stream:
        with pytest.raises(AuditChainBrokenError, match="record 2"):
            await stream.run()
        status, body = await health(stream.metrics_port)
        samples = await scrape(stream.metrics_port)

    assert (status, body["status"]) == (503, "stopped")
    assert "record 2" in str(body["reason"])
    assert sample(samples, "saattaja_audit_stream_chain_broken") == 1


async def test_a_log_that_ends_before_the_record_the_topic_holds_is_refused(
    connection: KafkaConnection,
    engine: AsyncEngine,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 4)
    async with audit_stream(connection, migrated_database_url, registry) as stream:
        await stream.ship_once()
    await cut_after(engine, log, 2)
    assert (await log.verify()).ok  # what the chain alone cannot see

    async with audit_stream(connection, migrated_database_url, registry) as stream:
        with pytest.raises(AuditChainBrokenError, match=r"holds record 4 .* ends at record 2"):
            await stream.ship_once()


async def test_a_log_written_again_after_the_topic_was_filled_is_refused(
    connection: KafkaConnection,
    engine: AsyncEngine,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 3)
    async with audit_stream(connection, migrated_database_url, registry) as stream:
        await stream.ship_once()
    # Cut after record 1 and written again, hashed anew: longer than before.
    await cut_after(engine, log, 1)
    await append_decisions(log, 3, start=10)
    assert (await log.verify()).ok

    async with audit_stream(connection, migrated_database_url, registry) as stream:
        with pytest.raises(AuditChainBrokenError, match="record 4"):
            await stream.ship_once()

    assert sequences(await on_topic(connection)) == [1, 2, 3]


async def test_a_log_restored_from_a_backup_and_decided_again_is_refused_saying_how_to_go_on(
    connection: KafkaConnection,
    engine: AsyncEngine,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 3)
    async with audit_stream(connection, migrated_database_url, registry) as stream:
        await stream.ship_once()
    # The backup held record 1; the router decides again what came after it, and more.
    await cut_after(engine, log, 1)
    await append_decisions(log, 4, start=10)

    async with audit_stream(connection, migrated_database_url, registry) as stream:
        with pytest.raises(AuditChainBrokenError) as refused:
            await stream.ship_once()

    message = str(refused.value)
    assert "does not go on from record 3" in message
    assert "restored from a backup" in message
    assert "copy the topic's records elsewhere" in message
    assert "saattaja topics create" in message
    assert sequences(await on_topic(connection)) == [1, 2, 3]


async def test_a_log_written_again_up_to_the_topics_end_exactly_is_refused(
    connection: KafkaConnection,
    engine: AsyncEngine,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 2)
    async with audit_stream(connection, migrated_database_url, registry) as stream:
        await stream.ship_once()
    await cut_after(engine, log, 1)
    [rewritten] = await append_decisions(log, 1, start=10)

    async with audit_stream(connection, migrated_database_url, registry) as stream:
        with pytest.raises(AuditChainBrokenError, match=f"its hash is now {rewritten.hash}"):
            await stream.ship_once()


async def test_a_topic_ending_in_a_message_the_stream_did_not_write_is_refused(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 1)
    producer = AIOKafkaProducer(**connection.client_kwargs(), enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(AUDIT_TOPIC, b'{"not": "an audit record"}')
    finally:
        await producer.stop()

    async with audit_stream(connection, migrated_database_url, registry) as stream:
        with pytest.raises(AuditStreamError, match="saattaja_audit_sequence"):
            await stream.ship_once()


async def test_a_missing_audit_topic_fails_the_start_saying_how_to_create_it(
    connection: KafkaConnection, migrated_database_url: str, registry: OrganisationRegistry
) -> None:
    await delete_audit_topic(connection)
    settings = stream_settings(connection, migrated_database_url, audit_stream_metrics_port=0)
    stream = AuditStreamService(settings, registry, connection)

    with pytest.raises(ConfigurationError, match="saattaja topics create"):
        async with stream:
            pass

    assert stream.metrics_port is None  # what started before the failure is stopped


async def test_an_audit_topic_of_several_partitions_is_refused_at_start(
    connection: KafkaConnection, migrated_database_url: str, registry: OrganisationRegistry
) -> None:
    await recreate_audit_topic(connection, partitions=3)

    with pytest.raises(ConfigurationError, match="has 3 partitions"):
        async with audit_stream(connection, migrated_database_url, registry):
            pass


async def test_health_and_metrics_show_the_stream_and_how_far_behind_it_is(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 3)
    async with audit_stream(
        connection, migrated_database_url, registry, audit_stream_metrics_port=0
    ) as stream:
        running = asyncio.create_task(stream.run())
        await eventually(lambda: stream.status.shipped == 3, within=30, what="3 records shipped")

        async def caught_up() -> bool:
            samples = await scrape(stream.metrics_port)
            return sample(samples, "saattaja_audit_stream_last_sequence") == 3

        await eventually(caught_up, within=30, what="the metrics show record 3 shipped")
        status, body = await health(stream.metrics_port)
        samples = await scrape(stream.metrics_port)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    assert (status, body["status"], body["shipped"]) == (200, "streaming", 3)
    assert sample(samples, "saattaja_audit_stream_records_total") == 3
    assert sample(samples, "saattaja_audit_stream_behind_records") == 0
    assert sample(samples, "saattaja_audit_stream_paused") == 0


async def test_health_says_idle_before_the_stream_runs_and_after_it_is_cancelled(
    connection: KafkaConnection, migrated_database_url: str, registry: OrganisationRegistry
) -> None:
    async with audit_stream(
        connection, migrated_database_url, registry, audit_stream_metrics_port=0
    ) as stream:
        before, _ = await health(stream.metrics_port)
        running = asyncio.create_task(stream.run())
        await eventually(lambda: stream.status.running, within=30, what="the stream runs")
        during, _ = await health(stream.metrics_port)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        after, body = await health(stream.metrics_port)

    assert (before, during, after) == (503, 200, 503)
    assert body["status"] == "idle"


def test_a_topic_whose_records_retention_removed_is_refused_saying_how_to_go_on() -> None:
    # The embedded broker neither applies retention nor deletes records, so the state is
    # given as Kafka reports it: no record held, three written.
    with pytest.raises(AuditStreamError, match=r"3 records written but holds none") as caught:
        refuse_emptied_topic(3)
    assert "retention.ms=-1" in str(caught.value)
    assert "saattaja topics create" in str(caught.value)
