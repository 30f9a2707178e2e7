"""The organisation's side of the tables: add an outbox row, read what arrived.

What a client-records system does in its own transaction, here as functions for the demo,
the tests and an IT team trying the adapter out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from adapters.sql_outbox.database import create_source_engine, unavailable
from adapters.sql_outbox.errors import InvalidRowError
from adapters.sql_outbox.mapping import created_at_of, payload_of
from adapters.sql_outbox.tables import DEFAULT_INBOX_TABLE, DEFAULT_OUTBOX_TABLE, SourceTables

__all__ = ["add_outbox_row", "inbox_rows", "outbox_rows"]


async def add_outbox_row(
    url: str, event_type: str, payload: dict[str, Any], *, table: str = DEFAULT_OUTBOX_TABLE
) -> int:
    """Insert one record for the adapter to publish; its row id."""
    outbox = SourceTables.named(outbox=table).outbox
    statement = (
        sa.insert(outbox).values(event_type=event_type, payload=payload).returning(outbox.c.id)
    )
    engine = create_source_engine(url)
    try:
        async with unavailable(f"adding a row to {table}", url), engine.begin() as connection:
            return int((await connection.execute(statement)).scalar_one())
    finally:
        await engine.dispose()


async def outbox_rows(url: str, *, table: str = DEFAULT_OUTBOX_TABLE) -> list[dict[str, Any]]:
    """Every outbox row in id order, with its sent_at and error.

    A payload that is not a JSON object, or a created_at that is not a time (a system may
    write any text into SQLite), is given as written: those are the rows that failed.
    """
    outbox = SourceTables.named(outbox=table).outbox
    as_written = {"payload", "created_at"}
    query = sa.select(
        *(
            sa.type_coerce(column, sa.Text()).label(column.name)
            if column.name in as_written
            else column
            for column in outbox.columns
        )
    ).order_by(outbox.c.id)
    return [
        row
        | {"payload": _readable(payload_of, row["payload"])}
        | {"created_at": _readable(created_at_of, row["created_at"])}
        for row in await _rows(url, outbox.name, query)
    ]


async def inbox_rows(url: str, *, table: str = DEFAULT_INBOX_TABLE) -> list[dict[str, Any]]:
    """Every received event and notice in arrival order."""
    inbox = SourceTables.named(inbox=table).inbox
    return await _rows(url, inbox.name, sa.select(inbox).order_by(inbox.c.id))


def _readable(read: Callable[[Any], Any], value: Any) -> Any:
    try:
        return read(value)
    except InvalidRowError:
        return value


async def _rows(url: str, name: str, query: sa.Select[Any]) -> list[dict[str, Any]]:
    engine = create_source_engine(url)
    try:
        async with unavailable(f"reading {name}", url), engine.connect() as connection:
            result = await connection.execute(query)
            return [dict(row) for row in result.mappings()]
    finally:
        await engine.dispose()
