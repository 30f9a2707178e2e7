"""The audit topic emptied for a test (its name is fixed: the tests of one broker take turns)."""

from __future__ import annotations

import uuid
from typing import Any

from aiokafka.admin import NewTopic

from broker.kafka import KafkaConnection, open_admin
from broker.settings import SaattajaSettings
from broker.topics import AUDIT_TOPIC
from consent.audit import AuditLog, AuditRecord
from tests.broker.conditions import eventually
from tests.consent.audit.entries import HOUR, T0, entry, refusal


async def delete_audit_topic(connection: KafkaConnection) -> None:
    """Delete the audit topic if it is there, as a cluster without it would be."""
    async with open_admin(connection) as admin:
        if AUDIT_TOPIC in await admin.list_topics():
            await admin.delete_topics([AUDIT_TOPIC])


async def recreate_audit_topic(connection: KafkaConnection, *, partitions: int) -> None:
    """Delete the audit topic if it is there and create it again, empty."""
    await delete_audit_topic(connection)
    async with open_admin(connection) as admin:

        async def created() -> bool:
            # A cluster deletes a topic in the background: creating it fails until it is gone.
            response = await admin.create_topics([NewTopic(AUDIT_TOPIC, partitions, 1)])
            return bool(response.topic_errors[0][1] == 0)

        await eventually(created, within=30, what=f"{AUDIT_TOPIC} created again")


def stream_settings(
    connection: KafkaConnection, database_url: str, **extra: Any
) -> SaattajaSettings:
    """Settings of an audit stream under test: it looks often, retries soon, joins fast."""
    extra.setdefault("audit_stream_poll_seconds", 0.05)
    # The embedded broker lets a group's first member in after half its session timeout.
    extra.setdefault("audit_stream_session_timeout_ms", 2_000)
    return SaattajaSettings(
        kafka_bootstrap=connection.bootstrap,
        database_url=database_url,
        store_retry_max_seconds=0.5,
        **extra,
    )


async def append_decisions(log: AuditLog, count: int, *, start: int = 0) -> list[AuditRecord]:
    """``count`` decisions, permits and refusals in turn, each on an event of its own."""
    return await log.append(
        [
            entry(event_id=uuid.uuid4(), decided_at=T0 + (start + n) * HOUR)
            if n % 2 == 0
            else refusal(event_id=uuid.uuid4(), decided_at=T0 + (start + n) * HOUR)
            for n in range(count)
        ]
    )
