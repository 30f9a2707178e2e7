"""The audit log: append-only, hash-chained, safe to append to from several router processes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consent.audit.chain import ChainFields, canonical_time, with_handover
from consent.audit.filters import AuditFilter
from consent.audit.records import AuditEntry, AuditRecord
from consent.audit.tables import CHAIN_HEAD_ID, audit_chain_head, audit_records
from consent.audit.verification import ChainAnchor, ChainWalk, VerificationResult
from consent.database import translate_database_errors
from consent.errors import AuditChainBrokenError
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

        An entry whose (event id, recipient, handover) is already on record is not appended
        again: the record already there is returned in its place, so that a router that
        routes an event again after a crash honours the decision it made the first time.
        """
        if not entries:
            return []
        what = f"appending decisions on event {entries[0].event_id} to the audit log"
        async with translate_database_errors(what), self._engine.begin() as connection:
            sequence, previous_hash = await _lock_head(connection)
            on_record = await _records_of_events(connection, {e.event_id for e in entries})
            records: list[AuditRecord] = []
            new_rows: list[dict[str, Any]] = []
            for entry in entries:
                key = (entry.event_id, entry.recipient, entry.handover)
                record = on_record.get(key)
                if record is None:
                    sequence += 1
                    record = AuditRecord.chained(
                        entry, sequence=sequence, previous_hash=previous_hash
                    )
                    previous_hash = record.hash
                    on_record[key] = record  # the same pair twice in one batch: once
                    new_rows.append(_row(record))
                records.append(record)
            if new_rows:
                await connection.execute(audit_records.insert(), new_rows)
                await connection.execute(
                    sa.update(audit_chain_head)
                    .where(audit_chain_head.c.id == CHAIN_HEAD_ID)
                    .values(sequence=sequence, hash=previous_hash)
                )
        return records

    async def query(
        self, filters: AuditFilter | None = None, *, batch_size: int = _BATCH
    ) -> AsyncIterator[AuditRecord]:
        """The records that pass ``filters``, by sequence, read ``batch_size`` at a time."""
        conditions = (filters or AuditFilter()).where()
        async for rows in self._batches(conditions, batch_size, "querying the audit log"):
            for row in rows:
                yield _record(row)

    async def verify(
        self, *, anchors: Sequence[ChainAnchor] = (), batch_size: int = 1000
    ) -> VerificationResult:
        """Walk the chain from the first record; report the first that does not match.

        Each of ``anchors`` (noted from an earlier verify) must still be in the chain with
        the hash noted. Records appended while verify runs are left for the next run: the
        walk ends where the chain head stood when it began.
        """
        async with (
            translate_database_errors("reading the audit chain head"),
            self._engine.connect() as connection,
        ):
            head_sequence, head_hash = await _head(connection)
        walk = ChainWalk(anchors)
        conditions = [audit_records.c.sequence <= head_sequence]
        async for rows in self._batches(conditions, batch_size, "verifying the audit log"):
            for row in rows:
                if not walk.step(_chain_fields(row), row["hash"]):
                    return walk.finish(head_sequence, head_hash)
        return walk.finish(head_sequence, head_hash)

    async def _batches(
        self, conditions: list[sa.ColumnElement[bool]], batch_size: int, what: str
    ) -> AsyncIterator[Sequence[sa.RowMapping]]:
        # Keyset pages on a connection per page: no transaction or cursor stays open while
        # the caller works through a page, and the log is append-only, so pages never skip.
        after = 0
        while True:
            query = (
                sa.select(audit_records)
                .where(*conditions, audit_records.c.sequence > after)
                .order_by(audit_records.c.sequence)
                .limit(batch_size)
            )
            async with translate_database_errors(what), self._engine.connect() as connection:
                rows = (await connection.execute(query)).mappings().all()
            if rows:
                yield rows
            if len(rows) < batch_size:
                return
            after = rows[-1]["sequence"]


async def _lock_head(connection: AsyncConnection) -> tuple[int, str]:
    """Lock the chain head for this transaction and read it; other appends wait."""
    query = sa.select(audit_chain_head.c.sequence, audit_chain_head.c.hash).where(
        audit_chain_head.c.id == CHAIN_HEAD_ID
    )
    if connection.dialect.name == "sqlite":
        # SQLite has no row locks: BEGIN IMMEDIATE takes the database's write lock before
        # the head is read, and busy_timeout makes every other writer wait its turn. The
        # sqlite3 driver opens transactions only implicitly, before its first write, so
        # this statement is what opens the one engine.begin() commits.
        await connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        query = query.with_for_update()
    return _head_row((await connection.execute(query)).one_or_none())


async def _head(connection: AsyncConnection) -> tuple[int, str]:
    query = sa.select(audit_chain_head.c.sequence, audit_chain_head.c.hash).where(
        audit_chain_head.c.id == CHAIN_HEAD_ID
    )
    return _head_row((await connection.execute(query)).one_or_none())


def _head_row(row: sa.Row[int, str] | None) -> tuple[int, str]:
    if row is None:
        raise AuditChainBrokenError(
            "the audit chain head is missing (table audit_chain_head has no row): the log "
            "was tampered with or not created by `saattaja db upgrade`"
        )
    sequence, head_hash = row
    return int(sequence), head_hash


async def _records_of_events(
    connection: AsyncConnection, event_ids: set[uuid.UUID]
) -> dict[tuple[uuid.UUID, str, str], AuditRecord]:
    query = sa.select(audit_records).where(
        audit_records.c.event_id.in_(sorted(str(event_id) for event_id in event_ids))
    )
    rows = (await connection.execute(query)).mappings().all()
    return {
        (record.event_id, record.recipient, record.handover): record
        for record in map(_record, rows)
    }


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
    # Straight from the stored values, not through AuditRecord: a tampered row must be
    # reported as not matching, not fail to load.
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
