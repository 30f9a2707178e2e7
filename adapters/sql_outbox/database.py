"""Connecting to the organisation's database, and saying in words when it does not answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.sdk import AdapterConfigurationError
from adapters.sql_outbox.errors import SourceRefusedError, SourceUnavailableError
from broker.database_urls import (
    UnsupportedDatabaseError,
    printable_database_url,
    with_async_driver,
)
from consent.database import sqlite_file_path

__all__ = ["create_source_engine", "missing_sqlite_file", "unavailable"]


def create_source_engine(url: str) -> AsyncEngine:
    """An engine for the organisation's database; connects only when first used."""
    try:
        # pool_pre_ping: a database restart must not leave dead connections in the pool.
        # hide_parameters: an error's text becomes a parked reason and a log line, and the
        # parameters are the event's, identity code and free text included.
        async_url = with_async_driver(url)
        backend = make_url(async_url).get_backend_name()
        engine = create_async_engine(
            async_url, pool_pre_ping=backend == "postgresql", hide_parameters=True
        )
    except UnsupportedDatabaseError as exc:
        driver = "" if exc.driver is None else f" with the driver {exc.driver}"
        raise AdapterConfigurationError(
            f"SAATTAJA_SQL_OUTBOX_DATABASE_URL names a {exc.backend} database{driver}; this "
            "adapter speaks PostgreSQL (postgresql+asyncpg://user@host/db) and SQLite "
            "(sqlite+aiosqlite:///path/to/file.db)"
        ) from exc
    except (ArgumentError, ImportError) as exc:
        raise AdapterConfigurationError(
            f"SAATTAJA_SQL_OUTBOX_DATABASE_URL is not a usable async URL ({exc}): use "
            "postgresql+asyncpg://user@host/db or sqlite+aiosqlite:///path/to/file.db"
        ) from exc
    if backend == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_busy_timeout)
    return engine


def missing_sqlite_file(engine: AsyncEngine) -> str | None:
    """Why the SQLite file the URL names is not there; None when it is, or for PostgreSQL.

    Connecting would make an empty one at a mistyped path, and the tables would then be
    reported missing from a database nobody meant.
    """
    url = engine.url
    path = sqlite_file_path(url) if url.get_backend_name() == "sqlite" else None
    if path is None or path.exists():
        return None
    return (
        f"there is no SQLite database at {path}: check the path in "
        "SAATTAJA_SQL_OUTBOX_DATABASE_URL, or make it with adapters.sql_outbox.create_tables(url)"
    )


def _sqlite_busy_timeout(connection: Any, _record: Any) -> None:
    # The organisation's system writes the same file: wait for its lock rather than fail.
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@asynccontextmanager
async def unavailable(what: str, url: str) -> AsyncIterator[None]:
    """Turn a database that does not answer into SourceUnavailableError naming ``what``."""
    where = printable_database_url(url)
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise SourceUnavailableError(
            f"the database {where} did not answer while {what}: {exc.orig or exc}; check "
            "SAATTAJA_SQL_OUTBOX_DATABASE_URL and that the server is running"
        ) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise SourceUnavailableError(
                f"the connection to {where} was lost while {what}: check "
                "SAATTAJA_SQL_OUTBOX_DATABASE_URL and that the server is running"
            ) from exc
        if exc.statement is None:
            # Raised while connecting, before any statement: the server turned away the
            # user, password or database the URL names (asyncpg's errors are no
            # OperationalError).
            raise SourceRefusedError(
                f"the database {where} refused the connection while {what}: "
                f"{exc.orig or exc}; check the user, password and database name in "
                "SAATTAJA_SQL_OUTBOX_DATABASE_URL"
            ) from exc
        raise
    except OSError as exc:
        raise SourceUnavailableError(
            f"the database {where} could not be reached while {what}: {exc}; check "
            "SAATTAJA_SQL_OUTBOX_DATABASE_URL and that the server is running"
        ) from exc
