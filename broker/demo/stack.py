"""Everything the one-machine demo runs, in one process: broker, topics, stores, router, adapters.

Each organisation gets the reference adapter of its kind with an example source system
beside it: sote an SQLite database with the outbox and inbox tables, kela and typ a
receiving FHIR server (``DemoFhirServer``) behind their FHIR REST adapter, tyollisyys and
jarjesto a drop folder and an outgoing folder. All files live under one folder, removed
at each start so that every run tells the journey from the beginning.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fhir_rest import FhirRestAdapter, FhirRestSettings
from adapters.fhir_rest.receiving_server import DemoFhirServer
from adapters.file_drop import FileDropAdapter, FileDropSettings
from adapters.sdk import Adapter, AdapterRuntime, AdapterSettings
from adapters.sql_outbox import SqlOutboxAdapter, SqlOutboxSettings, create_tables
from broker.audit_stream import AuditStreamService
from broker.demo.clock import DemoClock
from broker.embedded import EmbeddedBroker
from broker.kafka import KafkaConnection
from broker.registry import Organisation, OrganisationRegistry
from broker.router import RouterService
from broker.settings import SaattajaSettings
from broker.topics import create_topics
from consent.audit import AuditLog
from consent.database import create_database_engine, upgrade_database
from consent.store import ConsentStore
from schemas import EventCodec, OrganisationKind, Pseudonymiser

__all__ = ["DemoStack", "FhirSystem", "FolderSystem", "SqlSystem"]

# The demo polls its sources often: a person watches it, and the journey waits on each step.
_POLL_SECONDS: Final = 0.2
_FHIR_BIND_WITHIN: Final = 10.0
# Every process on one machine, nothing else on it: a short session lets the router, the
# audit stream and the adapters join their groups within seconds of the start (the
# embedded broker's first join takes about half the session timeout), where the defaults
# suit processes on hosts of their own.
_SESSION_MS: Final = 3_000
_SESSION_SETTINGS: Final = frozenset(
    {"router_session_timeout_ms", "audit_stream_session_timeout_ms"}
)
# Given here, never read from the environment: it holds "change-me", so that a router,
# an adapter or any other command started with it refuses it (broker.chosen_secret).
_DEMO_PSEUDONYM_SECRET: Final = SecretStr("demo-only-pseudonym-secret-change-me-in-production")


@dataclass(frozen=True, slots=True)
class SqlSystem:
    """A client-records system with the outbox and inbox tables (sote)."""

    database_url: str
    database_file: Path
    outbox_table: str
    inbox_table: str


@dataclass(slots=True)
class FhirSystem:
    """A system that speaks FHIR (kela, typ): it POSTs to the adapter, the adapter to its server."""

    adapter: FhirRestAdapter
    server: DemoFhirServer
    listen_host: str
    path_prefix: str

    @property
    def intake_url(self) -> str:
        """Where the organisation's system POSTs its FHIR resources."""
        if self.adapter.port is None:
            raise RuntimeError("the FHIR REST adapter has not bound its port yet")
        return f"http://{self.listen_host}:{self.adapter.port}{self.path_prefix}"


@dataclass(frozen=True, slots=True)
class FolderSystem:
    """A legacy system that exchanges files (tyollisyys, jarjesto)."""

    drop_folder: Path
    outgoing_folder: Path


SourceSystem = SqlSystem | FhirSystem | FolderSystem


