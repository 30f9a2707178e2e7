"""The adapter's private SQLite file: local outbox, seen events and parked events.

One file per adapter, beside it, never the consent database: it holds what this
organisation's adapter has accepted but not yet handed to Kafka, and what it has received.
The tables are created when the file is opened. The file carries the version of its layout
(SQLite's ``user_version``): an adapter refuses a file that a newer one wrote, whose
layout it does not know, rather than read it wrongly or lose what it holds. A file of an
older layout is brought up to this one as it is opened.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final, Self

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from adapters.sdk.errors import AdapterConfigurationError, LocalStoreError, SaattajaAdapterError
from schemas import KafkaHeaders

__all__ = ["LAYOUT_VERSION", "AdapterStore", "dump_headers", "load_headers"]

# Times are Unix seconds (REAL): the ages in the health output are differences of them, and
# SQLite has no time zone-aware column type to round-trip.
metadata = MetaData()

outbox_records = Table(
    "adapter_outbox",
    metadata,
    # The sequence is the order of acceptance, which is the order of sending.
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
    Column("record_key", LargeBinary, nullable=False),
    Column("headers", Text, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("accepted_at", Float, nullable=False),
    Column("sent_at", Float, nullable=True),
    Index("ix_adapter_outbox_unsent", "sent_at", "seq"),
)

seen_events = Table(
    "adapter_seen_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("outcome", String(16), nullable=False),
    Column("recorded_at", Float, nullable=False),
)

parked_events = Table(
    "adapter_parked_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=True),
    Column("topic", String(255), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", Integer, nullable=False),
    Column("record_key", LargeBinary, nullable=False),
    Column("headers", Text, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("reason", Text, nullable=False),
    Column("parked_at", Float, nullable=False),
    # A record read again after a crash is parked once.
    UniqueConstraint("topic", "partition", "offset", name="uq_adapter_parked_position"),
)

LAYOUT_VERSION: Final = 2
"""The layout this code writes: 1 before the retry requests, 2 with them. A file from before
versions were stamped reads 0 and is treated as 1."""

# A table of its own rather than a column: opening a state file made before it adds it.
retry_requests = Table(
    "adapter_retry_requests",
    metadata,
    Column("parked_id", Integer, ForeignKey(parked_events.c.id), primary_key=True),
    Column("requested_at", Float, nullable=False),
)


class AdapterStore:
    """The open SQLite file; ``open()`` creates the folder, the file (owner-only) and the
    tables when missing."""

    def __init__(self, path: Path, engine: AsyncEngine) -> None:
        self.path = path
        self._engine = engine

    @classmethod
    async def open(cls, path: Path) -> Self:
        """Open (or create) the file at ``path`` with its tables.

        AdapterConfigurationError when ``path`` is a folder or a newer Saattaja's file: no
        restart would mend either.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalStoreError(
                f"cannot create the folder of the adapter's state file {path} ({exc}): set "
                "SAATTAJA_ADAPTER_STATE_FILE to a path this process may write"
            ) from exc
        _create_owner_only(path)
        # hide_parameters: an error's text becomes a log line, and the parameters are the
        # events', identity codes and free text included.
        engine = create_async_engine(f"sqlite+aiosqlite:///{path}", hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        store = cls(path, engine)
        try:
            async with store.transaction("creating its tables") as connection:
                await _check_layout(connection, path)
                # Every change of layout so far only added tables, which this adds.
                await connection.run_sync(metadata.create_all)
                await connection.exec_driver_sql(f"PRAGMA user_version = {LAYOUT_VERSION}")
        except SaattajaAdapterError:
            await engine.dispose()
            raise
        return store

    async def close(self) -> None:
        """Close every connection to the file."""
        await self._engine.dispose()

    @asynccontextmanager
    async def transaction(self, what: str) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction, committed on success; LocalStoreError naming ``what``."""
        try:
            async with self._engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise LocalStoreError(
                f"the adapter's state file {self.path} failed while {what} ({exc}): check "
                "that the disk is not full and that only one adapter process uses the file"
            ) from exc


def _create_owner_only(path: Path) -> None:
    # Made here rather than by SQLite, which would give the file the process's umask (0644
    # under the usual 022) although it holds the organisation's events about its clients;
    # `saattaja up` and hand runs have no systemd UMask. SQLite gives its -wal and -shm
    # files the main file's mode. An empty file is an empty database to SQLite.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        if path.is_dir():
            # The systemd unit's state directory is easily given for the file in it.
            raise AdapterConfigurationError(
                f"the adapter's state file {path} is a folder: set SAATTAJA_ADAPTER_STATE_FILE "
                f"to the path of a file, such as {path / 'adapter.db'}"
            ) from exc
        # Its mode is the operator's to choose: one who widened it (a backup group) keeps that.
        return
    except OSError as exc:
        raise LocalStoreError(
            f"cannot create the adapter's state file {path} ({exc.strerror}): set "
            "SAATTAJA_ADAPTER_STATE_FILE to a path this process may write"
        ) from exc
    try:
        # Owner read and write whatever the umask: one of 0177 would leave it unwritable.
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


async def _check_layout(connection: AsyncConnection, path: Path) -> None:
    found = (await connection.exec_driver_sql("PRAGMA user_version")).scalar_one()
    if found > LAYOUT_VERSION:
        # A setting to change, not a failure: a restart would find the same file again.
        raise AdapterConfigurationError(
            f"the adapter's state file {path} has layout version {found}, written by a newer "
            f"Saattaja; this one knows layouts up to {LAYOUT_VERSION}. Run the newer version "
            "again (the file may hold events not yet sent or handed over), or point "
            "SAATTAJA_ADAPTER_STATE_FILE elsewhere"
        )


def dump_headers(headers: KafkaHeaders) -> str:
    """Headers as JSON text, values base64 so that every byte comes back as it was."""
    return json.dumps([[name, base64.b64encode(value).decode()] for name, value in headers])


def load_headers(text: str) -> KafkaHeaders:
    """The headers ``dump_headers`` wrote."""
    return tuple((str(name), base64.b64decode(value)) for name, value in json.loads(text))


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    # synchronous=FULL: an accepted record must survive a power cut, not only a crash.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
