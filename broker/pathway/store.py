"""The pathway's state in the shared database: read per wave, written in the wave's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.errors import ReferralIdTakenError, UnreadablePathwayError
from broker.pathway.pathway import (
    AppliedEvent,
    CaseManager,
    ClientPathway,
    Document,
    PathwayChanges,
)
from broker.pathway.referrals import Referral, ReferralClaim, ReferralState
from broker.pathway.tables import (
    pathway_assessments,
    pathway_case_managers,
    pathway_documents,
    pathway_episodes,
    pathway_events,
    pathway_handovers,
    pathway_hints,
    pathway_referral_claims,
    pathway_referrals,
)
from consent.audit import refusing_unreadable_values
from consent.database import (
    insert_or_update,
    insert_unless_present,
    pairs_in,
    run_transaction,
    translate_database_errors,
)
from schemas import DataCategory, DocumentPart, KafkaRecord

__all__ = ["HandoverFact", "HintFact", "PathwayStore"]


@dataclass(frozen=True, slots=True)
class HintFact:
    """A hint the router sent."""

    event_id: uuid.UUID
    client: str
    recipient: str
    assessment_event_id: uuid.UUID
    kind: str
    moment: str
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class HandoverFact:
    """A handover package the router sent."""

    event_id: uuid.UUID
    client: str
    sender: str
    recipient: str
    trigger: str
    items: int
    handed_over_at: datetime


def _unreadable_pathway(what: str) -> Exception:
    # The pathway tables are not chained: verify cannot name the row, so say what to do.
    return UnreadablePathwayError(
        f"{what}: a row of the pathway tables (pathway_*) holds a value that cannot be "
        "read back, changed after it was written (SQLite keeps any text in a time or "
        "JSON column): put the value back as it was, or restore the database from a "
        "backup taken before the change"
    )


def _refusing_unreadable_values(what: str) -> AbstractContextManager[None]:
    """UnreadablePathwayError for a stored value that cannot be read back."""
    return refusing_unreadable_values(what, refusal=_unreadable_pathway)


class PathwayStore:
    """Referrals, case managers, documents and facts of every client, by pseudonym."""

    __slots__ = ("_engine",)

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def load(
        self,
        clients: Collection[str],
        event_ids: Iterable[uuid.UUID],
        *,
        case_managers: bool = True,
    ) -> tuple[dict[str, ClientPathway], dict[uuid.UUID, AppliedEvent]]:
        """Each client's pathway, and which of the events were applied (with refusals and digests).

        Routing does not read the case managers (events only replace them), so it passes
        ``case_managers=False`` and saves a statement per wave.
        """
        ordered = sorted(clients)
        pathways = {client: ClientPathway(client) for client in ordered}
        wanted = sorted({str(event_id) for event_id in event_ids})
        if not ordered and not wanted:
            return pathways, {}

        def read(connection: Connection) -> dict[uuid.UUID, AppliedEvent]:
            applied: dict[uuid.UUID, AppliedEvent] = {}
            if wanted:
                columns = pathway_events.c
                query = sa.select(
                    columns.event_id, columns.refused_reason, columns.content_digest
                ).where(columns.event_id.in_(wanted))
                applied = {
                    uuid.UUID(event_id): AppliedEvent(reason, digest)
                    for event_id, reason, digest in connection.execute(query)
                }
            if ordered:
                _read_pathways(connection, pathways, case_managers=case_managers)
            return applied

        what = "reading clients' pathways"
        with _refusing_unreadable_values(what):
            async with translate_database_errors(what):
                applied = await run_transaction(self._engine, read)
        return pathways, applied

    async def save(
        self,
        changes: PathwayChanges,
        hints: Sequence[HintFact] = (),
        handovers: Sequence[HandoverFact] = (),
    ) -> None:
        """Write a wave's changes in one transaction."""
        async with translate_database_errors("recording clients' pathways"):
            await run_transaction(
                self._engine,
                lambda connection: self.save_in(connection, changes, hints, handovers),
            )

    @staticmethod
    def save_in(
        connection: Connection,
        changes: PathwayChanges,
        hints: Sequence[HintFact] = (),
        handovers: Sequence[HandoverFact] = (),
    ) -> None:
        """``save`` as work in the caller's transaction."""
        if changes.events:
            # An event refused before and applied again replaces its refusal.
            connection.execute(
                insert_or_update(pathway_events, connection.dialect.name, ("event_id",)),
                [
                    {
                        "event_id": str(event_id),
                        "refused_reason": applied.refused,
                        "content_digest": applied.content_digest,
                    }
                    for event_id, applied in changes.events.items()
                ],
            )
        _replace_referrals(connection, changes.referrals.values())
        _replace_documents(connection, changes.documents)
        _replace_case_managers(connection, changes.case_managers)
        _insert_facts(connection, changes, hints, handovers)

    @staticmethod
    def claim_in(connection: Connection, claims: Collection[ReferralClaim]) -> None:
        """Claim each referral id for its client, in the caller's transaction.

        A claim already there for the same client stands (a request routed again). Raises
        ReferralIdTakenError when one is there for another client: call it where two
        router processes are serialised (after the audit log's lock), so that the second
        finds the first's claim.
        """
        if not claims:
            return
        connection.execute(
            insert_unless_present(pathway_referral_claims, connection.dialect.name),
            [
                {
                    "requester": claim.requester,
                    "referral_id": claim.referral_id,
                    "client": claim.client,
                    "requested_event_id": str(claim.requested_event_id),
                }
                for claim in claims
            ],
        )
        columns = pathway_referral_claims.c
        with _refusing_unreadable_values("reading the referral ids claimed"):
            rows = connection.execute(
                sa.select(pathway_referral_claims).where(
                    pairs_in(columns.requester, columns.referral_id, [c.key for c in claims])
                )
            ).mappings()
            on_record = {(row["requester"], row["referral_id"]): _claim(row) for row in rows}
        taken = {
            claim.key: on_record[claim.key]
            for claim in claims
            if on_record[claim.key].client != claim.client
        }
        if taken:
            raise ReferralIdTakenError(taken)

    async def referrals(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], Referral]:
        """The referrals under these keys (requester, referral id), whichever their client."""
        if not keys:
            return {}
        columns = pathway_referrals.c
        what = "reading referrals by their ids"
        with _refusing_unreadable_values(what):
            rows = await self._rows(
                sa.select(pathway_referrals).where(
                    pairs_in(columns.requester, columns.referral_id, keys)
                ),
                what,
            )
            return {referral.key: referral for referral in map(_referral, rows)}

    async def _rows(self, query: sa.Select[Any], what: str) -> Sequence[sa.RowMapping]:
        """The rows ``query`` selects, read in a transaction of their own."""
        async with translate_database_errors(what):
            return await run_transaction(
                self._engine, lambda connection: connection.execute(query).mappings().all()
            )

    async def due_referrals(
        self, now: datetime, limit: int, *, after: tuple[str, str] | None = None
    ) -> list[Referral]:
        """Unanswered referrals whose next overdue notice or expiry is due at ``now``.

        At most ``limit``, in the order of their keys (requester, referral id), from the
        first key after ``after``: a scan pages through them all however many are due.
        """
        columns = pathway_referrals.c
        query = (
            sa.select(pathway_referrals)
            .where(
                columns.state == ReferralState.REQUESTED.value,
                sa.or_(columns.next_escalation_at <= now, columns.expires_at <= now),
            )
            .order_by(columns.requester, columns.referral_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(sa.tuple_(columns.requester, columns.referral_id) > after)
        what = "reading overdue referrals"
        with _refusing_unreadable_values(what):
            return [_referral(row) for row in await self._rows(query, what)]

    async def records(
        self, documents: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], KafkaRecord]:
        """The records kept in these (client, slot)s; a slot emptied meanwhile is left out."""
        if not documents:
            return {}
        columns = pathway_documents.c
        what = "reading documents to hand over"
        with _refusing_unreadable_values(what):
            rows = await self._rows(
                sa.select(pathway_documents).where(
                    pairs_in(columns.client, columns.slot, documents)
                ),
                what,
            )
            found = {(row["client"], row["slot"]): _document(row).record for row in rows}
        return {key: record for key, record in found.items() if record is not None}

    async def documents_older_than(
        self, cutoff: datetime, limit: int, *, after: tuple[str, str] | None = None
    ) -> list[tuple[str, str]]:
        """The (client, slot)s of documents whose own time is before ``cutoff``.

        At most ``limit``, in key order from the first after ``after``, as due_referrals pages.
        """
        columns = pathway_documents.c
        query = (
            sa.select(columns.client, columns.slot)
            .where(columns.occurred_at < cutoff)
            .order_by(columns.client, columns.slot)
            .limit(limit)
        )
        if after is not None:
            query = query.where(sa.tuple_(columns.client, columns.slot) > after)
        what = "reading the documents kept longer than the retention"
        with _refusing_unreadable_values(what):
            return [(row["client"], row["slot"]) for row in await self._rows(query, what)]

    async def remove_documents(
        self, documents: Collection[tuple[str, str]], *, older_than: datetime
    ) -> int:
        """Remove these (client, slot)s' documents, unless replaced since by a newer one."""
        if not documents:
            return 0
        columns = pathway_documents.c
        statement = sa.delete(pathway_documents).where(
            pairs_in(columns.client, columns.slot, documents), columns.occurred_at < older_than
        )
        async with translate_database_errors("removing documents kept longer than the retention"):
            return await run_transaction(
                self._engine, lambda connection: connection.execute(statement).rowcount
            )

    async def document(self, client: str, slot: str) -> Document | None:
        """One document of one client."""
        query = sa.select(pathway_documents).where(
            pathway_documents.c.client == client, pathway_documents.c.slot == slot
        )
        what = "reading a client's document"
        with _refusing_unreadable_values(what):
            async with translate_database_errors(what):
                row = await run_transaction(
                    self._engine, lambda connection: connection.execute(query).mappings().first()
                )
            return None if row is None else _document(row)

    @staticmethod
    def escalated_in(
        connection: Connection, before: Referral, after: Referral, *, remove_slot: str | None
    ) -> bool:
        """Move a referral from ``before`` to ``after`` unless another process already did.

        Work in the caller's transaction.
        """
        columns = pathway_referrals.c
        result = connection.execute(
            sa.update(pathway_referrals)
            .where(
                columns.requester == before.requester,
                columns.referral_id == before.referral_id,
                columns.state == before.state.value,
                columns.escalations == before.escalations,
            )
            .values(
                state=after.state.value,
                escalations=after.escalations,
                next_escalation_at=after.next_escalation_at,
                answered_at=after.answered_at,
            )
        )
        if remove_slot is not None and result.rowcount:
            connection.execute(
                sa.delete(pathway_documents).where(
                    pathway_documents.c.client == before.client,
                    pathway_documents.c.slot == remove_slot,
                )
            )
        return bool(result.rowcount)


def _replace_referrals(connection: Connection, referrals: Iterable[Referral]) -> None:
    rows = [_referral_row(referral) for referral in referrals]
    if not rows:
        return
    # The escalation count is the overdue watch's alone: a wave's copy may be one behind.
    # A referral is never handed to another client: two router processes may both let
    # one requester's referral id through for two clients, and the first keeps it.
    statement = insert_or_update(
        pathway_referrals,
        connection.dialect.name,
        ("requester", "referral_id"),
        keep=("escalations",),
        same=("client",),
    )
    connection.execute(statement, rows)


def _replace_documents(
    connection: Connection, documents: dict[tuple[str, str], Document | None]
) -> None:
    emptied = [key for key, document in documents.items() if document is None]
    if emptied:
        columns = pathway_documents.c
        connection.execute(
            sa.delete(pathway_documents).where(pairs_in(columns.client, columns.slot, emptied))
        )
    rows = [
        _document_row(client, document)
        for (client, _slot), document in documents.items()
        if document is not None
    ]
    if rows:
        statement = insert_or_update(pathway_documents, connection.dialect.name, ("client", "slot"))
        connection.execute(statement, rows)


def _replace_case_managers(connection: Connection, managers: dict[str, CaseManager | None]) -> None:
    if not managers:
        return
    connection.execute(
        sa.delete(pathway_case_managers).where(pathway_case_managers.c.client.in_(list(managers)))
    )
    rows = [
        {
            "client": client,
            "episode_id": manager.episode_id,
            "name": manager.name,
            "role": manager.role,
            "organisation": manager.organisation,
            "assigned_by": manager.assigned_by,
            "assigned_at": manager.assigned_at,
        }
        for client, manager in managers.items()
        if manager is not None
    ]
    if rows:
        connection.execute(pathway_case_managers.insert(), rows)


def _insert_facts(
    connection: Connection,
    changes: PathwayChanges,
    hints: Sequence[HintFact],
    handovers: Sequence[HandoverFact],
) -> None:
    dialect = connection.dialect.name
    facts: list[tuple[sa.Table, list[dict[str, Any]]]] = [
        (
            pathway_assessments,
            [
                {
                    "event_id": str(fact.event_id),
                    "client": fact.client,
                    "organisation": fact.organisation,
                    "kind": fact.kind,
                    "recorded_at": fact.recorded_at,
                    "duplicate_of": None if fact.duplicate_of is None else str(fact.duplicate_of),
                }
                for fact in changes.assessments
            ],
        ),
        (
            pathway_episodes,
            [
                {
                    "event_id": str(fact.event_id),
                    "client": fact.client,
                    "organisation": fact.organisation,
                    "episode_id": fact.episode_id,
                    "outcome": fact.outcome,
                    "closed_at": fact.closed_at,
                }
                for fact in changes.episodes
            ],
        ),
        (
            pathway_hints,
            [
                {
                    "event_id": str(fact.event_id),
                    "client": fact.client,
                    "recipient": fact.recipient,
                    "assessment_event_id": str(fact.assessment_event_id),
                    "kind": fact.kind,
                    "moment": fact.moment,
                    "sent_at": fact.sent_at,
                }
                for fact in hints
            ],
        ),
        (
            pathway_handovers,
            [
                {
                    "event_id": str(fact.event_id),
                    "client": fact.client,
                    "sender": fact.sender,
                    "recipient": fact.recipient,
                    "trigger": fact.trigger,
                    "items": fact.items,
                    "handed_over_at": fact.handed_over_at,
                }
                for fact in handovers
            ],
        ),
    ]
    for table, rows in facts:
        if rows:
            connection.execute(insert_unless_present(table, dialect), rows)


def _read_pathways(
    connection: Connection, pathways: dict[str, ClientPathway], *, case_managers: bool
) -> None:
    """Fill each client's pathway (by pseudonym) from the store."""
    ordered = sorted(pathways)
    referrals = connection.execute(
        sa.select(pathway_referrals).where(pathway_referrals.c.client.in_(ordered))
    )
    for row in referrals.mappings():
        referral = _referral(row)
        pathways[referral.client].referrals[referral.key] = referral
    documents = connection.execute(
        sa.select(*_DOCUMENT_FIELDS).where(pathway_documents.c.client.in_(ordered))
    )
    for row in documents.mappings():
        pathways[row["client"]].documents[row["slot"]] = _document(row)
    if case_managers:
        managers = connection.execute(
            sa.select(pathway_case_managers).where(pathway_case_managers.c.client.in_(ordered))
        )
        for row in managers.mappings():
            pathways[row["client"]].case_manager = _case_manager(row)


def _claim(row: sa.RowMapping) -> ReferralClaim:
    return ReferralClaim(
        requester=row["requester"],
        referral_id=row["referral_id"],
        client=row["client"],
        requested_event_id=uuid.UUID(row["requested_event_id"]),
    )


def _referral(row: sa.RowMapping) -> Referral:
    return Referral(
        requester=row["requester"],
        referral_id=row["referral_id"],
        client=row["client"],
        receiver=row["receiver"],
        state=ReferralState(row["state"]),
        responsible=row["responsible"],
        requested_event_id=uuid.UUID(row["requested_event_id"]),
        requested_at=row["requested_at"],
        due_at=row["due_at"],
        expires_at=row["expires_at"],
        next_escalation_at=row["next_escalation_at"],
        escalations=row["escalations"],
        answered_at=row["answered_at"],
        completed_at=row["completed_at"],
        reason=row["reason"],
    )


def _referral_row(referral: Referral) -> dict[str, Any]:
    return {
        "requester": referral.requester,
        "referral_id": referral.referral_id,
        "client": referral.client,
        "receiver": referral.receiver,
        "state": referral.state.value,
        "responsible": referral.responsible,
        "requested_event_id": str(referral.requested_event_id),
        "requested_at": referral.requested_at,
        "due_at": referral.due_at,
        "expires_at": referral.expires_at,
        "next_escalation_at": referral.next_escalation_at,
        "escalations": referral.escalations,
        "answered_at": referral.answered_at,
        "completed_at": referral.completed_at,
        "reason": referral.reason,
    }


# Every column but the record's: a wave reads what decisions need, not the documents.
_DOCUMENT_FIELDS = tuple(
    column for column in pathway_documents.c if not column.name.startswith("record_")
)


def _document(row: sa.RowMapping) -> Document:
    record = None
    if "record_value" in row:
        record = KafkaRecord(
            key=row["record_key"],
            headers=tuple((name, value.encode()) for name, value in row["record_headers"]),
            value=row["record_value"],
        )
    return Document(
        slot=row["slot"],
        event_id=uuid.UUID(row["event_id"]),
        event_type=row["event_type"],
        sender=row["sender"],
        occurred_at=row["occurred_at"],
        category=DataCategory(row["category"]),
        document_id=row["document_id"],
        parts=tuple(_part(*part) for part in row["parts"]),
        record=record,
    )


def _part(document_id: str, category: str, recorded_by: str | None = None) -> DocumentPart:
    # Parts kept before their custodian was (two items) read as the sender's own.
    return DocumentPart(document_id, DataCategory(category), recorded_by)


def _document_row(client: str, document: Document) -> dict[str, Any]:
    if document.record is None:
        # Only a document an event has just put in its slot is written, with its record.
        raise ValueError(f"document {document.event_id} has no record to keep")
    return {
        "client": client,
        "slot": document.slot,
        "event_id": str(document.event_id),
        "event_type": document.event_type,
        "sender": document.sender,
        "occurred_at": document.occurred_at,
        "category": document.category.value,
        "document_id": document.document_id,
        "parts": [
            [part.document_id, part.category.value, part.recorded_by] for part in document.parts
        ],
        "record_key": document.record.key,
        # CloudEvents headers are text; JSON keeps them readable to a person with SQL.
        "record_headers": [[name, value.decode()] for name, value in document.record.headers],
        "record_value": document.record.value,
    }


def _case_manager(row: sa.RowMapping) -> CaseManager:
    return CaseManager(
        episode_id=row["episode_id"],
        name=row["name"],
        role=row["role"],
        organisation=row["organisation"],
        assigned_by=row["assigned_by"],
        assigned_at=row["assigned_at"],
    )
