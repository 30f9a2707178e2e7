"""Writing the inbox table: each received event or notice once, keyed by its id."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql_outbox.database import unavailable
from adapters.sql_outbox.mapping import InboxRow

__all__ = ["InboxSink"]


class InboxSink:
    """The organisation's inbox table."""

    def __init__(self, engine: AsyncEngine, table: sa.Table, url: str) -> None:
        self._engine = engine
        self._table = table
        self._url = url

    async def write(self, row: InboxRow) -> bool:
        """Insert the row; False when its event id is already there (a redelivery)."""
        values = {
            "event_id": row.event_id,
            "event_type": row.event_type,
            "client": row.client,
            "sender": row.sender,
            "received_at": datetime.now(UTC),
            "payload": row.payload,
        }
        insert = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(self._table).values(values).on_conflict_do_nothing(index_elements=["event_id"])
        )
        async with (
            unavailable(f"writing {self._table.name}", self._url),
            self._engine.begin() as connection,
        ):
            result = await connection.execute(statement)
        return bool(result.rowcount)
