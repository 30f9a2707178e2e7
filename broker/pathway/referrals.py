"""Referral ownership as a state machine, kept from the events themselves.

requested -> accepted | rejected | expired, accepted -> completed. The requester stays
responsible until the receiver accepts ("saattaen vaihtaen"); a rejection or an expiry hands
the responsibility back to the requester. Every other change is refused, with a reason
the sending organisation can act on.
"""

from __future__ import annotations

import uuid
from collections.abc import Container
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from broker.pathway.calendar import WorkingCalendar
from schemas import ReferralAccepted, ReferralCompleted, ReferralRejected, ReferralRequested

__all__ = [
    "Escalation",
    "Referral",
    "ReferralAnswer",
    "ReferralClaim",
    "ReferralClock",
    "ReferralState",
    "TransitionRefused",
    "answer_referral",
    "escalate",
    "request_referral",
]

ReferralAnswer = ReferralAccepted | ReferralRejected | ReferralCompleted


class ReferralState(StrEnum):
    """Where a referral stands."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"
    COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class TransitionRefused:
    """An event that would change a referral in a way its state does not allow."""

    reason: str


@dataclass(frozen=True, slots=True)
class Referral:
    """One referral, by requester and the requester's referral id."""

    requester: str
    referral_id: str
    client: str
    """The client's pseudonym."""
    receiver: str
    state: ReferralState
    responsible: str
    """OID of the organisation responsible for the client's path right now."""
    requested_event_id: uuid.UUID
    requested_at: datetime
    due_at: datetime
    expires_at: datetime
    next_escalation_at: datetime | None
    escalations: int = 0
    answered_at: datetime | None = None
    completed_at: datetime | None = None
    reason: str | None = None
    """Why it was rejected."""

    @property
    def key(self) -> tuple[str, str]:
        """(requester, referral id): unique across the region."""
        return (self.requester, self.referral_id)

    def describe(self) -> str:
        """The referral as a notice names it."""
        return f"referral {self.referral_id} of {self.requester} to {self.receiver}"

    @property
    def claim(self) -> ReferralClaim:
        """The claim this referral makes on its id."""
        return ReferralClaim(self.requester, self.referral_id, self.client, self.requested_event_id)


@dataclass(frozen=True, slots=True)
class ReferralClaim:
    """A referral id taken for one client, by the request that first used it."""

    requester: str
    referral_id: str
    client: str
    """The client's pseudonym."""
    requested_event_id: uuid.UUID

    @property
    def key(self) -> tuple[str, str]:
        """(requester, referral id), as a referral's."""
        return (self.requester, self.referral_id)


@dataclass(frozen=True, slots=True)
class ReferralClock:
    """When an unanswered referral is due, repeated and expired, in working days."""

    calendar: WorkingCalendar
    due_working_days: int
    repeat_working_days: int
    expiry_working_days: int

    def due(self, requested_at: datetime) -> datetime:
        """When an answer is due."""
        return self.calendar.add_working_days(requested_at, self.due_working_days)

    def expires(self, requested_at: datetime) -> datetime:
        """When an unanswered referral expires."""
        return self.calendar.add_working_days(requested_at, self.expiry_working_days)

    def next_escalation(self, escalated_at: datetime) -> datetime:
        """When the next overdue notice goes out, if nobody acts."""
        return self.calendar.add_working_days(escalated_at, self.repeat_working_days)


@dataclass(frozen=True, slots=True)
class Escalation:
    """What an overdue scan does with one referral: notify again, or let it expire."""

    referral: Referral
    """The referral as it will stand afterwards."""
    expired: bool


