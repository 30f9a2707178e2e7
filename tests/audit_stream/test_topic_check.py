"""``saattaja audit check-topic``: the copy of the log on the audit topic, checked on its own."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from broker.audit_stream import AuditStreamService, check_topic_chain
from broker.cli import main
from broker.errors import AuditStreamError
from broker.kafka import KafkaConnection
from broker.registry import OrganisationRegistry
from broker.topics import AUDIT_TOPIC
from consent.audit import AuditLog, ChainProblemKind
from tests.audit_stream.harness import append_decisions, recreate_audit_topic, stream_settings
from tests.broker.reading import read_topic
from tests.consent.audit.entries import SECRET

pytestmark = [pytest.mark.kafka]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: what these tests are about is Kafka; both databases are in the others."""
    return f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"


async def ship(
    connection: KafkaConnection,
    database_url: str,
    registry: OrganisationRegistry,
    **extra: Any,
) -> None:
    settings = stream_settings(connection, database_url, **extra)
    async with AuditStreamService(settings, registry, connection) as stream:
        await stream.ship_once()


async def produce(connection: KafkaConnection, messages: Sequence[tuple[bytes, Any]]) -> None:
    producer = AIOKafkaProducer(**connection.client_kwargs(), enable_idempotence=False)
    await producer.start()
    try:
        for value, headers in messages:
            await producer.send_and_wait(AUDIT_TOPIC, value, headers=list(headers))
    finally:
        await producer.stop()


async def test_a_topic_the_stream_filled_is_whole(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 3)
    await ship(connection, migrated_database_url, registry)

    checked = await check_topic_chain(connection)

    assert checked.result.ok
    assert (checked.result.checked, checked.first_sequence, checked.copies) == (3, 1, 0)
    assert checked.describe() == f"{AUDIT_TOPIC} whole: 3 records"


async def test_copies_of_a_record_are_dropped_and_counted(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 2)
    await ship(connection, migrated_database_url, registry)
    second = (await read_topic(connection, AUDIT_TOPIC))[-1]
    await produce(connection, [(second.value, second.headers)])  # as after a lost ack
    await append_decisions(log, 1, start=2)
    await ship(connection, migrated_database_url, registry)

    checked = await check_topic_chain(connection)

    assert checked.result.ok
    assert (checked.result.checked, checked.copies) == (3, 1)
    assert checked.describe().endswith("; 1 copy dropped")


async def test_a_forged_record_on_the_topic_is_named(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 2)
    await ship(connection, migrated_database_url, registry)
    [_, second] = await read_topic(connection, AUDIT_TOPIC)
    forged = {**json.loads(second.value), "sequence": 3, "reason": "tampered"}
    forged["previous_hash"] = forged.pop("hash")
    forged["hash"] = "a" * 64
    headers = [
        ("content-type", b"application/json"),
        ("saattaja_audit_sequence", b"3"),
        ("saattaja_audit_hash", b"a" * 64),
    ]
    await produce(connection, [(json.dumps(forged).encode(), headers)])

    checked = await check_topic_chain(connection)

    assert checked.result.problem is not None
    assert (checked.result.problem.sequence, checked.result.problem.kind) == (
        3,
        ChainProblemKind.ALTERED,
    )
    assert checked.result.checked == 2


async def test_a_record_missing_from_the_topic_is_named(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 3)
    await ship(connection, migrated_database_url, registry)
    first, _, third = await read_topic(connection, AUDIT_TOPIC)
    await recreate_audit_topic(connection, partitions=1)
    await produce(connection, [(first.value, first.headers), (third.value, third.headers)])

    checked = await check_topic_chain(connection)

    assert checked.result.problem is not None
    assert (checked.result.problem.sequence, checked.result.problem.kind) == (
        2,
        ChainProblemKind.DELETED,
    )


async def test_a_topic_that_starts_later_is_checked_from_its_first_record(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 4)
    await ship(connection, migrated_database_url, registry)
    kept = (await read_topic(connection, AUDIT_TOPIC))[2:]
    await recreate_audit_topic(connection, partitions=1)  # as retention would have it
    await produce(connection, [(message.value, message.headers) for message in kept])

    checked = await check_topic_chain(connection)

    assert checked.result.ok
    assert (checked.first_sequence, checked.result.checked) == (3, 2)
    assert checked.describe() == f"{AUDIT_TOPIC} whole: 2 records from record 3 on"


async def test_a_topic_of_fhir_audit_events_cannot_be_checked_on_its_own(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
) -> None:
    await append_decisions(log, 1)
    await ship(connection, migrated_database_url, registry, audit_stream_format="fhir")

    with pytest.raises(AuditStreamError, match="--anchor-from-topic"):
        await check_topic_chain(connection)


@pytest.mark.parametrize(
    "value",
    [b"not json", b'{"sequence": 1}', b'{"sequence": "1", "hash": "' + b"a" * 64 + b'"}'],
    ids=["not-json", "no-hash", "sequence-a-string"],
)
async def test_a_message_that_is_not_an_audit_record_is_named_by_its_offset(
    connection: KafkaConnection, value: bytes
) -> None:
    headers = [
        ("content-type", b"application/json"),
        ("saattaja_audit_sequence", b"1"),
        ("saattaja_audit_hash", b"a" * 64),
    ]
    await produce(connection, [(value, headers)])

    not_a_record = r"offset 0 of saattaja\.audit is not an audit record"
    with pytest.raises(AuditStreamError, match=not_a_record):
        await check_topic_chain(connection)


async def test_an_empty_topic_holds_no_record(connection: KafkaConnection) -> None:
    checked = await check_topic_chain(connection)

    assert checked.result.ok
    assert checked.describe() == f"{AUDIT_TOPIC} holds no audit record"


@pytest.fixture
def command_environment(
    monkeypatch: pytest.MonkeyPatch, connection: KafkaConnection, registry_file: Path
) -> None:
    """The settings ``saattaja audit check-topic`` reads: the test broker, nothing else."""
    monkeypatch.setenv("SAATTAJA_KAFKA_BOOTSTRAP", connection.bootstrap)
    monkeypatch.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    monkeypatch.setenv("SAATTAJA_PSEUDONYM_SECRET", SECRET)


@pytest.mark.usefixtures("command_environment")
async def test_the_command_exits_0_on_a_whole_topic_and_1_naming_a_forged_record(
    connection: KafkaConnection,
    log: AuditLog,
    migrated_database_url: str,
    registry: OrganisationRegistry,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await append_decisions(log, 1)
    await ship(connection, migrated_database_url, registry)

    # The command runs its own event loop: in a thread of its own, as from a shell.
    assert await asyncio.to_thread(main, ["audit", "check-topic"]) == 0
    whole = capsys.readouterr().out
    [message] = await read_topic(connection, AUDIT_TOPIC)
    forged = {**json.loads(message.value), "reason": "tampered"}
    await recreate_audit_topic(connection, partitions=1)
    await produce(connection, [(json.dumps(forged).encode(), message.headers)])
    assert await asyncio.to_thread(main, ["audit", "check-topic"]) == 1

    assert f"{AUDIT_TOPIC} whole: 1 record" in whole.splitlines()
    assert f"anchor to keep: 1:{json.loads(message.value)['hash']}" in whole
    assert f"{AUDIT_TOPIC} broken at record 1 (altered)" in capsys.readouterr().err
