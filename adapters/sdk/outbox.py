"""The durable local outbox: records accepted by the adapter, kept until Kafka acknowledges."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import func, select, update

from adapters.sdk.store import AdapterStore, dump_headers, load_headers, outbox_records
from schemas import KafkaRecord

__all__ = ["LocalOutbox", "OutboxDepth", "StoredRecord"]


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record waiting in the outbox, with its place in the sending order."""

    seq: int
    event_id: str
    record: KafkaRecord


@dataclass(frozen=True, slots=True)
class OutboxDepth:
    """How many records wait for Kafka, and how long the oldest has waited (0 when none)."""

    unsent: int
    oldest_age_seconds: float


class LocalOutbox:
    """Append, read in order, mark sent. Sent records are kept until ``prune_sent``."""

    def __init__(self, store: AdapterStore) -> None:
        self._store = store
        # Set on every append so that the relay sends at once instead of polling the file.
        self.appended = asyncio.Event()

    async def append(self, event_id: str, record: KafkaRecord) -> int:
        """Store a record durably; its sequence number once committed to the file."""
        async with self._store.transaction("storing an event in the outbox") as connection:
            result = await connection.execute(
                outbox_records.insert()
                .values(
                    event_id=event_id,
                    record_key=record.key,
                    headers=dump_headers(record.headers),
                    value=record.value,
                    accepted_at=time.time(),
                )
                .returning(outbox_records.c.seq)
            )
            seq = int(result.scalar_one())
        self.appended.set()
        return seq

    async def unsent(self, limit: int) -> list[StoredRecord]:
        """The oldest ``limit`` unsent records, in the order they were accepted."""
        query = (
            select(
                outbox_records.c.seq,
                outbox_records.c.event_id,
                outbox_records.c.record_key,
                outbox_records.c.headers,
                outbox_records.c.value,
            )
            .where(outbox_records.c.sent_at.is_(None))
            .order_by(outbox_records.c.seq)
            .limit(limit)
        )
        async with self._store.transaction("reading the outbox") as connection:
            rows = (await connection.execute(query)).all()
        return [
            StoredRecord(
                seq=row.seq,
                event_id=row.event_id,
                record=KafkaRecord(
                    key=row.record_key, headers=load_headers(row.headers), value=row.value
                ),
            )
            for row in rows
        ]

    async def mark_sent(self, seqs: list[int]) -> None:
        """Record that Kafka acknowledged these records."""
        if not seqs:
            return
        async with self._store.transaction("marking outbox records sent") as connection:
            await connection.execute(
                update(outbox_records)
                .where(outbox_records.c.seq.in_(seqs))
                .values(sent_at=time.time())
            )

    async def depth(self) -> OutboxDepth:
        """Unsent count and the age of the oldest unsent record."""
        query = select(func.count(), func.min(outbox_records.c.accepted_at)).where(
            outbox_records.c.sent_at.is_(None)
        )
        async with self._store.transaction("measuring the outbox") as connection:
            count, oldest = (await connection.execute(query)).one()
        age = max(0.0, time.time() - oldest) if oldest is not None else 0.0
        return OutboxDepth(unsent=int(count), oldest_age_seconds=age)

    async def prune_sent(self, older_than_seconds: float) -> int:
        """Delete records sent more than ``older_than_seconds`` ago; how many went."""
        cutoff = time.time() - older_than_seconds
        async with self._store.transaction("pruning sent outbox records") as connection:
            result = await connection.execute(
                outbox_records.delete().where(outbox_records.c.sent_at < cutoff)
            )
        return int(result.rowcount)
