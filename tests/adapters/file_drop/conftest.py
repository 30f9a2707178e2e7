"""A running file-drop adapter with folders of its own, on the real embedded broker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from adapters.file_drop import FileDropAdapter, FileDropSettings
from adapters.sdk import AdapterContext, AdapterRuntime, AdapterSettings
from broker.kafka import KafkaConnection
from broker.registry import Organisation
from broker.settings import SaattajaSettings
from broker.topics import outbox_topic
from schemas import Event, KafkaRecord, OrganisationKind
from schemas.examples import EXAMPLE_ORGANISATIONS
from tests.adapters.events import CODEC, SECRET
from tests.adapters.kafka import create_organisation_topics
from tests.broker.reading import read_topic

TYOLLISYYS_OID = EXAMPLE_ORGANISATIONS[OrganisationKind.TYOLLISYYS]


@pytest.fixture
def settings(tmp_path: Path) -> FileDropSettings:
    """Folders of this test's own; a poll interval so long that only the test polls."""
    drop, outgoing = tmp_path / "drop", tmp_path / "out"
    drop.mkdir()
    outgoing.mkdir()
    return FileDropSettings(drop_folder=drop, outgoing_folder=outgoing, poll_seconds=3_600)


@dataclass
class Running:
    """The adapter under test and what a test needs to look at its outbox topic."""

    adapter: FileDropAdapter
    context: AdapterContext
    connection: KafkaConnection
    organisation: Organisation
    settings: FileDropSettings

    async def published(self) -> list[Event]:
        """The events now in the organisation's outbox topic."""
        records = await read_topic(self.connection, outbox_topic(self.organisation.id))
        return [
            CODEC.decode(KafkaRecord(key=r.key or b"", headers=tuple(r.headers), value=r.value))
            for r in records
        ]


@pytest.fixture
async def running(
    kafka_bootstrap: str, settings: FileDropSettings, tmp_path: Path
) -> AsyncIterator[Running]:
    """The employment services' file-drop adapter with the SDK around it."""
    connection = KafkaConnection(kafka_bootstrap)
    organisation = Organisation(
        id=f"tyollisyys-{uuid.uuid4().hex[:8]}",
        name="Lappeenrannan työllisyysalue",
        oid=TYOLLISYYS_OID,
        kind=OrganisationKind.TYOLLISYYS,
    )
    await create_organisation_topics(connection, organisation)
    adapter = FileDropAdapter(settings)
    runtime = AdapterRuntime(
        adapter,
        settings=AdapterSettings(
            organisation=organisation.id,
            state_file=tmp_path / "state" / "adapter.db",
            relay_first_delay_seconds=0.1,
            relay_max_delay_seconds=0.5,
            session_timeout_ms=2_000,
        ),
        saattaja=SaattajaSettings(
            kafka_bootstrap=kafka_bootstrap, pseudonym_secret=SecretStr(SECRET.decode())
        ),
        organisation=organisation,
        connection=connection,
    )
    async with runtime:
        yield Running(adapter, runtime.context, connection, organisation, settings)
