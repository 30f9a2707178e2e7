"""The consent store: every consent event the router applies, kept as an append-only history."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.audit import (
    ChainAnchor,
    ChainWalk,
    VerificationResult,
    advance_chain_head,
    chain_hash,
    lock_chain_head,
    refusing_unreadable_values,
    verify_chained_table,
)
from consent.database import keyset_pages, run_transaction, translate_database_errors
from consent.decisions import (
    ClientConsents,
    ConsentGrant,
    ConsentRevocation,
    ConsentVersion,
    consent_version,
)
from consent.store.chain import ConsentChainFields, consent_chain_fields
from consent.store.history_filter import ConsentHistoryFilter
from consent.store.tables import GRANTED, REVOKED, consent_chain_head, consent_versions
from schemas import ConsentGranted, ConsentRevoked, ConsentRule, check_pseudonym

__all__ = ["AppliedConsents", "ChainedVersion", "ConsentStore"]

_ConsentsRead = tuple[list[tuple[str, int]], dict[int, ConsentVersion], list[sa.RowMapping]]
"""Each client's version sequences, the versions already kept, the rows of the others."""


@dataclass(frozen=True, slots=True)
class AppliedConsents:
    """What applying a run of consent events did."""

    recorded: int
    """How many were new to the store."""
    refused: tuple[int, ...] = ()
    """The positions of the events that carry another consent event's id: not applied."""
    taken: tuple[tuple[int, str], ...] = ()
    """The positions of the grants under a consent id that another organisation recorded
    first for the client, each with that organisation's OID: not applied."""
    unmatched: tuple[int, ...] = ()
    """The positions of the revocations under a consent id that no grant of the client had
    when they were recorded, whether now or before: kept, but most likely mistyped."""


@dataclass(frozen=True, slots=True)
class ChainedVersion:
    """A grant or revocation as the store keeps it: the values its hash covers, and the hash."""

    fields: ConsentChainFields
    hash: str


