"""Async engines for SQLite (one machine) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from consent.errors import StoreUnavailableError

__all__ = ["create_database_engine", "in_connection", "translate_database_errors"]


def create_database_engine(url: str) -> AsyncEngine:
    """An engine for ``url``; for a SQLite file, its folder is created first."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # pool_pre_ping: a PostgreSQL restart must not leave dead connections in the pool,
        # or the router would fail closed longer than the outage.
        return create_async_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
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


@asynccontextmanager
async def in_connection(
    engine: AsyncEngine, shared: AsyncConnection | None
) -> AsyncIterator[AsyncConnection]:
    """The caller's transaction when it shares one, else a transaction of its own.

    Sharing lets the router write several stores in one transaction, with one commit.
    """
    if shared is not None:
        yield shared
        return
    async with engine.begin() as connection:
        yield connection
