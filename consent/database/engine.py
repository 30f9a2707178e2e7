"""Async engines for SQLite (one machine) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from consent.database.transactions import attach_sqlite_thread
from consent.errors import StoreUnavailableError

__all__ = ["create_database_engine", "translate_database_errors"]


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


# JSON columns through orjson rather than the standard library's json: every audit record,
# consent version and kept document has one, and json was a twentieth of a busy router's
# time. Both read the other's text.
_JSON_COLUMNS: Final[dict[str, Any]] = {
    "json_serializer": _json_text,
    "json_deserializer": orjson.loads,
}


def create_database_engine(url: str) -> AsyncEngine:
    """An engine for ``url``; for a SQLite file, its folder is created first."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # pool_pre_ping: a PostgreSQL restart must not leave dead connections in the pool,
        # or the router would fail closed longer than the outage.
        return create_async_engine(url, pool_pre_ping=True, **_JSON_COLUMNS)
    in_file = bool(parsed.database) and parsed.database != ":memory:"
    if in_file:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **_JSON_COLUMNS)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    if in_file:
        # An in-memory database is private to its connection: a second engine would see
        # another, empty one.
        attach_sqlite_thread(engine, _sqlite_pragmas, **_JSON_COLUMNS)
    return engine


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


@asynccontextmanager
async def translate_database_errors(what: str) -> AsyncIterator[None]:
    """Turn a lost connection into StoreUnavailableError, naming what was being done."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailableError(
            f"the database did not answer while {what}: {exc.orig or exc}; check "
            "SAATTAJA_DATABASE_URL and that the server is running"
        ) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StoreUnavailableError(
                f"the database connection was lost while {what}; check the server"
            ) from exc
        raise
    except OSError as exc:
        raise StoreUnavailableError(
            f"the database could not be reached while {what}: {exc}; check "
            "SAATTAJA_DATABASE_URL and that the server is running"
        ) from exc
