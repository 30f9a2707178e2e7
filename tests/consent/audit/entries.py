"""Audit entries for the audit tests: one client (and one other), the example organisations."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.audit import AuditEntry, AuditLog
from consent.database import create_database_engine
from schemas import DataCategory, OrganisationKind, Pseudonymiser
from schemas.examples import EXAMPLE_ORGANISATIONS

SOTE: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.SOTE]
KELA: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.KELA]
TYOLLISYYS: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.TYOLLISYYS]
TYP: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.TYP]
JARJESTO: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.JARJESTO]

SECRET: Final = "audit-tests-pseudonym-secret-0123456789abcdef"
PSEUDONYMS: Final = Pseudonymiser(SECRET.encode())
CLIENT: Final = "020516C903K"
OTHER_CLIENT: Final = "150388-9127"
PSEUDONYM: Final = PSEUDONYMS.pseudonym(CLIENT)
OTHER_PSEUDONYM: Final = PSEUDONYMS.pseudonym(OTHER_CLIENT)

T0: Final = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
HOUR: Final = timedelta(hours=1)
REFERRAL: Final = "fi.saattaja.referral.requested.v1"
PLAN: Final = "fi.saattaja.plan.created.v1"


def entry(
    *,
    event_id: uuid.UUID | None = None,
    recipient: str = KELA,
    sender: str = SOTE,
    decision: str = "permit",
    reason: str = "consent",
    basis: str | None = "C-1",
    removed: tuple[str, ...] = (),
    event_type: str = REFERRAL,
    category: DataCategory = DataCategory.REFERRAL,
    client: str = PSEUDONYM,
    decided_at: datetime = T0,
    handover: str = "",
) -> AuditEntry:
    """One decision; a new event id unless one is given."""
    return AuditEntry(
        event_id=event_id or uuid.uuid4(),
        event_type=event_type,
        category=category,
        client=client,
        sender=sender,
        recipient=recipient,
        decision=decision,
        reason=reason,
        basis=basis,
        removed=removed,
        decided_at=decided_at,
        handover=handover,
    )


def refusal(
    *,
    event_id: uuid.UUID | None = None,
    recipient: str = KELA,
    sender: str = SOTE,
    event_type: str = REFERRAL,
    category: DataCategory = DataCategory.REFERRAL,
    client: str = PSEUDONYM,
    decided_at: datetime = T0,
    handover: str = "",
) -> AuditEntry:
    """A decision denied by the client's refusal (kielto) K-1."""
    return entry(
        event_id=event_id,
        recipient=recipient,
        sender=sender,
        decision="deny",
        reason="refused",
        basis="K-1",
        event_type=event_type,
        category=category,
        client=client,
        decided_at=decided_at,
        handover=handover,
    )


async def execute(engine: AsyncEngine, *statements: str, **parameters: object) -> None:
    """Run raw SQL behind the log's back, as someone tampering with the database would."""
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(sa.text(statement), parameters)


def tamper(url: str, statement: str) -> None:
    """Run raw SQL on the database at ``url`` from synchronous code, as a CLI test does."""

    async def run() -> None:
        engine = create_database_engine(url)
        try:
            await execute(engine, statement)
        finally:
            await engine.dispose()

    asyncio.run(run())


async def cut_after(engine: AsyncEngine, log: AuditLog, sequence: int) -> None:
    """Delete the records after ``sequence`` and rewind the chain head to match.

    A chain cut so is whole to verify: only an anchor kept outside the database shows it.
    """
    [last] = [record async for record in log.query() if record.sequence == sequence]
    await execute(engine, "DELETE FROM audit_records WHERE sequence > :last", last=sequence)
    await execute(
        engine,
        "UPDATE audit_chain_head SET sequence = :last, hash = :hash",
        last=last.sequence,
        hash=last.hash,
    )
