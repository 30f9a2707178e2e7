"""Which (event, recipient) deliveries have been acknowledged by Kafka.

Written in the transaction that records a wave's pathway, after Kafka acknowledged the
deliveries. An event routed again after a crash needs no lookup here (its pathway record
says it went out with these rows); the ledger is consulted for what is sent again later to
someone new: handover items and overdue notices. Only a crash between Kafka's
acknowledgement and that transaction can deliver something twice, and the adapters drop
such duplicates by event id.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import datetime
from functools import partial

from sqlalchemy import Column, PrimaryKeyConstraint, String, Table, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.database import (
    UtcDateTime,
    insert_unless_present,
    metadata,
    run_transaction,
    translate_database_errors,
)

__all__ = ["DeliveryLedger", "deliveries"]

deliveries = Table(
    "router_deliveries",
    metadata,
    Column("event_id", String(36), nullable=False),
    Column("recipient", String(128), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("event_id", "recipient"),
)


class DeliveryLedger:
    """Delivered (event id, recipient OID) pairs, in the shared database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def delivered(self, event_ids: Iterable[uuid.UUID]) -> frozenset[tuple[uuid.UUID, str]]:
        """The (event id, recipient OID) pairs among these events already in an inbox."""
        async with translate_database_errors("reading the delivery ledger"):
            return await run_transaction(
                self._engine, partial(self.delivered_in, event_ids=event_ids)
            )

    @staticmethod
    def delivered_in(
        connection: Connection, event_ids: Iterable[uuid.UUID]
    ) -> frozenset[tuple[uuid.UUID, str]]:
        """``delivered`` as work in the caller's transaction."""
        query = select(deliveries.c.event_id, deliveries.c.recipient).where(
            deliveries.c.event_id.in_(sorted({str(event_id) for event_id in event_ids}))
        )
        rows = connection.execute(query).all()
        return frozenset((uuid.UUID(event_id), recipient) for event_id, recipient in rows)

    async def record(self, pairs: Collection[tuple[uuid.UUID, str]], at: datetime) -> None:
        """Note deliveries Kafka has acknowledged; recording one twice is harmless."""
        if pairs:
            async with translate_database_errors("writing the delivery ledger"):
                await run_transaction(self._engine, partial(self.record_in, pairs=pairs, at=at))

    @staticmethod
    def record_in(
        connection: Connection, pairs: Collection[tuple[uuid.UUID, str]], at: datetime
    ) -> None:
        """``record`` as work in the caller's transaction."""
        if not pairs:
            return
        # In one order, so that two routers writing the same pairs never deadlock.
        rows = [
            {"event_id": str(event_id), "recipient": recipient, "delivered_at": at}
            for event_id, recipient in sorted(pairs)
        ]
        connection.execute(insert_unless_present(deliveries, connection.dialect.name), rows)
