"""What an auditor asks the consent history for: by client, organisation, time and action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from consent.audit import check_client_and_period
from consent.errors import InvalidAuditEntryError
from consent.store.tables import GRANTED, REVOKED, consent_versions

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
        what = "consent history filter"
        check_client_and_period(what, client=self.client, since=self.since, until=self.until)
        if self.action is not None and self.action not in (GRANTED, REVOKED):
            raise InvalidAuditEntryError(
                f"{what}: action {self.action!r} is not {GRANTED} or {REVOKED}"
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
