"""The organisation's side of the tables: add an outbox row, read what arrived.

What a client-records system does in its own transaction, here as functions for the demo,
the tests and an IT team trying the adapter out.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from adapters.sql_outbox.database import create_source_engine, unavailable
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
    """Every outbox row in id order, with its sent_at and error."""
    return await _rows(url, SourceTables.named(outbox=table).outbox)


async def inbox_rows(url: str, *, table: str = DEFAULT_INBOX_TABLE) -> list[dict[str, Any]]:
    """Every received event and notice in arrival order."""
    return await _rows(url, SourceTables.named(inbox=table).inbox)


async def _rows(url: str, table: sa.Table) -> list[dict[str, Any]]:
    engine = create_source_engine(url)
    try:
        async with unavailable(f"reading {table.name}", url), engine.connect() as connection:
            result = await connection.execute(sa.select(table).order_by(table.c.id))
            return [dict(row) for row in result.mappings()]
    finally:
        await engine.dispose()
