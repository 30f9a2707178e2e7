"""The SQLite settings of the consent and audit store's connections."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from consent.database import create_database_engine
from consent.database.engine import _sqlite_pragmas

_FULL = 2


async def _pragma(tmp_path: Path, name: str) -> object:
    engine = create_database_engine(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    try:
        async with engine.connect() as connection:
            return (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
    finally:
        await engine.dispose()


async def test_a_sqlite_store_syncs_every_commit_to_disk(tmp_path: Path) -> None:
    assert await _pragma(tmp_path, "synchronous") == _FULL


def test_a_sqlite_store_syncs_to_disk_whatever_its_sqlite_was_built_to_do(tmp_path: Path) -> None:
    # A build may default WAL files to synchronous=NORMAL; this one's default is FULL.
    connection = sqlite3.connect(tmp_path / "store.db")
    try:
        connection.execute("PRAGMA synchronous=NORMAL")

        _sqlite_pragmas(connection, None)

        assert connection.execute("PRAGMA synchronous").fetchone() == (_FULL,)
    finally:
        connection.close()


async def test_a_sqlite_store_lets_readers_in_while_the_router_writes(tmp_path: Path) -> None:
    assert await _pragma(tmp_path, "journal_mode") == "wal"


async def test_a_sqlite_store_enforces_its_foreign_keys(tmp_path: Path) -> None:
    assert await _pragma(tmp_path, "foreign_keys") == 1


async def test_a_second_writer_waits_for_the_lock_rather_than_failing(tmp_path: Path) -> None:
    assert await _pragma(tmp_path, "busy_timeout") == 10_000