class ConsentStore:
    """Consents and refusals of every client, by pseudonym; rows are only ever added.

    Every call raises StoreUnavailableError when the database does not answer, so that the
    router stops routing rather than decide without the client's consents.
    """

    __slots__ = ("_engine", "_read", "_remember")

    def __init__(self, engine: AsyncEngine, *, remember_versions: int = 10_000) -> None:
        self._engine = engine
        # A version is never updated once written, so one read whole is kept (by its
        # sequence) and the next read of the client fetches only the versions it lacks.
        self._read: dict[int, ConsentVersion] = {}
        self._remember = remember_versions

    async def apply(
        self, event: ConsentGranted | ConsentRevoked, *, pseudonym: str, applied_at: datetime
    ) -> bool:
        """Record the event from ``applied_at`` on; False when it was already recorded."""
        applied = await self.apply_all([(event, pseudonym)], applied_at=applied_at)
        return applied.recorded == 1

    async def apply_all(
        self,
        events: Sequence[tuple[ConsentGranted | ConsentRevoked, str]],
        *,
        applied_at: datetime,
    ) -> AppliedConsents:
        """Record each (event, client pseudonym) in one transaction.

        The event id is unique: an event already recorded is skipped, so applying the
        same events again changes nothing, and another event under a recorded id (or
        under the id of one before it here) is refused. A consent id is the client's and
        names one consent: the organisation that first records a grant under it owns it,
        and another organisation's grant under it is refused (its revocation is not: a
        client may withdraw a consent at any organisation). Each new version is chained
        to the one before it, under the chain head's lock, so that the stores of several
        routers never fork it.
        """
        if not events:
            return AppliedConsents(0)
        digests = [event.content_digest() for event, _ in events]
        rows: dict[str, dict[str, Any]] = {}
        for (event, pseudonym), digest in zip(events, digests, strict=True):
            check_pseudonym(pseudonym)  # an identity code must never reach the table
            row = _row(consent_version(event, applied_at=applied_at), pseudonym)
            rows.setdefault(row["event_id"], row | {"content_digest": digest})
        first = {event_id: row["content_digest"] for event_id, row in rows.items()}
        revocations = {
            str(event.event_id) for event, _ in events if isinstance(event, ConsentRevoked)
        }
        what = f"recording {len(rows)} consent event(s), the first {events[0][0].event_id}"
        async with translate_database_errors(what):
            recorded, kept, owners, unmatched_ids = await run_transaction(
                self._engine, partial(_append_versions, rows=rows, revocations=revocations)
            )
        standing = first | kept
        refused = tuple(
            position
            for position, ((event, _), digest) in enumerate(zip(events, digests, strict=True))
            if standing[str(event.event_id)] not in (None, digest)
        )
        positions = {
            str(event.event_id): position
            for position, (event, _) in reversed(list(enumerate(events)))
        }
        taken = tuple((positions[event_id], owner) for event_id, owner in owners.items())
        # Asked again of an event recorded before, so that a router that crashed before
        # telling its sender tells it when the event is routed again.
        unmatched = tuple(
            sorted(
                positions[event_id]
                for event_id in unmatched_ids
                if positions[event_id] not in refused
            )
        )
        return AppliedConsents(recorded, refused, taken, unmatched)

    async def recorded(
        self, filters: ConsentHistoryFilter | None = None, *, batch_size: int = 1000
    ) -> AsyncIterator[ChainedVersion]:
        """Every version that passes ``filters``, in the order recorded, for an auditor.

        Each with the values its hash covers: from an unfiltered listing, anyone can
        recompute the chain (``consent.store.chain`` gives the rules).
        """
        what = "reading the consent history"
        with refusing_unreadable_values(what):
            async for rows in keyset_pages(
                self._engine,
                consent_versions,
                consent_versions.c.sequence,
                (filters or ConsentHistoryFilter()).where(),
                batch_size=batch_size,
                what=what,
            ):
                for row in rows:
                    yield ChainedVersion(consent_chain_fields(row), row["hash"])

    async def verify(
        self, *, anchors: Sequence[ChainAnchor] = (), batch_size: int = 1000
    ) -> VerificationResult:
        """Walk the consent history's chain; report the first version that does not match.

        As the audit log's verify: each of ``anchors`` must still be there with the hash
        noted, and versions recorded while it runs are left for the next run.
        """
        return await verify_chained_table(
            self._engine,
            table=consent_versions,
            head=consent_chain_head,
            fields_of=consent_chain_fields,
            walk=ChainWalk(anchors, numbered=False, chain="consent history"),
            batch_size=batch_size,
        )

    async def consents_for(self, pseudonym: str) -> ClientConsents:
        """The client's whole history, from which ``decide`` judges any moment."""
        return ClientConsents.of(pseudonym, await self.history(pseudonym))

    async def consents_of(self, pseudonyms: Collection[str]) -> dict[str, ClientConsents]:
        """The consents of each client: which versions they have, then those not yet read."""
        if not pseudonyms:
            return {}
        table = consent_versions
        kept = self._read

        def read(connection: Connection) -> _ConsentsRead:
            held = [
                (client, sequence)
                for client, sequence in connection.execute(
                    sa.select(table.c.client, table.c.sequence)
                    .where(table.c.client.in_(sorted(pseudonyms)))
                    .order_by(table.c.sequence)
                )
            ]
            known: dict[int, ConsentVersion] = {}
            for _, sequence in held:
                # One get each: the event loop may forget a version meanwhile.
                if (version := kept.get(sequence)) is not None:
                    known[sequence] = version
            unread = sorted(sequence for _, sequence in held if sequence not in known)
            if not unread:
                return held, known, []
            query = sa.select(table).where(table.c.sequence.in_(unread))
            return held, known, list(connection.execute(query).mappings())

        what = "reading clients' consents"
        # Around the whole read, not each row: the router's every batch comes this way.
        # An unreadable version stops routing (fail closed), never reads as no consent.
        with refusing_unreadable_values(what):
            async with translate_database_errors(what):
                held, known, rows = await run_transaction(self._engine, read)
            for row in rows:
                # Kept here, on the event loop, never by the thread that read them.
                known[row["sequence"]] = version = _version(row)
                self._keep(row["sequence"], version)
        versions: dict[str, list[ConsentVersion]] = {pseudonym: [] for pseudonym in pseudonyms}
        for client, sequence in held:
            versions[client].append(known[sequence])
        return {client: ClientConsents.of(client, own) for client, own in versions.items()}

    def _keep(self, sequence: int, version: ConsentVersion) -> None:
        if self._remember <= 0:
            return
        while len(self._read) >= self._remember:
            del self._read[next(iter(self._read))]  # the longest kept goes first
        self._read[sequence] = version

    async def history(self, pseudonym: str) -> list[ConsentVersion]:
        """Every grant and revocation of the client, in the order applied."""
        return [
            version for _, version in await self._versions(consent_versions.c.client == pseudonym)
        ]

    async def _versions(
        self, condition: sa.ColumnElement[bool]
    ) -> list[tuple[str, ConsentVersion]]:
        query = (
            sa.select(consent_versions)
            .where(condition)
            .order_by(consent_versions.c.applied_at, consent_versions.c.sequence)
        )
        what = "reading clients' consents"
        with refusing_unreadable_values(what):
            async with translate_database_errors(what):
                rows = await run_transaction(
                    self._engine, lambda connection: connection.execute(query).mappings().all()
                )
            return [(row["client"], _version(row)) for row in rows]


