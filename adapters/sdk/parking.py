"""What the receiver remembers: events already handled or parked, and the parked records."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.sqlite import Insert, insert

from adapters.sdk.store import (
    AdapterStore,
    dump_headers,
    load_headers,
    parked_events,
    retry_requests,
    seen_events,
)
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
    parked_id: int
    """Its row in the state file."""
    retry_requested: bool = False
    """Integration staff asked for it to be handed to the system again."""


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

    async def parked(self, *, retry_requested_only: bool = False) -> list[ParkedEvent]:
        """Every parked record, oldest first; or only those whose retry was asked for."""
        requested = retry_requests.c.parked_id.is_not(None).label("retry_requested")
        query = (
            select(parked_events, requested)
            .outerjoin(retry_requests, retry_requests.c.parked_id == parked_events.c.id)
            .order_by(parked_events.c.id)
        )
        if retry_requested_only:
            query = query.where(retry_requests.c.parked_id.is_not(None))
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
                parked_id=row.id,
                retry_requested=bool(row.retry_requested),
            )
            for row in rows
        ]

    async def request_retry(self, parked: Collection[ParkedEvent]) -> None:
        """Ask the running receiver to hand these parked records to the system again."""
        rows = [{"parked_id": event.parked_id, "requested_at": time.time()} for event in parked]
        if not rows:
            return
        async with self._store.transaction("asking for parked events again") as connection:
            await connection.execute(insert(retry_requests).on_conflict_do_nothing(), rows)

    async def taken_on_retry(self, parked: ParkedEvent) -> None:
        """The system took a parked record at last: it is parked no more, and seen as handled."""
        async with self._store.transaction("unparking an event the system took") as connection:
            await connection.execute(
                delete(retry_requests).where(retry_requests.c.parked_id == parked.parked_id)
            )
            await connection.execute(
                delete(parked_events).where(parked_events.c.id == parked.parked_id)
            )
            if parked.event_id is not None:
                await connection.execute(self._seen(parked.event_id, ReceivedOutcome.HANDLED))

    async def refused_on_retry(self, parked: ParkedEvent, reason: str) -> None:
        """The system refused a parked record again: it stays parked, with the new reason."""
        async with self._store.transaction("parking an event again") as connection:
            await connection.execute(
                delete(retry_requests).where(retry_requests.c.parked_id == parked.parked_id)
            )
            await connection.execute(
                update(parked_events)
                .where(parked_events.c.id == parked.parked_id)
                .values(reason=reason, parked_at=time.time())
            )

    @staticmethod
    def _seen(event_id: str, outcome: ReceivedOutcome) -> Insert:
        return (
            insert(seen_events)
            .values(event_id=event_id, outcome=outcome.value, recorded_at=time.time())
            .on_conflict_do_update(
                index_elements=[seen_events.c.event_id], set_={"outcome": outcome.value}
            )
        )
