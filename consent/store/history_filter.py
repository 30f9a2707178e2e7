"""What an auditor asks the consent history for: by client, organisation, time and action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from consent.errors import InvalidAuditEntryError
from consent.store.tables import GRANTED, REVOKED, consent_versions
from schemas import InvalidIdentifierError, check_pseudonym

__all__ = ["ConsentHistoryFilter"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentHistoryFilter:
    """Which versions to return; every condition given must hold, None means any."""

    client: str | None = None
    """The client's pseudonym (an identity code is refused: it is never in the store)."""
    recorded_by: str | None = None
    """The OID of the organisation that recorded the grant or revocation."""
    since: datetime | None = None
    """Applied at or after this moment."""
    until: datetime | None = None
    """Applied before this moment."""
    action: str | None = None
    """``granted`` or ``revoked``."""

    def __post_init__(self) -> None:
        if self.client is not None:
            try:
                check_pseudonym(self.client)
            except InvalidIdentifierError as exc:
                raise InvalidAuditEntryError(
                    f"consent history filter: the client must be a pseudonym: {exc}"
                ) from exc
        if self.action is not None and self.action not in (GRANTED, REVOKED):
            raise InvalidAuditEntryError(
                f"consent history filter: action {self.action!r} is not {GRANTED} or {REVOKED}"
            )
        for name in ("since", "until"):
            moment: datetime | None = getattr(self, name)
            if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
                raise InvalidAuditEntryError(
                    f"consent history filter: {name} must carry a time zone"
                )

    def where(self) -> list[sa.ColumnElement[bool]]:
        """The SQL conditions of this filter."""
        columns = consent_versions.c
        conditions: list[sa.ColumnElement[bool]] = []
        if self.client is not None:
            conditions.append(columns.client == self.client)
        if self.recorded_by is not None:
            conditions.append(columns.recorded_by == self.recorded_by)
        if self.since is not None:
            conditions.append(columns.applied_at >= self.since)
        if self.until is not None:
            conditions.append(columns.applied_at < self.until)
        if self.action is not None:
            conditions.append(columns.action == self.action)
        return conditions
