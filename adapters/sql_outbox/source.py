"""Reading the outbox table: pending rows in id order, each marked sent or failed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql_outbox.database import unavailable
from adapters.sql_outbox.mapping import OutboxRow

__all__ = ["FailedRows", "OutboxSource", "PendingRows"]


@dataclass(frozen=True, slots=True)
class FailedRows:
    """Rows that could not become events, for check() to report."""

    count: int
    first_id: int | None
    first_error: str | None


class PendingRows:
    """One transaction's pending rows; marks made here commit together when the block ends."""

    def __init__(self, connection: AsyncConnection, table: sa.Table, rows: list[OutboxRow]):
        self.rows = rows
        self._connection = connection
        self._table = table

    async def mark_sent(self, row_id: int) -> None:
        """The row's event is accepted by the SDK: never read it again."""
        await self._set(row_id, sent_at=datetime.now(UTC))

    async def mark_failed(self, row_id: int, error: str) -> None:
        """The row cannot become an event: keep the reason and stop retrying it."""
        await self._set(row_id, error=error)

    async def _set(self, row_id: int, **values: object) -> None:
        await self._connection.execute(
            sa.update(self._table).where(self._table.c.id == row_id).values(**values)
        )


class OutboxSource:
    """The organisation's outbox table."""

    def __init__(self, engine: AsyncEngine, table: sa.Table, url: str) -> None:
        self._engine = engine
        self._table = table
        self._url = url

    @asynccontextmanager
    async def pending(self, limit: int) -> AsyncIterator[PendingRows]:
        """The oldest ``limit`` pending rows, locked until the block ends.

        FOR UPDATE SKIP LOCKED on PostgreSQL lets a second adapter instance take other rows
        instead of sending the same ones; SQLite ignores it, so there one instance only.
        """
        table = self._table
        query = (
            sa.select(
                table.c.id,
                table.c.event_type,
                # As stored, not through the columns' types: SQLite keeps whatever text a
                # system writes, and a payload that is not JSON (or a time that is not a
                # time) must fail its own row, not every read of the table.
                sa.type_coerce(table.c.payload, sa.Text()).label("payload"),
                sa.type_coerce(table.c.created_at, sa.Text()).label("created_at"),
            )
            .where(table.c.sent_at.is_(None), table.c.error.is_(None))
            .order_by(table.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with (
            unavailable(f"reading {table.name}", self._url),
            self._engine.begin() as connection,
        ):
            result = await connection.execute(query)
            rows = [OutboxRow(*row) for row in result.all()]
            yield PendingRows(connection, table, rows)

    async def failed(self) -> FailedRows:
        """How many rows carry an error, and the first of them."""
        table = self._table
        failed = table.c.error.is_not(None)
        async with (
            unavailable(f"reading {table.name}", self._url),
            self._engine.connect() as connection,
        ):
            count = (
                await connection.execute(sa.select(sa.func.count()).where(failed))
            ).scalar_one()
            first = (
                await connection.execute(
                    sa.select(table.c.id, table.c.error).where(failed).order_by(table.c.id)
                )
            ).first()
        return FailedRows(count, *(first if first else (None, None)))
