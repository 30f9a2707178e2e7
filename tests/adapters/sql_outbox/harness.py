"""An SQL outbox adapter running against a real database and the real embedded broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import SecretStr

from adapters.sdk import AdapterRuntime, AdapterSettings
from adapters.sql_outbox import SqlOutboxAdapter, SqlOutboxSettings
from broker.kafka import KafkaConnection
from broker.registry import Organisation
from broker.settings import SaattajaSettings
from broker.topics import outbox_topic
from schemas import Event, KafkaRecord
from tests.adapters.events import CODEC, SECRET
from tests.adapters.kafka import create_organisation_topics, fresh_organisation
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic

WITHIN: Final = 60.0
_ENVELOPE: Final = ("event_id", "sender", "occurred_at")


@dataclass(frozen=True, slots=True)
class Running:
    """What a test sees of a running adapter."""

    adapter: SqlOutboxAdapter
    runtime: AdapterRuntime
    connection: KafkaConnection
    organisation: Organisation


def settings_for(database_url: str) -> SqlOutboxSettings:
    """The adapter's settings, polling fast enough for a test."""
    return SqlOutboxSettings(database_url=database_url, poll_interval_seconds=0.05)


@asynccontextmanager
async def running(
    kafka_bootstrap: str,
    state_file: Path,
    database_url: str,
    organisation: Organisation | None = None,
) -> AsyncIterator[Running]:
    """The adapter with the SDK around it, for a fresh organisation unless one is given."""
    connection = KafkaConnection(kafka_bootstrap)
    if organisation is None:
        organisation = fresh_organisation()
        await create_organisation_topics(connection, organisation)
    adapter = SqlOutboxAdapter(settings_for(database_url))
    runtime = AdapterRuntime(
        adapter,
        settings=AdapterSettings(
            organisation=organisation.id,
            state_file=state_file,
            relay_first_delay_seconds=0.1,
            relay_max_delay_seconds=0.5,
            handler_first_delay_seconds=0.05,
            handler_max_delay_seconds=0.1,
            session_timeout_ms=2_000,
        ),
        saattaja=SaattajaSettings(
            kafka_bootstrap=kafka_bootstrap, pseudonym_secret=SecretStr(SECRET.decode())
        ),
        organisation=organisation,
        connection=connection,
    )
    async with runtime:
        yield Running(adapter, runtime, connection, organisation)


def domain_record(event: Event) -> dict[str, Any]:
    """What the organisation's system writes as payload: the event without its envelope."""
    return {
        name: value
        for name, value in event.model_dump(mode="json", exclude_none=True).items()
        if name not in _ENVELOPE
    }


async def published(running: Running, count: int) -> list[Event]:
    """The events in the organisation's outbox topic once there are ``count``, in topic order."""
    topic = outbox_topic(running.organisation.id)
    holder: list[Any] = []

    async def enough() -> bool:
        holder[:] = await read_topic(running.connection, topic)
        return len(holder) >= count

    await eventually(enough, within=WITHIN, what=f"{count} events in {topic}")
    ordered = sorted(holder, key=lambda record: (record.partition, record.offset))
    return [
        CODEC.decode(KafkaRecord(key=r.key, headers=tuple(r.headers), value=r.value))
        for r in ordered
    ]
