"""A client's consents and refusals as the store recorded them, and their state at any time.

Every grant and every revocation is kept as its own version, stamped with the time the
store applied it, so that the state at any moment T can be rebuilt: what the router
knew at T is exactly what had been applied by T.

Rules of time, in one place:
- A grant counts from the moment it was applied, and within its own period
  (valid_from <= T < valid_until).
- A later grant with the same consent id replaces the earlier one from when it is applied;
  of versions applied at one moment (one wave of the router), the one recorded later. A
  consent id is the client's: the store refuses another organisation's grant under an id
  that one organisation has recorded a grant under (``ConsentStore.apply_all``).
- A revocation ends the consent id for good, from the moment it is applied, whichever
  organisation recorded the grant or the revocation, and whatever their order of arrival:
  a renewed consent needs a new id. Failing to honour a revocation is the worse error.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from schemas import ConsentGranted, ConsentRevoked, ConsentRule

__all__ = [
    "ClientConsents",
    "ConsentGrant",
    "ConsentRevocation",
    "ConsentState",
    "ConsentStatus",
    "ConsentVersion",
    "consent_version",
]


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone, e.g. datetime.now(UTC)")
    return value


@dataclass(frozen=True, slots=True)
class ConsentGrant:
    """One version of a consent (decision permit) or refusal (decision deny)."""

    consent_id: str
    event_id: uuid.UUID
    decision: Literal["permit", "deny"]
    scope: ConsentRule
    exceptions: tuple[ConsentRule, ...]
    purpose: str
    valid_from: datetime | None
    valid_until: datetime | None
    recorded_by: str
    """OID of the organisation where the client gave it."""
    occurred_at: datetime
    applied_at: datetime
    """When the store applied it: the version counts from this moment."""

    def __post_init__(self) -> None:
        _aware(self.applied_at, "applied_at")

    @classmethod
    def from_event(cls, event: ConsentGranted, *, applied_at: datetime) -> ConsentGrant:
        """The version a consent.granted event records."""
        return cls(
            consent_id=event.consent_id,
            event_id=event.event_id,
            decision=event.decision,
            scope=event.scope,
            exceptions=event.exceptions,
            purpose=event.purpose,
            valid_from=event.valid_from,
            valid_until=event.valid_until,
            recorded_by=event.sender,
            occurred_at=event.occurred_at,
            applied_at=applied_at,
        )

    @property
    def is_refusal(self) -> bool:
        """True for a refusal (kielto), False for a consent (suostumus)."""
        return self.decision == "deny"


@dataclass(frozen=True, slots=True)
class ConsentRevocation:
    """The client withdrew a consent or refusal; it ends for every organisation."""

    consent_id: str
    event_id: uuid.UUID
    recorded_by: str
    occurred_at: datetime
    applied_at: datetime

    def __post_init__(self) -> None:
        _aware(self.applied_at, "applied_at")

    @classmethod
    def from_event(cls, event: ConsentRevoked, *, applied_at: datetime) -> ConsentRevocation:
        """The version a consent.revoked event records."""
        return cls(
            consent_id=event.consent_id,
            event_id=event.event_id,
            recorded_by=event.sender,
            occurred_at=event.occurred_at,
            applied_at=applied_at,
        )


ConsentVersion = ConsentGrant | ConsentRevocation


def consent_version(
    event: ConsentGranted | ConsentRevoked, *, applied_at: datetime
) -> ConsentVersion:
    """The version a consent event records when applied at ``applied_at``."""
    if isinstance(event, ConsentGranted):
        return ConsentGrant.from_event(event, applied_at=applied_at)
    return ConsentRevocation.from_event(event, applied_at=applied_at)


class ConsentStatus(StrEnum):
    """Where a consent or refusal stands at one moment."""

    ACTIVE = "active"
    NOT_YET_VALID = "not-yet-valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class ConsentState:
    """A consent id at one moment: the version in force, and its status."""

    grant: ConsentGrant
    status: ConsentStatus
    revocation: ConsentRevocation | None = None
    """The revocation that ended it, when status is revoked."""


@dataclass(frozen=True, slots=True)
class _History:
    grants: tuple[ConsentGrant, ...]
    revocation: ConsentRevocation | None


def _applied_at(version: ConsentVersion) -> datetime:
    return version.applied_at


@dataclass(frozen=True, slots=True)
class ClientConsents:
    """Every consent version of one client: a plain value, no database handle."""

    client: str
    """The client's pseudonym."""
    versions: tuple[ConsentVersion, ...] = ()
    _histories: dict[str, _History] = field(init=False, repr=False, compare=False)
    # The router decides every recipient of a batch at one moment: the states are worked
    # out once for it.
    _last_at: tuple[datetime, tuple[ConsentState, ...]] | None = field(
        init=False, repr=False, compare=False, default=None
    )

    def __post_init__(self) -> None:
        # The sort is stable: versions applied at one moment keep the order recorded, which
        # is the order their organisation sent them in.
        ordered = tuple(sorted(self.versions, key=_applied_at))
        object.__setattr__(self, "versions", ordered)
        grants: dict[str, list[ConsentGrant]] = {}
        revocations: dict[str, ConsentRevocation] = {}
        for version in ordered:
            if isinstance(version, ConsentGrant):
                grants.setdefault(version.consent_id, []).append(version)
            else:
                revocations.setdefault(version.consent_id, version)
        object.__setattr__(
            self,
            "_histories",
            {
                consent_id: _History(tuple(found), revocations.get(consent_id))
                for consent_id, found in grants.items()
            },
        )

    @classmethod
    def of(cls, client: str, versions: Iterable[ConsentVersion]) -> ClientConsents:
        """The consents of ``client`` from its versions, in the order the store recorded them.

        Versions applied at different moments may come in any order.
        """
        return cls(client, tuple(versions))

    @property
    def last_applied(self) -> datetime | None:
        """When the last of its versions was applied; None when it has none."""
        return self.versions[-1].applied_at if self.versions else None

    def decided_at(self, now: datetime) -> datetime:
        """The moment a decision made now with these versions is judged at.

        ``now``, unless a version was stamped later: every version read was applied before
        the decision, whatever the clock of the router that applied it said (one running
        ahead, or this one's stepped back), and a revocation must hold for it.
        """
        last = self.last_applied
        return now if last is None or last <= now else last

    @property
    def consent_ids(self) -> tuple[str, ...]:
        """Ids of every consent and refusal ever granted, in the order first applied."""
        return tuple(self._histories)

    def unmatched_revocations(self) -> tuple[ConsentRevocation, ...]:
        """Revocations of consent ids this client has no grant of (recorded elsewhere)."""
        return tuple(
            version
            for version in self.versions
            if isinstance(version, ConsentRevocation) and version.consent_id not in self._histories
        )

    def state_of(self, consent_id: str, at: datetime) -> ConsentState | None:
        """The consent id's state at ``at``; None when no version had been applied by then."""
        history = self._histories.get(consent_id)
        if history is None:
            return None
        return _state(history, at)

    def at(self, at: datetime) -> tuple[ConsentState, ...]:
        """The state of every consent and refusal known at ``at``, in the order first applied."""
        last = self._last_at
        if last is not None and last[0] == at:
            return last[1]
        _aware(at, "at")
        states = (_state(history, at) for history in self._histories.values())
        found = tuple(state for state in states if state is not None)
        object.__setattr__(self, "_last_at", (at, found))
        return found


def _state(history: _History, at: datetime) -> ConsentState | None:
    current: ConsentGrant | None = None
    for grant in history.grants:
        if grant.applied_at > at:
            break
        current = grant
    if current is None:
        return None
    revocation = history.revocation
    if revocation is not None and revocation.applied_at <= at:
        return ConsentState(current, ConsentStatus.REVOKED, revocation)
    if current.valid_from is not None and at < current.valid_from:
        return ConsentState(current, ConsentStatus.NOT_YET_VALID)
    if current.valid_until is not None and at >= current.valid_until:
        return ConsentState(current, ConsentStatus.EXPIRED)
    return ConsentState(current, ConsentStatus.ACTIVE)
