"""Fixtures of the audit stream tests: the audit topic made anew, and the stream's settings."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.kafka import KafkaConnection
from consent.audit import AuditLog
from tests.audit_stream.harness import recreate_audit_topic


@pytest.fixture
async def connection(kafka_bootstrap: str) -> KafkaConnection:
    """The test broker, its audit topic emptied: deleted and created again, one partition.

    The audit topic's name is fixed, so the tests of one broker take turns with it.
    """
    connection = KafkaConnection(kafka_bootstrap)
    await recreate_audit_topic(connection, partitions=1)
    return connection


@pytest.fixture
async def log(engine: AsyncEngine) -> AuditLog:
    """The audit log of the test's database (SQLite, then PostgreSQL), empty."""
    return AuditLog(engine)
