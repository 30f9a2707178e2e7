"""A database that refuses what SAATTAJA_DATABASE_URL says, told apart from one that is away."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from broker.cli import CONFIGURATION_EXIT_STATUS, main
from consent.audit import AuditLog
from consent.database import (
    check_database_schema,
    create_database_engine,
    translate_database_errors,
    upgrade_database,
)
from consent.errors import DatabaseRefusedError, StoreUnavailableError
from consent.network import CareNetwork
from tests.conftest import postgres_admin_url
from tests.consent.audit.entries import entry
from tests.consent.builders import PSEUDONYM
from tests.consent.schema import later_database, older_database
from tests.consent.test_network import accepted
from tests.postgres_roles import login_role

_PASSWORD = "not-to-be-printed"


def _admin_url(*, database: str | None = None, username: str | None = None) -> str:
    """The test server's URL with a name changed, and a password it does not ask for."""
    url = make_url(postgres_admin_url()).set(password=_PASSWORD)
    url = url.set(database=database) if database is not None else url
    url = url.set(username=username) if username is not None else url
    return url.render_as_string(hide_password=False)


async def _schema_check_error(url: str) -> StoreUnavailableError:
    engine = create_database_engine(url)
    try:
        with pytest.raises(StoreUnavailableError) as raised:
            await check_database_schema(engine)
    finally:
        await engine.dispose()
    return raised.value


@pytest.fixture
async def limited_role(postgres_database_url: str) -> AsyncIterator[str]:
    """A URL of the test's database as a role allowed no connection at all."""
    async with login_role(postgres_database_url) as role:
        await role.limit_connections(0)
        yield role.url


@pytest.mark.postgres
async def test_a_database_that_does_not_exist_is_refused_naming_the_setting() -> None:
    error = await _schema_check_error(_admin_url(database=f"no_such_{uuid.uuid4().hex[:8]}"))

    assert isinstance(error, DatabaseRefusedError)
    assert "does not exist" in str(error)
    assert "check the database name in SAATTAJA_DATABASE_URL" in str(error)
    assert _PASSWORD not in str(error)


@pytest.mark.postgres
async def test_a_user_the_server_does_not_know_is_refused_naming_the_setting() -> None:
    error = await _schema_check_error(_admin_url(username=f"no_such_{uuid.uuid4().hex[:8]}"))

    assert isinstance(error, DatabaseRefusedError)
    assert "check the user name in SAATTAJA_DATABASE_URL" in str(error)
    assert _PASSWORD not in str(error)


@pytest.mark.postgres
async def test_a_server_out_of_connections_is_unavailable_not_refused(limited_role: str) -> None:
    error = await _schema_check_error(limited_role)

    assert not isinstance(error, DatabaseRefusedError)
    assert "connections to spare" in str(error)


async def _make_read_only(database_url: str) -> None:
    """New sessions on the database are read-only, as every session on a standby is."""
    url = make_url(database_url)
    admin = await asyncpg.connect(
        url.set(drivername="postgresql").render_as_string(hide_password=False), timeout=5
    )
    try:
        await admin.execute(
            f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on'
        )
    finally:
        await admin.close()


@pytest.mark.postgres
async def test_a_read_only_server_is_refused_naming_the_setting_and_a_standby(
    postgres_database_url: str,
) -> None:
    await _make_read_only(postgres_database_url)

    with pytest.raises(DatabaseRefusedError) as raised:
        await upgrade_database(postgres_database_url)

    assert "read-only transaction" in str(raised.value)
    assert "SAATTAJA_DATABASE_URL must name the primary server, not a standby" in str(raised.value)


@pytest.mark.postgres
async def test_a_write_to_a_server_turned_read_only_is_refused(postgres_database_url: str) -> None:
    # A running router's next append: refused, so that it fails closed and waits.
    await upgrade_database(postgres_database_url)
    await _make_read_only(postgres_database_url)
    engine = create_database_engine(postgres_database_url)
    try:
        with pytest.raises(DatabaseRefusedError, match="not a standby"):
            await AuditLog(engine).append([entry()])
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_user_granted_the_tables_but_not_their_sequences_is_told_to_grant_both(
    postgres_database_url: str,
) -> None:
    await upgrade_database(postgres_database_url)
    tables_only = (
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
    )
    async with login_role(postgres_database_url, tables_only) as role:
        engine = create_database_engine(role.url)
        try:
            with pytest.raises(DatabaseRefusedError) as raised:
                await CareNetwork(engine).record_all([(accepted(), PSEUDONYM)])
        finally:
            await engine.dispose()

    assert "permission denied for sequence" in str(raised.value)
    assert "USAGE on their sequences" in str(raised.value)


