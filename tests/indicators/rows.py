"""Rows of the pathway tables as the router writes them, and a way to put them in a database."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.pathway.tables import (
    pathway_assessments,
    pathway_episodes,
    pathway_handovers,
    pathway_hints,
    pathway_referrals,
)

# The five organisations of deploy/organisations.yaml, by id.
SOTE: Final = "1.2.246.10.32213051.10.1"
KELA: Final = "1.2.246.10.2462460"
TYOLLISYYS: Final = "1.2.246.10.1621933"
TYP: Final = "1.2.246.10.28645177"
JARJESTO: Final = "1.2.246.10.10274806"
ORGANISATIONS: Final = (SOTE, KELA, TYOLLISYYS, TYP, JARJESTO)
IDS: Final = dict(
    zip(ORGANISATIONS, ("sote", "kela", "tyollisyys", "typ", "jarjesto"), strict=True)
)

SINCE: Final = datetime(2025, 3, 1, tzinfo=UTC)
UNTIL: Final = datetime(2025, 6, 1, tzinfo=UTC)
INSIDE: Final = datetime(2025, 4, 1, 9, tzinfo=UTC)

Row = dict[str, Any]
_ids = itertools.count()


def client(number: int | str) -> str:
    """A pseudonym: 64 hexadecimal digits, as the router's HMAC gives."""
    return hashlib.sha256(f"client-{number}".encode()).hexdigest()


def event_id() -> str:
    return f"00000000-0000-4000-8000-{next(_ids):012d}"


def referral(
    who: str,
    *,
    requester: str = SOTE,
    receiver: str = KELA,
    state: str = "accepted",
    requested_at: datetime = INSIDE,
    answered_at: datetime | None = None,
    escalations: int = 0,
) -> Row:
    if answered_at is None and state != "requested":
        answered_at = requested_at + timedelta(hours=24)
    return {
        "requester": requester,
        "referral_id": f"R-{next(_ids)}",
        "client": who,
        "receiver": receiver,
        "state": state,
        "responsible": receiver if state in ("accepted", "completed") else requester,
        "requested_event_id": event_id(),
        "requested_at": requested_at,
        "due_at": requested_at + timedelta(days=3),
        "expires_at": requested_at + timedelta(days=14),
        "next_escalation_at": None,
        "escalations": escalations,
        "answered_at": answered_at,
        "completed_at": (
            answered_at + timedelta(days=30)
            if state == "completed" and answered_at is not None
            else None
        ),
        "reason": "ei resursseja" if state == "rejected" else None,
    }


def assessment(
    who: str,
    *,
    organisation: str = SOTE,
    kind: str = "kykyviisari",
    recorded_at: datetime = INSIDE,
    duplicate_of: str | None = None,
) -> Row:
    return {
        "event_id": event_id(),
        "client": who,
        "organisation": organisation,
        "kind": kind,
        "recorded_at": recorded_at,
        "duplicate_of": duplicate_of,
    }


def hint(
    who: str,
    *,
    recipient: str = KELA,
    kind: str = "kykyviisari",
    moment: str = "before-assessing",
    sent_at: datetime = INSIDE,
) -> Row:
    return {
        "event_id": event_id(),
        "client": who,
        "recipient": recipient,
        "assessment_event_id": event_id(),
        "kind": kind,
        "moment": moment,
        "sent_at": sent_at,
    }


def handover(
    who: str,
    *,
    sender: str = SOTE,
    recipient: str = KELA,
    trigger: str = "referral-accepted",
    handed_over_at: datetime = INSIDE,
    items: int = 3,
) -> Row:
    return {
        "event_id": event_id(),
        "client": who,
        "sender": sender,
        "recipient": recipient,
        "trigger": trigger,
        "items": items,
        "handed_over_at": handed_over_at,
    }


def episode(
    who: str, *, outcome: str = "work", organisation: str = SOTE, closed_at: datetime = INSIDE
) -> Row:
    return {
        "event_id": event_id(),
        "client": who,
        "organisation": organisation,
        "episode_id": f"E-{next(_ids)}",
        "outcome": outcome,
        "closed_at": closed_at,
    }


_TABLES: Final[Mapping[str, sa.Table]] = {
    "referrals": pathway_referrals,
    "assessments": pathway_assessments,
    "hints": pathway_hints,
    "handovers": pathway_handovers,
    "episodes": pathway_episodes,
}


async def insert(engine: AsyncEngine, **rows: Iterable[Row]) -> None:
    """Insert rows into the pathway tables named by keyword (referrals=..., episodes=...)."""
    async with engine.begin() as connection:
        for name, table_rows in rows.items():
            batch = list(table_rows)
            if batch:
                await connection.execute(_TABLES[name].insert(), batch)
