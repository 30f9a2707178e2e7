"""Async engines for SQLite (one machine) and PostgreSQL (production)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import orjson
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import asbool

from consent.database.transactions import attach_sqlite_thread
from consent.errors import DatabaseRefusedError

__all__ = ["create_database_engine", "sqlite_file_path"]


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


# JSON columns through orjson rather than the standard library's json: every audit record,
# consent version and kept document has one, and json was a twentieth of a busy router's
# time. Both read the other's text.
# hide_parameters: a failing statement's error text reaches log lines and messages, and its
# parameters are event content, consent ids and free text.
_ENGINE_OPTIONS: Final[dict[str, Any]] = {
    "json_serializer": _json_text,
    "json_deserializer": orjson.loads,
    "hide_parameters": True,
}


def create_database_engine(url: str, *, existing: bool = False) -> AsyncEngine:
    """An engine for ``url``; for a SQLite file, its folder and the file are created first.

    ``existing``: the SQLite file must be there already, as for a command that only
    reads: SQLite would create a mistyped path's file, empty.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # pool_pre_ping: a PostgreSQL restart must not leave dead connections in the pool,
        # or the router would fail closed longer than the outage.
        # READ COMMITTED whatever the server's default_transaction_isolation: an append waits
        # for the chain head's lock and must then read the head the append before it left.
        # Under REPEATABLE READ or SERIALIZABLE the server refuses that read instead (could
        # not serialize access), and two routers paused each other at most of their appends.
        return create_async_engine(
            url, pool_pre_ping=True, isolation_level="READ COMMITTED", **_ENGINE_OPTIONS
        )
    path = sqlite_file_path(parsed)
    in_file = path is not None
    if path is not None and (existing or not _sqlite_opens_without_creating(parsed)):
        _prepare_sqlite_file(path, existing=existing)
    engine = create_async_engine(url, **_ENGINE_OPTIONS)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    if in_file:
        # An in-memory database is private to its connection: a second engine would see
        # another, empty one.
        attach_sqlite_thread(engine, _sqlite_pragmas, **_ENGINE_OPTIONS)
    return engine


def _sqlite_uri_form(url: URL) -> bool:
    # As SQLAlchemy reads it, so that the two agree on what the URL opens.
    return bool(asbool(url.query.get("uri", False)))


def sqlite_file_path(url: URL) -> Path | None:
    """The file a SQLite URL opens, or None for an in-memory database.

    With ``uri=true`` the database is a SQLite URI (``file:/path.db?mode=rwc``), whose
    ``file:`` and percent-escapes are SQLite's to read, not part of the path.
    """
    database = url.database or ""
    if not _sqlite_uri_form(url) or not database.startswith("file:"):
        return Path(database) if database not in ("", ":memory:") else None
    if url.query.get("mode") == "memory":
        return None
    # SQLite allows an empty authority or localhost only: file:///path, file://localhost/path.
    path = unquote(urlsplit(database).path)
    return Path(path) if path not in ("", ":memory:") else None


def _sqlite_opens_without_creating(url: URL) -> bool:
    # mode=ro and mode=rw ask SQLite not to create the file: neither do we, nor its folder.
    return _sqlite_uri_form(url) and url.query.get("mode") in ("ro", "rw")


def _prepare_sqlite_file(path: Path, *, existing: bool) -> None:
    # The path is named: a SQLite URL holds no password.
    if existing:
        if not path.is_file():
            raise DatabaseRefusedError(
                f"there is no SQLite database file at {path}: check the path in "
                "SAATTAJA_DATABASE_URL, or run `saattaja db upgrade` to create the database"
            )
        return
    if path.is_dir():
        # Refused before SQLite is asked: aiosqlite answers a failed open on the event loop
        # from its thread without being awaited, and a command that exits at once printed
        # that thread's "Event loop is closed" traceback after its error.
        raise DatabaseRefusedError(
            f"{path} is a folder, not a SQLite database file: check the path in "
            "SAATTAJA_DATABASE_URL, which must name the file (e.g. .../saattaja.db)"
        )
    if path.parent.exists() and not path.parent.is_dir():
        raise DatabaseRefusedError(
            f"{path.parent} is a file, not a folder to keep the SQLite database in: check "
            "the path in SAATTAJA_DATABASE_URL"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseRefusedError(
            f"the folder {path.parent} for the SQLite database file cannot be made "
            f"({exc.strerror}): check the path in SAATTAJA_DATABASE_URL"
        ) from exc
    _create_owner_only(path)


def _create_owner_only(path: Path) -> None:
    # Made here rather than by SQLite, which would give the file the process's umask (0644
    # under the usual 022) although it holds identity codes and health data; `saattaja up`
    # and hand runs have no systemd UMask. SQLite gives its -wal and -shm files the main
    # file's mode. An empty file is an empty database to SQLite.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Its mode is the operator's to choose: one who widened it (a backup group) keeps that.
        return
    except OSError as exc:
        raise DatabaseRefusedError(
            f"the SQLite database file {path} cannot be created ({exc.strerror}): check the "
            "path in SAATTAJA_DATABASE_URL"
        ) from exc
    try:
        # Owner read and write whatever the umask: one of 0177 would leave it unwritable.
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    # WAL lets readers (audit queries) run while the router writes; busy_timeout makes a
    # second writer wait rather than fail at once. synchronous=FULL, said rather than left
    # to how SQLite was built: a decision on record must survive a power cut, and offsets
    # are committed on the strength of it.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
