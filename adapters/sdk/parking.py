"""What the receiver remembers: events already handled or parked, and the parked records."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import Insert, insert

from adapters.sdk.store import AdapterStore, dump_headers, load_headers, parked_events, seen_events
from schemas import KafkaRecord

__all__ = ["ParkedEvent", "ReceivedEvents", "ReceivedOutcome"]


class ReceivedOutcome(StrEnum):
    """How the receiver finished with an event."""

    HANDLED = "handled"
    PARKED = "parked"


@dataclass(frozen=True, slots=True)
class ParkedEvent:
    """A record the organisation's system did not take, with the reason, kept for a person."""

    event_id: str | None
    topic: str
    partition: int
    offset: int
    record: KafkaRecord
    reason: str
    parked_at: float


class ReceivedEvents:
    """The durable seen-set and the parked records, in the adapter's state file."""

    def __init__(self, store: AdapterStore) -> None:
        self._store = store

    async def outcome(self, event_id: str) -> ReceivedOutcome | None:
        """What became of this event id before, or None for a new one."""
        query = select(seen_events.c.outcome).where(seen_events.c.event_id == event_id)
        async with self._store.transaction("reading the seen events") as connection:
            found = (await connection.execute(query)).scalar_one_or_none()
        return None if found is None else ReceivedOutcome(found)

    async def mark_handled(self, event_id: str) -> None:
        """Remember that the organisation's system took this event."""
        async with self._store.transaction("recording a handled event") as connection:
            await connection.execute(self._seen(event_id, ReceivedOutcome.HANDLED))

    async def park(
        self,
        *,
        event_id: str | None,
        topic: str,
        partition: int,
        offset: int,
        record: KafkaRecord,
        reason: str,
    ) -> None:
        """Keep a record that was not handled, with why; once per topic position."""
        async with self._store.transaction("parking an event") as connection:
            await connection.execute(
                insert(parked_events)
                .values(
                    event_id=event_id,
                    topic=topic,
                    partition=partition,
                    offset=offset,
                    record_key=record.key,
                    headers=dump_headers(record.headers),
                    value=record.value,
                    reason=reason,
                    parked_at=time.time(),
                )
                .on_conflict_do_nothing()
            )
            if event_id is not None:
                await connection.execute(self._seen(event_id, ReceivedOutcome.PARKED))

    async def parked_count(self) -> int:
        """How many records are parked."""
        async with self._store.transaction("counting parked events") as connection:
            count = await connection.execute(select(func.count()).select_from(parked_events))
            return int(count.scalar_one())

    async def parked(self) -> list[ParkedEvent]:
        """Every parked record, oldest first."""
        query = select(parked_events).order_by(parked_events.c.id)
        async with self._store.transaction("reading parked events") as connection:
            rows = (await connection.execute(query)).all()
        return [
            ParkedEvent(
                event_id=row.event_id,
                topic=row.topic,
                partition=row.partition,
                offset=row.offset,
                record=KafkaRecord(
                    key=row.record_key, headers=load_headers(row.headers), value=row.value
                ),
                reason=row.reason,
                parked_at=row.parked_at,
            )
            for row in rows
        ]

    @staticmethod
    def _seen(event_id: str, outcome: ReceivedOutcome) -> Insert:
        return (
            insert(seen_events)
            .values(event_id=event_id, outcome=outcome.value, recorded_at=time.time())
            .on_conflict_do_update(
                index_elements=[seen_events.c.event_id], set_={"outcome": outcome.value}
            )
        )
