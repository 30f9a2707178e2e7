"""The audit log: append-only, hash-chained, safe to append to from several router processes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from functools import partial
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.audit.chain import ChainFields, canonical_time, with_handover
from consent.audit.chained_tables import (
    UNREADABLE_VALUE,
    advance_chain_head,
    lock_chain_head,
    read_chain_head,
    refusing_unreadable_values,
    verify_chained_table,
)
from consent.audit.filters import AuditFilter
from consent.audit.records import AuditEntry, AuditKey, AuditRecord
from consent.audit.tables import audit_chain_head, audit_records
from consent.audit.verification import ChainAnchor, ChainWalk, VerificationResult
from consent.database import keyset_pages, run_transaction, translate_database_errors
from consent.errors import AuditChainBrokenError, EventIdTakenError
from schemas import DataCategory

__all__ = ["AuditLog"]

_BATCH: Final = 500


class AuditLog:
    """Every consent decision, permit or deny, in the order appended.

    There is no way to change or remove a record here; ``verify`` finds it when anyone does
    so behind the log's back. Every call raises StoreUnavailableError when the database
    does not answer, so that the router stops routing rather than deliver unaudited.
    """

    __slots__ = ("_engine",)

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def append(self, entries: Sequence[AuditEntry]) -> list[AuditRecord]:
        """Record the entries in one transaction; one record per entry, in the same order.

        An entry whose key (``AuditEntry.key``) is already on record is not appended
        again: the record already there is returned in its place, so that a router that
        routes an event again after a crash honours the decision it made the first time.
        Raises EventIdTakenError, appending nothing, when an entry's event id is on record
        for another client: those entries are another event's.
        """
        if not entries:
            return []
        what = f"appending decisions on event {entries[0].event_id} to the audit log"
        async with translate_database_errors(what):
            return await run_transaction(self._engine, partial(_append, entries=entries))

    @staticmethod
    def append_in(connection: Connection, entries: Sequence[AuditEntry]) -> list[AuditRecord]:
        """``append`` as work in the caller's transaction, beside writes that must go with it."""
        return _append(connection, entries) if entries else []

    @staticmethod
    def on_record_in(
        connection: Connection, event_ids: set[uuid.UUID]
    ) -> dict[AuditKey, AuditRecord]:
        """The records of these events, by their keys.

        Work in the caller's transaction: what ``append`` would return in place of an
        entry with one of these keys.
        """
        return _records_of_events(connection, event_ids)

    async def head(self) -> ChainAnchor | None:
        """The sequence and hash of the record appended last; None while the log is empty."""
        async with translate_database_errors("reading the audit log's chain head"):
            sequence, last_hash = await run_transaction(
                self._engine, lambda connection: read_chain_head(connection, audit_chain_head)
            )
        return ChainAnchor(sequence, last_hash) if sequence else None

    async def query(
        self, filters: AuditFilter | None = None, *, batch_size: int = _BATCH
    ) -> AsyncIterator[AuditRecord]:
        """The records that pass ``filters``, by sequence, read ``batch_size`` at a time."""
        conditions = (filters or AuditFilter()).where()
        what = "querying the audit log"
        with refusing_unreadable_values(what):
            async for rows in keyset_pages(
                self._engine,
                audit_records,
                audit_records.c.sequence,
                conditions,
                batch_size=batch_size,
                what=what,
            ):
                for row in rows:
                    yield _stored_record(row)

    async def follow(
        self, after: ChainAnchor | None, *, batch_size: int = _BATCH
    ) -> AsyncGenerator[AuditRecord]:
        """The records appended after ``after`` (all of them for None), each checked first.

        Each record must follow the one before it in the chain, ``after`` included, and
        match its hash: raises AuditChainBrokenError, naming it, at the first that does not,
        so that nothing changed behind the log's back is passed on as if it were whole.
        """
        walk = ChainWalk(after=after)
        sequence = audit_records.c.sequence
        conditions = [] if after is None else [sequence > after.sequence]
        what = "reading the audit log"
        with refusing_unreadable_values(what):
            async for rows in keyset_pages(
                self._engine, audit_records, sequence, conditions, batch_size=batch_size, what=what
            ):
                for row in rows:
                    if not walk.step(_chain_fields(row), row["hash"]):
                        walk.finish(row["sequence"], row["hash"]).raise_if_broken()
                    yield _stored_record(row)

    async def verify(
        self, *, anchors: Sequence[ChainAnchor] = (), batch_size: int = 1000
    ) -> VerificationResult:
        """Walk the chain from the first record; report the first that does not match.

        Each of ``anchors`` (noted from an earlier verify) must still be in the chain with
        the hash noted. Records appended while verify runs are left for the next run: the
        walk ends where the chain head stood when it began.
        """
        return await verify_chained_table(
            self._engine,
            table=audit_records,
            head=audit_chain_head,
            fields_of=_chain_fields,
            walk=ChainWalk(anchors),
            batch_size=batch_size,
        )


