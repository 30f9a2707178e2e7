"""The store's connections: SQLite's settings and file modes, and JSON columns read and
written alike."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.cli import main
from consent.database import create_database_engine, run_transaction, upgrade_database
from consent.database.engine import _sqlite_pragmas
from consent.errors import DatabaseRefusedError

_FULL = 2
_VALUE = {"removed": ["kykyviisari-ä"], "at": "2026-12-05T00:00:00+00:00"}
_probes = sa.Table(
    "json_probe",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("value", sa.JSON(), nullable=False),
)


async def _with_probe_table(engine: AsyncEngine) -> None:
    await run_transaction(engine, _probes.create)


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


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.usefixtures("usual_umask")
def test_a_sqlite_store_made_by_db_upgrade_is_readable_by_its_owner_only(
    clean_environment: pytest.MonkeyPatch, registry_file: Path, tmp_path: Path
) -> None:
    # It holds identity codes and health data; a umask of 0022 would make it world-readable.
    database = tmp_path / "var" / "saattaja.db"
    clean_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    clean_environment.setenv("SAATTAJA_DATABASE_URL", f"sqlite+aiosqlite:///{database}")

    assert main(["db", "upgrade"]) == 0

    assert _mode(database) == 0o600


def test_db_upgrade_at_a_folder_says_so_in_one_line_every_time(
    clean_environment: pytest.MonkeyPatch, registry_file: Path, tmp_path: Path
) -> None:
    # A failed open used to end with a stray thread's traceback now and then: run it often.
    clean_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    clean_environment.setenv("SAATTAJA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}")

    for _ in range(6):
        upgrade = subprocess.run(
            [sys.executable, "-m", "broker.cli", "db", "upgrade"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

        assert upgrade.stderr.splitlines() == [
            f"saattaja: error: {tmp_path} is a folder, not a SQLite database file: check the "
            "path in SAATTAJA_DATABASE_URL, which must name the file (e.g. .../saattaja.db)"
        ]


@pytest.mark.usefixtures("usual_umask")
async def test_a_new_sqlite_stores_log_and_shared_memory_are_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    database = tmp_path / "saattaja.db"
    engine = create_database_engine(f"sqlite+aiosqlite:///{database}")
    try:
        # The -wal and -shm files exist while a connection is open and has written.
        await _with_probe_table(engine)
        async with engine.connect():
            modes = {
                suffix: _mode(database.with_name(database.name + suffix))
                for suffix in ("", "-wal", "-shm")
            }
    finally:
        await engine.dispose()

    assert modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600}


@pytest.mark.usefixtures("usual_umask")
async def test_an_existing_sqlite_store_keeps_the_mode_its_operator_gave_it(
    tmp_path: Path,
) -> None:
    database = tmp_path / "saattaja.db"
    url = f"sqlite+aiosqlite:///{database}"
    await upgrade_database(url)
    database.chmod(0o640)  # e.g. read by a backup group

    await upgrade_database(url)

    assert _mode(database) == 0o640


async def test_json_text_the_standard_library_wrote_reads_back(engine: AsyncEngine) -> None:
    # Rows written before the stores used orjson: ASCII escapes and spaces after separators.
    await _with_probe_table(engine)
    written = json.dumps(_VALUE)
    assert "\\u00e4" in written

    def write_then_read(connection: Connection) -> object:
        connection.execute(
            sa.text("INSERT INTO json_probe (id, value) VALUES (1, :v)"), {"v": written}
        )
        return connection.execute(sa.select(_probes.c.value)).scalar_one()

    assert await run_transaction(engine, write_then_read) == _VALUE


async def test_json_the_stores_write_is_json_the_standard_library_reads(
    engine: AsyncEngine,
) -> None:
    await _with_probe_table(engine)

    def write_then_read_text(connection: Connection) -> str:
        connection.execute(_probes.insert(), [{"id": 1, "value": _VALUE}])
        return str(
            connection.execute(sa.text("SELECT CAST(value AS TEXT) FROM json_probe")).scalar_one()
        )

    assert json.loads(await run_transaction(engine, write_then_read_text)) == _VALUE


_MARKER = "Virtanen 020516C903K free text"


def _insert_twice(connection: Connection) -> None:
    for _ in range(2):
        connection.execute(_probes.insert(), [{"id": 1, "value": _MARKER}])


async def test_an_error_from_a_failing_transaction_quotes_no_value_it_was_given(
    engine: AsyncEngine,
) -> None:
    await _with_probe_table(engine)

    with pytest.raises(sa.exc.IntegrityError) as raised:
        await run_transaction(engine, _insert_twice)

    assert _MARKER not in str(raised.value)


async def test_an_error_from_a_failing_statement_on_a_connection_quotes_no_value_it_was_given(
    engine: AsyncEngine,
) -> None:
    await _with_probe_table(engine)

    with pytest.raises(sa.exc.IntegrityError) as raised:
        async with engine.begin() as connection:
            await connection.run_sync(_insert_twice)

    assert _MARKER not in str(raised.value)


async def test_a_sqlite_uri_url_makes_the_file_it_names_not_a_folder_named_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "var" / "saattaja.db"

    await upgrade_database(f"sqlite+aiosqlite:///file:{database}?mode=rwc&uri=true")

    assert database.is_file()
    assert not (tmp_path / "file:").exists()


@pytest.mark.usefixtures("usual_umask")
async def test_a_sqlite_uri_url_store_is_made_readable_by_its_owner_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # An empty authority and a percent-escaped space, both SQLite's to read: the file made
    # first, with its mode, must be the one SQLite opens.
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "two words.db"

    await upgrade_database(f"sqlite+aiosqlite:///file://{tmp_path}/two%20words.db?uri=true")

    assert _mode(database) == 0o600
    assert _names(tmp_path) == ["two words.db"]


def test_an_in_memory_sqlite_uri_url_makes_no_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)

    create_database_engine("sqlite+aiosqlite:///file::memory:?uri=true")

    assert _names(tmp_path) == []


# SQLAlchemy warns that it will pool such connections differently one day; not ours to settle.
@pytest.mark.filterwarnings("ignore:Selection of the StaticPool")
def test_a_sqlite_uri_url_in_memory_mode_makes_no_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)

    create_database_engine("sqlite+aiosqlite:///file:store?mode=memory&uri=true")

    assert _names(tmp_path) == []


def test_a_sqlite_uri_url_that_asks_not_to_create_the_file_makes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "var" / "saattaja.db"

    create_database_engine(f"sqlite+aiosqlite:///file:{database}?mode=rw&uri=true")

    assert _names(tmp_path) == []


def test_a_read_only_command_at_a_sqlite_uri_with_no_file_names_the_path(
    tmp_path: Path,
) -> None:
    database = tmp_path / "saattaja.db"

    with pytest.raises(DatabaseRefusedError, match=f"no SQLite database file at {database}:"):
        create_database_engine(
            f"sqlite+aiosqlite:///file:{database}?mode=ro&uri=true", existing=True
        )
