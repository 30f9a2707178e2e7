"""Reading a large table a page at a time, in key order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.database.failures import translate_database_errors

__all__ = ["keyset_pages"]


async def keyset_pages(
    engine: AsyncEngine,
    table: sa.Table,
    key: sa.Column[int],
    conditions: Sequence[sa.ColumnElement[bool]],
    *,
    batch_size: int,
    what: str,
) -> AsyncIterator[Sequence[sa.RowMapping]]:
    """The rows of ``table`` that meet ``conditions``, by ``key``, ``batch_size`` at a time.

    A connection per page: no transaction or cursor stays open while the caller works
    through a page. For append-only tables, whose keys only grow, pages never skip a row.
    """
    after = None
    while True:
        query = sa.select(table).where(*conditions).order_by(key).limit(batch_size)
        if after is not None:
            query = query.where(key > after)
        async with translate_database_errors(what), engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        if rows:
            yield rows
        if len(rows) < batch_size:
            return
        after = rows[-1][key.name]