def _append(connection: Connection, entries: Sequence[AuditEntry]) -> list[AuditRecord]:
    """``AuditLog.append``'s work, in its transaction."""
    sequence, previous_hash = lock_chain_head(connection, audit_chain_head)
    on_record = _records_of_events(connection, {e.event_id for e in entries})
    holders = {record.event_id: record.client for record in on_record.values()}
    # Checked here, under the chain head's lock, because two router processes can each
    # route one of two events sharing an id before either's routing is recorded. A handed
    # over document is decided again under its own id, and was checked when first routed.
    taken = {
        entry.event_id: holders[entry.event_id]
        for entry in entries
        if not entry.handover and holders.get(entry.event_id, entry.client) != entry.client
    }
    if taken:
        raise EventIdTakenError(taken)
    records: list[AuditRecord] = []
    new_rows: list[dict[str, Any]] = []
    for entry in entries:
        key = entry.key
        record = on_record.get(key)
        if record is None:
            sequence += 1
            record = AuditRecord.chained(entry, sequence=sequence, previous_hash=previous_hash)
            previous_hash = record.hash
            on_record[key] = record  # the same pair twice in one batch: once
            new_rows.append(_row(record))
        records.append(record)
    if new_rows:
        connection.execute(audit_records.insert(), new_rows)
        advance_chain_head(connection, audit_chain_head, sequence, previous_hash)
    return records


def _records_of_events(
    connection: Connection, event_ids: set[uuid.UUID]
) -> dict[AuditKey, AuditRecord]:
    query = sa.select(audit_records).where(
        audit_records.c.event_id.in_(sorted(str(event_id) for event_id in event_ids))
    )
    # The router reads these in every transaction that appends: one guard for the lot.
    with refusing_unreadable_values("reading the audit records of the events in hand"):
        rows = connection.execute(query).mappings().all()
        return {record.key: record for record in map(_record, rows)}


def _row(record: AuditRecord) -> dict[str, Any]:
    return {
        "sequence": record.sequence,
        "event_id": str(record.event_id),
        "event_type": record.event_type,
        "category": record.category.value,
        "client": record.client,
        "sender": record.sender,
        "recipient": record.recipient,
        "decision": record.decision,
        "reason": record.reason,
        "basis": record.basis,
        "removed": list(record.removed),
        "decided_at": record.decided_at,
        "previous_hash": record.previous_hash,
        "hash": record.hash,
        "handover": record.handover,
    }


def _stored_record(row: sa.RowMapping) -> AuditRecord:
    """``_record``, raising AuditChainBrokenError for a row no decision could have written."""
    try:
        return _record(row)
    except UNREADABLE_VALUE as exc:
        # InvalidAuditEntryError too: the log only ever holds entries that passed it.
        raise AuditChainBrokenError(
            f"audit record {row['sequence']} holds a value no decision has, changed after it "
            "was written: run `saattaja audit verify`"
        ) from exc


def _record(row: sa.RowMapping) -> AuditRecord:
    return AuditRecord(
        sequence=row["sequence"],
        event_id=uuid.UUID(row["event_id"]),
        event_type=row["event_type"],
        category=DataCategory(row["category"]),
        client=row["client"],
        sender=row["sender"],
        recipient=row["recipient"],
        decision=row["decision"],
        reason=row["reason"],
        basis=row["basis"],
        removed=tuple(row["removed"]),
        decided_at=row["decided_at"],
        previous_hash=row["previous_hash"],
        hash=row["hash"],
        handover=row["handover"],
    )


def _chain_fields(row: sa.RowMapping) -> ChainFields:
    # Straight from the stored values, not through AuditRecord.
    fields: ChainFields = {
        "sequence": row["sequence"],
        "previous_hash": row["previous_hash"],
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "category": row["category"],
        "client": row["client"],
        "sender": row["sender"],
        "recipient": row["recipient"],
        "decision": row["decision"],
        "reason": row["reason"],
        "basis": row["basis"],
        "removed": row["removed"],
        "decided_at": canonical_time(row["decided_at"]),
    }
    return with_handover(fields, row["handover"])