def request_referral(
    event: ReferralRequested,
    pseudonym: str,
    known: Referral | None,
    clock: ReferralClock,
    *,
    registered: Container[str],
    claimed: ReferralClaim | None = None,
) -> Referral | TransitionRefused:
    """The new referral, or why it is refused: a receiver nobody could answer as, or an id used.

    ``known``: the referral under the same key, of whichever client; ``registered``: the
    OIDs of the organisations in the registry; ``claimed``: the claim on the key of a
    request another router process has decided on and not yet stored as a referral.
    """
    # Both are almost certainly a receiver OID mis-mapped in the requester's system, and
    # kept as requested they would surface only as an overdue notice days later.
    if event.receiver == event.sender:
        return TransitionRefused(
            f"referral {event.referral_id} names its requester {event.sender} as its receiver: "
            "an organisation does not refer a client to itself; check how your system maps "
            "the receiver's OID, and send the corrected referral as a new event"
        )
    if event.receiver not in registered:
        return TransitionRefused(
            f"the receiver {event.receiver} of referral {event.referral_id} is not an "
            "organisation registered in Saattaja, so nothing was sent: check how your system "
            "maps the receiver's OID and send the corrected referral as a new event, or ask "
            "the region's Saattaja operators to register the organisation"
        )
    holder = known.claim if known is not None else claimed
    if holder is not None and holder.client != pseudonym:
        return TransitionRefused(
            f"referral id {event.referral_id} of {event.sender} was already requested for "
            f"another client (event {holder.requested_event_id}); a referral id names one "
            "referral across all the requester's clients: send this referral again under a "
            "new referral id"
        )
    if known is not None:
        return TransitionRefused(
            f"{known.describe()} was already requested (event {known.requested_event_id}); "
            "a new referral needs a new referral id"
        )
    return Referral(
        requester=event.sender,
        referral_id=event.referral_id,
        client=pseudonym,
        receiver=event.receiver,
        state=ReferralState.REQUESTED,
        responsible=event.sender,
        requested_event_id=event.event_id,
        requested_at=event.occurred_at,
        due_at=clock.due(event.occurred_at),
        expires_at=clock.expires(event.occurred_at),
        next_escalation_at=clock.due(event.occurred_at),
    )


def answer_referral(event: ReferralAnswer, known: Referral | None) -> Referral | TransitionRefused:
    """The referral after the receiver's answer, or why the answer is refused."""
    if known is None:
        return TransitionRefused(
            f"no referral {event.referral_id} of {event.requester} is known to Saattaja: "
            "the receiver can answer only a referral that was requested through it"
        )
    refused = _refusal(event, known)
    if refused is not None:
        return refused
    if isinstance(event, ReferralCompleted):
        return replace(known, state=ReferralState.COMPLETED, completed_at=event.occurred_at)
    if isinstance(event, ReferralAccepted):
        # The catch is taken: the receiver is responsible from now on.
        return replace(
            known,
            state=ReferralState.ACCEPTED,
            responsible=known.receiver,
            answered_at=event.occurred_at,
            next_escalation_at=None,
        )
    return replace(
        known,
        state=ReferralState.REJECTED,
        responsible=known.requester,
        answered_at=event.occurred_at,
        next_escalation_at=None,
        reason=event.reason,
    )


def _refusal(event: ReferralAnswer, known: Referral) -> TransitionRefused | None:
    if event.sender != known.receiver:
        return TransitionRefused(
            f"{known.describe()} can be answered only by its receiver {known.receiver}, "
            f"not by {event.sender}"
        )
    if isinstance(event, ReferralCompleted):
        if known.state is not ReferralState.ACCEPTED:
            return TransitionRefused(
                f"{known.describe()} is {known.state.value}: only an accepted referral can "
                "be completed"
            )
        return None
    if known.state is not ReferralState.REQUESTED:
        verb = "accepted" if isinstance(event, ReferralAccepted) else "rejected"
        return TransitionRefused(
            f"{known.describe()} is {known.state.value} already: only a requested referral "
            f"can be {verb}"
        )
    return None


def escalate(referral: Referral, now: datetime, clock: ReferralClock) -> Escalation | None:
    """What is due for an unanswered referral at ``now``: an overdue notice, expiry, or nothing."""
    if referral.state is not ReferralState.REQUESTED or referral.next_escalation_at is None:
        return None
    if now >= referral.expires_at:
        expired = replace(
            referral, state=ReferralState.EXPIRED, answered_at=now, next_escalation_at=None
        )
        return Escalation(expired, expired=True)
    if now < referral.next_escalation_at:
        return None
    notified = replace(
        referral,
        escalations=referral.escalations + 1,
        next_escalation_at=clock.next_escalation(now),
    )
    return Escalation(notified, expired=False)