class DemoStack:
    """Start with ``async with``; stops everything it started, in reverse order."""

    def __init__(
        self,
        settings: SaattajaSettings,
        registry: OrganisationRegistry,
        folder: Path,
        *,
        bootstrap: str | None = None,
    ) -> None:
        """``bootstrap`` names a running broker to use; without it an embedded one starts."""
        self.folder = folder
        self.registry = registry
        self._bootstrap = bootstrap
        self.ignores_database_url = "database_url" in settings.model_fields_set
        """Whether a database was configured that the demo leaves alone for one of its own."""
        unset = _SESSION_SETTINGS - settings.model_fields_set  # those set are kept
        self._settings = settings.model_copy(
            update={
                "database_url": f"sqlite+aiosqlite:///{folder / 'saattaja.db'}",
                "pseudonym_secret": settings.pseudonym_secret or _DEMO_PSEUDONYM_SECRET,
                **dict.fromkeys(unset, _SESSION_MS),
            }
        )
        self._exits = AsyncExitStack()
        self.systems: dict[str, SourceSystem] = {}
        self.runtimes: dict[str, AdapterRuntime] = {}
        """Each organisation's adapter as it runs, by organisation id."""
        self.router: RouterService | None = None
        self.audit_stream: AuditStreamService | None = None
        """Runs only on a broker of the demo's own: the demo's database is new at each start,
        and a cluster's audit topic holds the log of another."""
        self.audit: AuditLog | None = None
        self.consents: ConsentStore | None = None
        self.engine: AsyncEngine | None = None
        """The consent, audit and pathway database, for reading what the router recorded."""
        self.connection: KafkaConnection | None = None
        self.clock = DemoClock()
        """The router's clock: the journey moves it on when working days pass in the story."""
        self.bootstrap = ""
        self._removed = False
        self._owns_broker = False
        self.pseudonymiser = Pseudonymiser(self._settings.require_pseudonym_secret())
        self.codec = EventCodec(self.pseudonymiser, self._settings.max_event_bytes)

    @property
    def settings(self) -> SaattajaSettings:
        """The settings the router and the adapters run with."""
        return self._settings

    @property
    def removed_previous(self) -> bool:
        """Whether start() found and removed the files of an earlier demo."""
        return self._removed

    async def __aenter__(self) -> DemoStack:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Fresh folder, broker, topics, database, router, then the five adapters."""
        self._removed = self.folder.exists()
        if self._removed:
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        connection = self.connection = await self._connect()
        await create_topics(
            connection,
            self.registry,
            self._settings.topic_partitions,
            retention_hours=self._settings.topic_retention_hours,
        )
        await upgrade_database(self._settings.database_url)
        engine = self.engine = create_database_engine(self._settings.database_url)
        self._exits.push_async_callback(engine.dispose)
        self.audit = AuditLog(engine)
        self.consents = ConsentStore(engine)
        self.router = await self._exits.enter_async_context(
            RouterService(self._settings, self.registry, connection, clock=self.clock)
        )
        if self._owns_broker:
            self.audit_stream = await self._exits.enter_async_context(
                AuditStreamService(self._settings, self.registry, connection)
            )
            streaming = asyncio.create_task(self.audit_stream.run())
            self._exits.push_async_callback(_cancel, streaming)
        for organisation in self.registry:
            await self._start_adapter(organisation, connection)

    async def stop(self) -> None:
        """Stop the adapters, the router and the broker."""
        await self._exits.aclose()

    async def _connect(self) -> KafkaConnection:
        if self._bootstrap is None and not self._settings.uses_embedded_broker:
            self._bootstrap = self._settings.kafka_bootstrap
        if self._bootstrap is None:
            port = self._settings.embedded_port
            if not _port_free(self._settings.embedded_host, port):
                port = 0  # another broker (saattaja up?) has it: any free port will do
            broker = EmbeddedBroker.from_settings(self._settings, port=port)
            await self._exits.enter_async_context(broker)
            self._bootstrap = broker.bootstrap
            self._owns_broker = True
        self.bootstrap = self._bootstrap
        self._settings = self._settings.model_copy(update={"kafka_bootstrap": self._bootstrap})
        return KafkaConnection.from_settings(self._settings, bootstrap=self._bootstrap)

    async def _start_adapter(self, organisation: Organisation, connection: KafkaConnection) -> None:
        adapter = await self._adapter_for(organisation)
        home = self.folder / organisation.id
        home.mkdir(parents=True, exist_ok=True)
        runtime = AdapterRuntime(
            adapter,
            settings=AdapterSettings(
                organisation=organisation.id,
                state_file=home / "adapter.db",
                handler_first_delay_seconds=_POLL_SECONDS,
                handler_max_delay_seconds=2.0,
                relay_first_delay_seconds=_POLL_SECONDS,
                relay_max_delay_seconds=2.0,
                session_timeout_ms=_SESSION_MS,
            ),
            saattaja=self._settings,
            organisation=organisation,
            connection=connection,
        )
        await runtime.start()
        self._exits.push_async_callback(runtime.stop)
        self.runtimes[organisation.id] = runtime
        system = self.systems[organisation.id]
        if isinstance(system, FhirSystem):
            await _bound(system.adapter)

    async def _adapter_for(self, organisation: Organisation) -> Adapter[Any]:
        home = self.folder / organisation.id
        if organisation.kind is OrganisationKind.SOTE:
            database_file = home / "records.db"
            home.mkdir(parents=True, exist_ok=True)
            sql = SqlOutboxSettings(
                database_url=f"sqlite+aiosqlite:///{database_file}",
                poll_interval_seconds=_POLL_SECONDS,
            )
            await create_tables(sql.database_url, sql.outbox_table, sql.inbox_table)
            self.systems[organisation.id] = SqlSystem(
                sql.database_url, database_file, sql.outbox_table, sql.inbox_table
            )
            return SqlOutboxAdapter(sql)
        if organisation.kind in (OrganisationKind.KELA, OrganisationKind.TYP):
            server = await self._exits.enter_async_context(DemoFhirServer())
            fhir = FhirRestSettings(listen_port=0, endpoint_url=server.base_url)  # type: ignore[arg-type]  # pydantic validates the URL text
            adapter = FhirRestAdapter(fhir)
            self.systems[organisation.id] = FhirSystem(
                adapter, server, fhir.listen_host, fhir.path_prefix
            )
            return adapter
        files = FileDropSettings(
            drop_folder=home / "in",
            outgoing_folder=home / "out",
            poll_seconds=_POLL_SECONDS,
            take_at_first_sight=True,  # the demo writes .part files and renames them
            create_folders=True,
        )
        self.systems[organisation.id] = FolderSystem(files.drop_folder, files.outgoing_folder)
        return FileDropAdapter(files)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


async def _bound(adapter: FhirRestAdapter) -> None:
    """Wait until the adapter's FHIR server listens, so that its address can be printed."""
    async with asyncio.timeout(_FHIR_BIND_WITHIN):
        # The adapter shows its port as an attribute only, so there is nothing to await.
        while adapter.port is None:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
