"""A database restored from a backup: the router routes again what the backup lacks.

Kafka's committed offsets of the router's group run ahead of a restored database; routing
on from them would leave a revocation applied since the backup missing for good, and the
client's next events permitted against it. The router resumes each partition where the
database's routing ends instead.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import structlog.testing
from sqlalchemy.engine import make_url

from broker.registry import OrganisationRegistry
from broker.router import RouterService
from consent.audit import AuditLog
from consent.database import create_database_engine, upgrade_database
from schemas import DataCategory
from tests.broker.conditions import eventually
from tests.conftest import postgres_admin_url, postgres_database
from tests.router.events import KELA_KIND, consent, referral, revocation
from tests.router.harness import Harness, running_router, wait_until_handled

pytestmark = pytest.mark.kafka


class _Snapshot:
    """A copy of the router's database taken at one moment, put back as a DBA restores one."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._copy: str | None = None

    async def take(self) -> None:
        """Copy the database as it is now; nothing may be connected to it."""
        url = make_url(self._url)
        if url.get_backend_name() == "sqlite":
            self._copy = f"{url.database}.backup"
            _sqlite_copy(str(url.database), self._copy)
            return
        self._copy = f"{url.database}_backup"
        await _postgres(self._url, f'CREATE DATABASE "{self._copy}" TEMPLATE "{url.database}"')

    async def put_back(self) -> None:
        """Replace the database with the copy; nothing may be connected to it."""
        assert self._copy is not None
        url = make_url(self._url)
        if url.get_backend_name() == "sqlite":
            _sqlite_copy(self._copy, str(url.database))
            return
        await _postgres(self._url, f'DROP DATABASE "{url.database}" WITH (FORCE)')
        await _postgres(self._url, f'CREATE DATABASE "{url.database}" TEMPLATE "{self._copy}"')

    async def drop(self) -> None:
        """Remove the copy of a PostgreSQL database."""
        if self._copy is not None and make_url(self._url).get_backend_name() != "sqlite":
            await _postgres(self._url, f'DROP DATABASE IF EXISTS "{self._copy}" WITH (FORCE)')


def _sqlite_copy(source: str, target: str) -> None:
    # SQLite's online backup: the write-ahead log's pages go with the file's.
    with sqlite3.connect(source) as read, sqlite3.connect(target) as written:
        read.backup(written)
    read.close()
    written.close()


async def _postgres(database_url: str, statement: str) -> None:
    import asyncpg  # noqa: PLC0415  # only the PostgreSQL runs need it

    admin = make_url(database_url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False), timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def restorable_database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A migrated database, once SQLite and once PostgreSQL, whose snapshot a test can take."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
        await upgrade_database(url)
        yield url
        return
    async for url in postgres_database(postgres_admin_url()):
        await upgrade_database(url)
        yield url


@pytest.fixture
async def snapshot(restorable_database_url: str) -> AsyncIterator[_Snapshot]:
    """The snapshot of the test's database, dropped afterwards."""
    taken = _Snapshot(restorable_database_url)
    try:
        yield taken
    finally:
        await taken.drop()


async def _on_record(harness: Harness, event_id: uuid.UUID) -> bool:
    return any(record.event_id == event_id for record in await harness.audit_records())


async def _route_alone(harness: Harness, *events: Any) -> RouterService:
    """Start a router of the harness's group, route the events to the end, stop it."""
    service = RouterService(harness.settings, harness.registry, harness.connection)
    await service.start()
    try:
        for event in events:
            await harness.publish(event)
        await wait_until_handled(service, len(events))
    finally:
        await service.stop()
    return service


async def test_a_revocation_lost_with_the_restored_database_holds_again_for_the_next_event(
    kafka_bootstrap: str,
    restorable_database_url: str,
    registry: OrganisationRegistry,
    snapshot: _Snapshot,
) -> None:
    client = "150388-9127"
    granted = consent("C-1", (KELA_KIND,), (DataCategory.REFERRAL,), client=client)
    before, lost, after = (referral(f"R-{n}", client=client) for n in (1, 2, 3))
    revoked = revocation("C-1", client=client)
    async with running_router(
        kafka_bootstrap, restorable_database_url, registry, start_router=False
    ) as (harness, _):
        await _route_alone(harness, granted, before)
        await snapshot.take()  # last night's backup
        await _route_alone(harness, revoked, lost)
        await snapshot.put_back()  # the DBA restores it

        with structlog.testing.capture_logs() as logs:
            service = RouterService(harness.settings, harness.registry, harness.connection)
            await service.start()
            try:
                await harness.publish(after)
                await eventually(
                    lambda: _on_record(harness, after.event_id),
                    within=60,
                    what="the referral after the restore on record",
                )
            finally:
                await service.stop()

        assert await harness.inbox_event_ids("kela") == [str(before.event_id)]
        [again] = [log for log in logs if log["event"] == "outbox_routed_again"]
        assert again["records"] == 2
        decided = {
            record.event_id: record.decision
            for record in await harness.audit_records_of(client)
            if record.recipient == harness.org("kela").oid
        }
        assert decided == {
            before.event_id: "permit",
            lost.event_id: "deny",
            after.event_id: "deny",
        }
        engine = create_database_engine(restorable_database_url)
        try:
            assert (await AuditLog(engine).verify()).problem is None
        finally:
            await engine.dispose()


async def test_a_router_over_a_database_that_holds_all_it_routed_resumes_from_kafka_s_offsets(
    kafka_bootstrap: str, restorable_database_url: str, registry: OrganisationRegistry
) -> None:
    client = "150388-9127"
    granted = consent("C-1", (KELA_KIND,), (DataCategory.REFERRAL,), client=client)
    first, second = (referral(f"R-{n}", client=client) for n in (1, 2))
    async with running_router(
        kafka_bootstrap, restorable_database_url, registry, start_router=False
    ) as (harness, _):
        await _route_alone(harness, granted, first)
        with structlog.testing.capture_logs() as logs:
            service = await _route_alone(harness, second)

        assert service.status.outcomes == {"routed": 1}
        assert [log for log in logs if log["event"] == "outbox_routed_again"] == []
        assert await harness.inbox_event_ids("kela") == [str(e.event_id) for e in (first, second)]
