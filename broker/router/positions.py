"""How far the router's routing of each outbox partition is on record in the database.

Kafka's committed offsets say what the router's group has routed; this table says what the
database holds of it. The two agree until the database is restored from a backup: Kafka's
offsets then run ahead of what the restored database knows, and the records between are
routed again (see ``broker.router.resumption``). Written in the transaction that records a
batch's routing, so it never runs ahead of what that transaction wrote.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from functools import partial

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.database import (
    UtcDateTime,
    insert_or_update,
    metadata,
    run_transaction,
    translate_database_errors,
)

__all__ = ["RoutedOffsets", "batch_offsets", "routed_offsets"]

_OFFSET = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

routed_offsets = sa.Table(
    "router_offsets",
    metadata,
    # Kafka's longest topic name.
    sa.Column("topic", sa.String(249), nullable=False),
    sa.Column("partition", sa.Integer(), nullable=False),
    sa.Column("next_offset", _OFFSET, nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("topic", "partition", name="pk_router_offsets"),
)


def batch_offsets(records: Collection[tuple[str, int, int]]) -> dict[tuple[str, int], int]:
    """The next offset of each (topic, partition) after these (topic, partition, offset)s."""
    offsets: dict[tuple[str, int], int] = {}
    for topic, partition, offset in records:
        offsets[(topic, partition)] = max(offsets.get((topic, partition), 0), offset + 1)
    return offsets


class RoutedOffsets:
    """The next offset to route of each outbox partition, as the database has it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def of(self, partitions: Collection[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Those of these (topic, partition)s the database has; a partition without: absent."""
        if not partitions:
            return {}
        async with translate_database_errors("reading the routed offsets"):
            return await run_transaction(self._engine, partial(self._of_in, partitions=partitions))

    @staticmethod
    def _of_in(
        connection: Connection, partitions: Collection[tuple[str, int]]
    ) -> dict[tuple[str, int], int]:
        topics = sorted({topic for topic, _ in partitions})
        query = sa.select(
            routed_offsets.c.topic, routed_offsets.c.partition, routed_offsets.c.next_offset
        ).where(routed_offsets.c.topic.in_(topics))
        wanted = set(partitions)
        return {
            (topic, partition): int(offset)
            for topic, partition, offset in connection.execute(query).all()
            if (topic, partition) in wanted
        }

    @staticmethod
    def record_in(
        connection: Connection, offsets: Mapping[tuple[str, int], int], at: datetime
    ) -> None:
        """Note, in the caller's transaction, that routing reached these next offsets.

        Overwritten, not kept at the greatest: after a topic is deleted and created again
        its offsets start at 0, and the row follows them.
        """
        if not offsets:
            return
        # In one order, so that two routers writing the same rows never deadlock.
        rows = [
            {"topic": topic, "partition": partition, "next_offset": offset, "recorded_at": at}
            for (topic, partition), offset in sorted(offsets.items())
        ]
        statement = insert_or_update(
            routed_offsets, connection.dialect.name, ("topic", "partition")
        )
        connection.execute(statement, rows)