@pytest.mark.postgres
async def test_an_object_not_in_its_prerequisite_state_is_raised_as_a_bug(
    postgres_database_url: str,
) -> None:
    # 55000: the stores' own statements out of order, which waiting would not mend.
    engine = create_database_engine(postgres_database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("CREATE TEMPORARY SEQUENCE unused"))
            with pytest.raises(DBAPIError) as raised:
                async with translate_database_errors("reading a sequence"):
                    await connection.execute(text("SELECT currval('unused')"))
    finally:
        await engine.dispose()

    assert getattr(raised.value.orig, "sqlstate", None) == "55000"


@pytest.mark.postgres
async def test_a_statement_the_server_cancelled_at_its_timeout_is_waited_out(
    postgres_database_url: str,
) -> None:
    # 57014: statement_timeout; the transaction is run again, as after an outage.
    engine = create_database_engine(postgres_database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SET statement_timeout = 10"))
            with pytest.raises(StoreUnavailableError) as raised:
                async with translate_database_errors("reading the audit log"):
                    await connection.execute(text("SELECT pg_sleep(5)"))
    finally:
        await engine.dispose()

    assert "gave up on a transaction while reading the audit log" in str(raised.value)
    assert "statement_timeout" in str(raised.value)


@pytest.mark.postgres
async def test_a_lock_the_server_would_not_wait_for_is_waited_out(
    postgres_database_url: str,
) -> None:
    # 55P03: lock_timeout, while another transaction holds the table.
    await upgrade_database(postgres_database_url)
    engine = create_database_engine(postgres_database_url)
    try:
        async with engine.connect() as holder, engine.connect() as waiter:
            await holder.execute(text("LOCK TABLE audit_chain_head IN ACCESS EXCLUSIVE MODE"))
            await waiter.execute(text("SET lock_timeout = 10"))
            with pytest.raises(StoreUnavailableError) as raised:
                async with translate_database_errors("appending to the audit log"):
                    await waiter.execute(text("SELECT * FROM audit_chain_head"))
    finally:
        await engine.dispose()

    assert "gave up on a transaction" in str(raised.value)


async def test_a_file_that_is_not_a_sqlite_database_is_refused(tmp_path: Path) -> None:
    not_a_database = tmp_path / "saattaja.db"
    not_a_database.write_text("organisations: []\n", encoding="utf-8")

    error = await _schema_check_error(f"sqlite+aiosqlite:///{not_a_database}")

    assert isinstance(error, DatabaseRefusedError)
    assert "is not a database" in str(error)


async def test_a_sqlite_file_that_cannot_be_written_is_refused_naming_what_to_check(
    tmp_path: Path,
) -> None:
    # Root writes whatever the file's mode, so SQLite is asked to open the file read-only,
    # as it does for a file or folder the process may not write.
    database = tmp_path / "saattaja.db"
    await upgrade_database(f"sqlite+aiosqlite:///{database}")
    engine = create_async_engine(f"sqlite+aiosqlite:///file:{database}?mode=ro&uri=true")
    try:
        with pytest.raises(StoreUnavailableError) as raised:
            await AuditLog(engine).append([entry()])
    finally:
        await engine.dispose()

    assert isinstance(raised.value, DatabaseRefusedError)
    assert "the SQLite file SAATTAJA_DATABASE_URL names cannot be written" in str(raised.value)
    assert "the owner and mode of the file, of its folder" in str(raised.value)
    assert "-wal and -shm files" in str(raised.value)


async def test_a_sqlite_file_that_cannot_be_opened_is_refused_naming_what_to_check(
    tmp_path: Path,
) -> None:
    # No file where a URI that asks SQLite not to create one points: it cannot be opened,
    # whoever runs it. (A folder there is refused before SQLite is asked.)
    database = tmp_path / "saattaja.db"

    error = await _schema_check_error(f"sqlite+aiosqlite:///file:{database}?mode=ro&uri=true")

    assert isinstance(error, DatabaseRefusedError)
    assert "the SQLite file SAATTAJA_DATABASE_URL names cannot be opened" in str(error)
    assert "the owner and mode of the file, of its folder" in str(error)


def test_a_sqlite_file_under_a_file_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "var").write_text("", encoding="utf-8")

    with pytest.raises(DatabaseRefusedError, match="is a file, not a folder"):
        create_database_engine(f"sqlite+aiosqlite:///{tmp_path / 'var' / 'saattaja.db'}")


