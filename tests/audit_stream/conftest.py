"""Fixtures of the audit stream tests: the audit topic made anew, and the stream's settings."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.admin import NewTopic
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.kafka import KafkaConnection, open_admin
from broker.settings import SaattajaSettings
from broker.topics import AUDIT_TOPIC
from consent.audit import AuditLog
from tests.broker.conditions import eventually


@pytest.fixture
async def connection(kafka_bootstrap: str) -> KafkaConnection:
    """The test broker, its audit topic emptied: deleted and created again, one partition.

    The audit topic's name is fixed, so the tests of one broker take turns with it.
    """
    connection = KafkaConnection(kafka_bootstrap)
    await recreate_audit_topic(connection, partitions=1)
    return connection


async def recreate_audit_topic(connection: KafkaConnection, *, partitions: int) -> None:
    """Delete the audit topic if it is there and create it again, empty."""
    async with open_admin(connection) as admin:
        if AUDIT_TOPIC in await admin.list_topics():
            await admin.delete_topics([AUDIT_TOPIC])

        async def created() -> bool:
            # A cluster deletes a topic in the background: creating it fails until it is gone.
            response = await admin.create_topics([NewTopic(AUDIT_TOPIC, partitions, 1)])
            return bool(response.topic_errors[0][1] == 0)

        await eventually(created, within=30, what=f"{AUDIT_TOPIC} created again")


async def delete_audit_topic(connection: KafkaConnection) -> None:
    """Delete the audit topic, as a cluster without it would be."""
    async with open_admin(connection) as admin:
        await admin.delete_topics([AUDIT_TOPIC])


@pytest.fixture
async def log(engine: AsyncEngine) -> AuditLog:
    """The audit log of the test's database (SQLite, then PostgreSQL), empty."""
    return AuditLog(engine)


def stream_settings(
    connection: KafkaConnection, database_url: str, **extra: Any
) -> SaattajaSettings:
    """Settings of an audit stream under test: it looks often and retries soon."""
    extra.setdefault("audit_stream_poll_seconds", 0.05)
    return SaattajaSettings(
        kafka_bootstrap=connection.bootstrap,
        database_url=database_url,
        store_retry_max_seconds=0.5,
        **extra,
    )