def _append_versions(
    connection: Connection, rows: dict[str, dict[str, Any]], revocations: Collection[str]
) -> tuple[int, dict[str, str | None], dict[str, str], frozenset[str]]:
    """Chain and insert the versions not yet recorded, under the chain head's lock.

    How many were inserted, the content digests of the events already recorded, the
    grants left out for a consent id another organisation owns (event id: its owner), and
    which of the ``revocations`` (event ids) name a consent id no grant had before them.
    """
    sequence, previous_hash = lock_chain_head(connection, consent_chain_head)
    columns = consent_versions.c
    present = connection.execute(
        sa.select(columns.event_id, columns.content_digest).where(
            columns.event_id.in_(sorted(rows))
        )
    )
    kept: dict[str, str | None] = dict(present.all())
    for event_id in kept:
        del rows[event_id]
    taken = _grants_under_taken_ids(connection, rows)
    for event_id in taken:
        del rows[event_id]
    if not rows:
        return 0, kept, taken, _unmatched_revocations(connection, revocations)
    for row in rows.values():
        sequence += 1
        row |= {"sequence": sequence, "previous_hash": previous_hash}
        row["hash"] = previous_hash = chain_hash(consent_chain_fields(row))
    # A grant and a revocation fill different columns, so one statement per run of one
    # shape: the rows keep their order, which orders a client's versions.
    for _, run in itertools.groupby(rows.values(), key=lambda row: row["action"]):
        connection.execute(consent_versions.insert(), list(run))
    advance_chain_head(connection, consent_chain_head, sequence, previous_hash)
    return len(rows), kept, taken, _unmatched_revocations(connection, revocations)


def _unmatched_revocations(connection: Connection, revocations: Collection[str]) -> frozenset[str]:
    """The revocations (event ids) recorded when no grant of their client had their consent id.

    Read from the table, which orders a client's versions by sequence, so that the answer
    is the same for a revocation recorded now and for one recorded before.
    """
    if not revocations:
        return frozenset()
    columns = consent_versions.c
    revoked = connection.execute(
        sa.select(columns.event_id, columns.client, columns.consent_id, columns.sequence).where(
            columns.event_id.in_(sorted(revocations)), columns.action == REVOKED
        )
    ).all()
    if not revoked:
        return frozenset()
    first_grants = connection.execute(
        sa.select(columns.client, columns.consent_id, sa.func.min(columns.sequence))
        .where(
            columns.action == GRANTED,
            columns.client.in_(sorted({client for _, client, _, _ in revoked})),
            columns.consent_id.in_(sorted({consent_id for _, _, consent_id, _ in revoked})),
        )
        .group_by(columns.client, columns.consent_id)
    )
    first = {(client, consent_id): sequence for client, consent_id, sequence in first_grants}
    return frozenset(
        event_id
        for event_id, client, consent_id, sequence in revoked
        if first.get((client, consent_id), sequence) >= sequence
    )


def _grants_under_taken_ids(
    connection: Connection, rows: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """The grants among ``rows`` under a consent id another organisation recorded first."""
    grants = [row for row in rows.values() if row["action"] == GRANTED]
    if not grants:
        return {}
    columns = consent_versions.c
    recorded = connection.execute(
        sa.select(columns.client, columns.consent_id, columns.recorded_by)
        .where(
            columns.action == GRANTED,
            columns.client.in_(sorted({row["client"] for row in grants})),
            columns.consent_id.in_(sorted({row["consent_id"] for row in grants})),
        )
        .order_by(columns.sequence)
    )
    owners: dict[tuple[str, str], str] = {}
    for client, consent_id, recorded_by in recorded:
        owners.setdefault((client, consent_id), recorded_by)
    taken: dict[str, str] = {}
    for row in grants:  # in the order sent: of two new claims to an id, the first owns it
        owner = owners.setdefault((row["client"], row["consent_id"]), row["recorded_by"])
        if owner != row["recorded_by"]:
            taken[row["event_id"]] = owner
    return taken


def _row(version: ConsentVersion, pseudonym: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "event_id": str(version.event_id),
        "client": pseudonym,
        "consent_id": version.consent_id,
        "recorded_by": version.recorded_by,
        "occurred_at": version.occurred_at,
        "applied_at": version.applied_at,
    }
    if isinstance(version, ConsentRevocation):
        return row | {"action": REVOKED}
    return row | {
        "action": GRANTED,
        "decision": version.decision,
        "valid_from": version.valid_from,
        "valid_until": version.valid_until,
        "purpose": version.purpose,
        "scope": version.scope.model_dump(mode="json"),
        "exceptions": [rule.model_dump(mode="json") for rule in version.exceptions],
    }


def _version(row: sa.RowMapping) -> ConsentVersion:
    common = {
        "consent_id": row["consent_id"],
        "event_id": uuid.UUID(row["event_id"]),
        "recorded_by": row["recorded_by"],
        "occurred_at": row["occurred_at"],
        "applied_at": row["applied_at"],
    }
    if row["action"] == REVOKED:
        return ConsentRevocation(**common)
    return ConsentGrant(
        **common,
        decision=row["decision"],
        scope=ConsentRule.model_validate(row["scope"]),
        exceptions=tuple(ConsentRule.model_validate(rule) for rule in row["exceptions"] or ()),
        purpose=row["purpose"],
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
    )
