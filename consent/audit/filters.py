"""What an auditor asks the log for: by client, organisation, time, decision and event type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from consent.audit.records import DECISIONS
from consent.audit.tables import audit_records
from consent.errors import InvalidAuditEntryError
from schemas import InvalidIdentifierError, check_pseudonym

__all__ = ["AuditFilter", "check_client_and_period"]


def check_client_and_period(
    what: str, *, client: str | None, since: datetime | None, until: datetime | None
) -> None:
    """Refuse an identity code for a pseudonym, a moment without a zone, and an empty period.

    Raises InvalidAuditEntryError, ``what`` naming the filter.
    """
    if client is not None:
        try:
            check_pseudonym(client)
        except InvalidIdentifierError as exc:
            raise InvalidAuditEntryError(f"{what}: the client must be a pseudonym: {exc}") from exc
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            raise InvalidAuditEntryError(f"{what}: {name} must carry a time zone")
    if since is not None and until is not None and since >= until:
        raise InvalidAuditEntryError(
            f"{what}: since {since.isoformat()} is not before until {until.isoformat()}: the "
            "period is empty (until is not included: for one day, give the next day as until)"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    """Which records to return; every condition given must hold, None means any."""

    client: str | None = None
    """The client's pseudonym (an identity code is refused: it is never in the log)."""
    organisation: str | None = None
    """An organisation's OID, as sender or as recipient."""
    since: datetime | None = None
    """Decided at or after this moment."""
    until: datetime | None = None
    """Decided before this moment."""
    decision: str | None = None
    """``permit`` or ``deny``."""
    event_type: str | None = None
    """A ce_type, e.g. ``fi.saattaja.referral.requested.v1``."""

    def __post_init__(self) -> None:
        check_client_and_period(
            "audit filter", client=self.client, since=self.since, until=self.until
        )
        if self.decision is not None and self.decision not in DECISIONS:
            raise InvalidAuditEntryError(
                f"audit filter: decision {self.decision!r} is not one of {sorted(DECISIONS)}"
            )

    def where(self) -> list[sa.ColumnElement[bool]]:
        """The SQL conditions of this filter."""
        columns = audit_records.c
        conditions: list[sa.ColumnElement[bool]] = []
        if self.client is not None:
            conditions.append(columns.client == self.client)
        if self.organisation is not None:
            conditions.append(
                sa.or_(columns.sender == self.organisation, columns.recipient == self.organisation)
            )
        if self.since is not None:
            conditions.append(columns.decided_at >= self.since)
        if self.until is not None:
            conditions.append(columns.decided_at < self.until)
        if self.decision is not None:
            conditions.append(columns.decision == self.decision)
        if self.event_type is not None:
            conditions.append(columns.event_type == self.event_type)
        return conditions