def test_a_sqlite_file_to_read_must_be_there(tmp_path: Path) -> None:
    missing = tmp_path / "mistyped" / "saattaja.db"

    with pytest.raises(DatabaseRefusedError, match="there is no SQLite database file at"):
        create_database_engine(f"sqlite+aiosqlite:///{missing}", existing=True)

    assert not missing.parent.exists()


async def test_a_sqlite_file_that_is_there_opens_to_read(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'saattaja.db'}"
    await upgrade_database(url)
    engine = create_database_engine(url, existing=True)
    try:
        await check_database_schema(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def command_settings(monkeypatch: pytest.MonkeyPatch, registry_file: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SAATTAJA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))


@pytest.mark.postgres
@pytest.mark.parametrize("command", [["audit", "verify"], ["audit", "query"], ["db", "upgrade"]])
def test_a_command_on_a_database_that_does_not_exist_says_so_in_one_line(
    command: list[str],
    command_settings: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SAATTAJA_DATABASE_URL", _admin_url(database="no_such_database"))

    assert main(command) == CONFIGURATION_EXIT_STATUS

    err = capsys.readouterr().err
    assert err.startswith("saattaja: error: the database server refused Saattaja")
    assert err.count("\n") == 1
    assert _PASSWORD not in err


@pytest.mark.parametrize(
    "command",
    [
        ["consent", "show", "--client", "150388-9127"],
        ["pathway", "show", "--client", "150388-9127"],
        ["audit", "verify"],
        ["audit", "query"],
        ["indicators", "--quarter", "2025-Q2"],
    ],
)
def test_a_command_on_a_database_not_yet_upgraded_exits_with_the_configuration_status(
    command: list[str],
    command_settings: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    older = older_database(f"sqlite+aiosqlite:///{tmp_path / 'older.db'}")
    monkeypatch.setenv("SAATTAJA_DATABASE_URL", older)
    monkeypatch.setenv("SAATTAJA_PSEUDONYM_SECRET", "refusal-tests-pseudonym-secret-0123456789")

    assert main(command) == CONFIGURATION_EXIT_STATUS

    err = capsys.readouterr().err
    assert err.startswith("saattaja: error: the database schema is at")
    assert "run `saattaja db upgrade`" in err


def test_db_upgrade_of_a_database_a_later_release_upgraded_says_so_in_one_line(
    command_settings: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    later = later_database(f"sqlite+aiosqlite:///{tmp_path / 'later.db'}")
    monkeypatch.setenv("SAATTAJA_DATABASE_URL", later)

    assert main(["db", "upgrade"]) == CONFIGURATION_EXIT_STATUS

    err = capsys.readouterr().err
    assert err.startswith("saattaja: error: the database schema is at")
    assert "come from a later release of Saattaja than this one" in err
    assert err.count("\n") == 1


def test_a_read_only_command_on_a_mistyped_sqlite_path_creates_nothing(
    command_settings: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mistyped = tmp_path / "x" / "saattaja.db"
    monkeypatch.setenv("SAATTAJA_DATABASE_URL", f"sqlite+aiosqlite:///{mistyped}")

    assert main(["audit", "query"]) == CONFIGURATION_EXIT_STATUS

    assert f"there is no SQLite database file at {mistyped}" in capsys.readouterr().err
    assert not mistyped.parent.exists()
