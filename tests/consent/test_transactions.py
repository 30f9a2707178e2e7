"""Transactions run whole where their connection lives: a SQLite file's on a thread of its own."""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.router.ledger import deliveries
from consent.database import (
    create_database_engine,
    run_transaction,
    translate_database_errors,
    upgrade_database,
)
from consent.errors import StoreUnavailableError
from tests.broker.conditions import eventually

_FULL = 2
_AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


class _WorkFailedError(Exception):
    """Raised by a test's work after it has written."""


async def _migrated_sqlite_file(path: Path) -> AsyncEngine:
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_database(url)
    return create_database_engine(url)


@pytest.fixture
async def sqlite_file(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = await _migrated_sqlite_file(tmp_path / "saattaja.db")
    try:
        yield engine
    finally:
        await engine.dispose()


def _thread(_connection: Connection) -> threading.Thread:
    return threading.current_thread()


def _deliver(connection: Connection) -> None:
    connection.execute(
        deliveries.insert(),
        [{"event_id": str(uuid.UUID(int=1)), "recipient": "1.2.246.10.1", "delivered_at": _AT}],
    )


async def _delivered(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(sa.select(sa.func.count()).select_from(deliveries))).one()[
            0
        ]


async def test_a_sqlite_file_transaction_runs_off_the_event_loop_thread(
    sqlite_file: AsyncEngine,
) -> None:
    assert await run_transaction(sqlite_file, _thread) is not threading.current_thread()


async def test_a_postgresql_transaction_runs_on_the_event_loop_thread(
    postgres_database_url: str,
) -> None:
    engine = create_database_engine(postgres_database_url)
    try:
        assert await run_transaction(engine, _thread) is threading.current_thread()
    finally:
        await engine.dispose()


async def test_what_the_work_writes_is_committed(engine: AsyncEngine) -> None:
    await run_transaction(engine, _deliver)
    assert await _delivered(engine) == 1


async def test_work_that_fails_is_rolled_back_and_its_error_raised(engine: AsyncEngine) -> None:
    def deliver_then_fail(connection: Connection) -> None:
        _deliver(connection)
        raise _WorkFailedError

    with pytest.raises(_WorkFailedError):
        await run_transaction(engine, deliver_then_fail)
    assert await _delivered(engine) == 0


async def test_an_in_memory_database_is_the_one_the_engine_reads() -> None:
    # A second engine on ":memory:" would open another, empty database.
    engine = create_database_engine("sqlite+aiosqlite:///:memory:")
    try:
        await run_transaction(engine, deliveries.create)
        await run_transaction(engine, _deliver)
        assert await _delivered(engine) == 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("pragma", "value"),
    [
        ("synchronous", _FULL),
        ("journal_mode", "wal"),
        ("foreign_keys", 1),
        ("busy_timeout", 10_000),
        ("wal_autocheckpoint", 0),
    ],
)
async def test_the_sqlite_thread_s_connections_have_the_store_s_settings(
    sqlite_file: AsyncEngine, pragma: str, value: object
) -> None:
    found = await run_transaction(
        sqlite_file, lambda connection: connection.exec_driver_sql(f"PRAGMA {pragma}").scalar_one()
    )
    assert found == value


async def test_disposing_of_the_engine_closes_the_files_its_transactions_opened(
    tmp_path: Path,
) -> None:
    path = tmp_path / "saattaja.db"
    engine = await _migrated_sqlite_file(path)
    await run_transaction(engine, _deliver)
    assert _open(path) > 0

    await engine.dispose()

    assert _open(path) == 0


def _open(path: Path) -> int:
    """How many of this process's file descriptors are on the database file."""
    descriptors = Path("/proc/self/fd")
    if not descriptors.is_dir():
        pytest.skip("counting open files needs Linux's /proc")
    count = 0
    for fd in descriptors.iterdir():
        try:
            count += fd.readlink() == path
        except OSError:
            continue  # closed while listed
    return count


async def test_disposing_of_the_engine_ends_its_transactions_threads(tmp_path: Path) -> None:
    engine = await _migrated_sqlite_file(tmp_path / "saattaja.db")
    thread = await run_transaction(engine, _thread)

    await engine.dispose()

    thread.join(timeout=10)
    assert not thread.is_alive()


async def test_an_engine_disposed_of_runs_transactions_again(tmp_path: Path) -> None:
    # As SQLAlchemy's engines do: dispose() closes what is open, and the engine stays usable.
    engine = await _migrated_sqlite_file(tmp_path / "saattaja.db")
    try:
        await engine.dispose()
        await run_transaction(engine, _deliver)
        assert await _delivered(engine) == 1
    finally:
        await engine.dispose()


async def test_what_transactions_write_is_copied_into_the_database_file_by_a_thread(
    tmp_path: Path,
) -> None:
    path = tmp_path / "saattaja.db"
    engine = await _migrated_sqlite_file(path)
    try:
        before = path.stat().st_size
        rows = [
            {"event_id": str(uuid.UUID(int=n)), "recipient": "1.2.246.10.1", "delivered_at": _AT}
            for n in range(5_000)
        ]
        await run_transaction(
            engine, lambda connection: connection.execute(deliveries.insert(), rows)
        )
        await eventually(
            lambda: path.stat().st_size > before,
            within=10,
            what="the write-ahead log copied into the database file",
        )
    finally:
        await engine.dispose()


async def test_a_sqlite_file_that_cannot_be_opened_is_the_store_being_unavailable(
    tmp_path: Path,
) -> None:
    # What the router fails closed on: the thread's error reaches the event loop as it is.
    # No file where a URI that asks SQLite not to create one points.
    missing = tmp_path / "saattaja.db"
    engine = create_database_engine(f"sqlite+aiosqlite:///file:{missing}?mode=ro&uri=true")
    try:
        with pytest.raises(StoreUnavailableError, match="reading the test's rows"):
            async with translate_database_errors("reading the test's rows"):
                await run_transaction(engine, _deliver)
    finally:
        await engine.dispose()
