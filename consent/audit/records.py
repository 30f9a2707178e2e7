"""What the audit log holds: one decision per key (``AuditEntry.key``), chained by hashes."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, TypedDict

from consent.audit.chain import (
    GENESIS_HASH,
    ChainFields,
    canonical_time,
    chain_hash,
    with_handover,
)
from consent.decisions import ReasonCode
from consent.errors import InvalidAuditEntryError
from schemas import DataCategory, InvalidIdentifierError, check_pseudonym

__all__ = ["DECISIONS", "DENY", "PERMIT", "AuditEntry", "AuditKey", "AuditRecord"]

PERMIT: Final = "permit"
DENY: Final = "deny"
DECISIONS: Final = frozenset({PERMIT, DENY})

_HASH: Final = re.compile(r"^[0-9a-f]{64}$")

AuditKey = tuple[uuid.UUID, str, str, bool]
"""(event id, recipient, handover, whether it refuses a pathway transition)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One decision as the router appends it; the log adds the sequence and the hashes."""

    event_id: uuid.UUID
    event_type: str
    """The event's ce_type, e.g. ``fi.saattaja.referral.requested.v1``."""
    category: DataCategory
    client: str
    """The client's pseudonym, never the identity code."""
    sender: str
    """OID of the organisation that published the event."""
    recipient: str
    """OID of the organisation the decision is about."""
    decision: str
    """``permit`` or ``deny``."""
    reason: str
    """A reason code a person can read, e.g. ``consent``, ``refused``, ``no-consent``."""
    basis: str | None
    """The consent id or legal-basis id the decision rests on; None when nothing does."""
    removed: tuple[str, ...]
    """Business ids of the documents removed before delivery, in the order decided."""
    decided_at: datetime
    """When the decision was made; kept in UTC to the microsecond."""
    handover: str = ""
    """Event id of the handover package the event was decided for, as one of the client's
    documents following them to a new organisation; empty when the event was routed itself.
    A document denied in one handover is decided again in the next."""

    def __post_init__(self) -> None:
        try:
            check_pseudonym(self.client)
        except InvalidIdentifierError as exc:
            # An identity code in the client field would put it into every copy of the log.
            raise InvalidAuditEntryError(
                f"audit entry for event {self.event_id}: the client must be a pseudonym: {exc}"
            ) from exc
        if self.decision not in DECISIONS:
            raise InvalidAuditEntryError(
                f"audit entry for event {self.event_id}: decision {self.decision!r} is "
                f"neither {PERMIT!r} nor {DENY!r}"
            )
        for name in ("event_type", "sender", "recipient", "reason"):
            if not getattr(self, name):
                raise InvalidAuditEntryError(
                    f"audit entry for event {self.event_id}: {name} is empty"
                )
        if self.decided_at.tzinfo is None or self.decided_at.utcoffset() is None:
            raise InvalidAuditEntryError(
                f"audit entry for event {self.event_id}: decided_at must carry a time zone"
            )
        try:
            category = DataCategory(self.category)
        except ValueError as exc:
            raise InvalidAuditEntryError(
                f"audit entry for event {self.event_id}: {self.category!r} is not a data category"
            ) from exc
        # Normalised here so that the hash of a record never depends on how it was built.
        object.__setattr__(self, "category", category)
        object.__setattr__(self, "removed", tuple(self.removed))
        object.__setattr__(self, "decided_at", self.decided_at.astimezone(UTC))

    @property
    def permitted(self) -> bool:
        """True when the recipient was allowed to receive the event."""
        return self.decision == PERMIT

    @property
    def key(self) -> AuditKey:
        """What the log holds one record of.

        A refused referral transition is kept apart from the disclosure decision: an event
        refused once (an answer before its referral) and sent again once its state allows
        it is decided for disclosure then, and both decisions stay on record.
        """
        refusal = self.reason == ReasonCode.INVALID_TRANSITION
        return (self.event_id, self.recipient, self.handover, refusal)

    def chain_fields(self, *, sequence: int, previous_hash: str) -> ChainFields:
        """The values the hash covers, at ``sequence`` after ``previous_hash``."""
        fields: ChainFields = {
            "sequence": sequence,
            "previous_hash": previous_hash,
            "event_id": str(self.event_id),
            "event_type": self.event_type,
            "category": self.category.value,
            "client": self.client,
            "sender": self.sender,
            "recipient": self.recipient,
            "decision": self.decision,
            "reason": self.reason,
            "basis": self.basis,
            "removed": list(self.removed),
            "decided_at": canonical_time(self.decided_at),
        }
        return with_handover(fields, self.handover)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord(AuditEntry):
    """An entry as stored: its place in the log and the hashes that chain it."""

    sequence: int
    """Position in the log, from 1, without gaps."""
    previous_hash: str
    """``hash`` of the record before; 64 zeros for the first record."""
    hash: str
    """SHA-256 (hex) of the canonical encoding of every field above (see ``chain``)."""

    def __post_init__(self) -> None:
        # Explicit base call: zero-argument super() does not work in slotted dataclasses.
        AuditEntry.__post_init__(self)
        if self.sequence < 1:
            raise InvalidAuditEntryError(f"audit record sequence {self.sequence} is below 1")
        for name in ("previous_hash", "hash"):
            if not _HASH.fullmatch(getattr(self, name)):
                raise InvalidAuditEntryError(
                    f"audit record {self.sequence}: {name} is not 64 lowercase hex digits"
                )

    @classmethod
    def chained(cls, entry: AuditEntry, *, sequence: int, previous_hash: str) -> AuditRecord:
        """``entry`` placed at ``sequence`` after the record whose hash is ``previous_hash``."""
        if sequence < 1:
            raise InvalidAuditEntryError(f"audit record sequence {sequence} is below 1")
        if not _HASH.fullmatch(previous_hash):
            raise InvalidAuditEntryError(
                f"audit record {sequence}: previous_hash is not 64 lowercase hex digits"
            )
        digest = chain_hash(entry.chain_fields(sequence=sequence, previous_hash=previous_hash))
        # The entry was checked when it was made and the hash is ours: checking every field
        # again would cost the audit append a third of its time.
        record = object.__new__(cls)
        for name, value in _entry_values(entry).items():
            object.__setattr__(record, name, value)
        object.__setattr__(record, "sequence", sequence)
        object.__setattr__(record, "previous_hash", previous_hash)
        object.__setattr__(record, "hash", digest)
        return record

    @property
    def entry(self) -> AuditEntry:
        """The decision alone, without its place in the chain."""
        return AuditEntry(**_entry_values(self))

    @property
    def is_first(self) -> bool:
        """True for the record that starts the chain."""
        return self.previous_hash == GENESIS_HASH

    def matches_hash(self) -> bool:
        """True when ``hash`` is the hash of this record's fields."""
        fields = self.chain_fields(sequence=self.sequence, previous_hash=self.previous_hash)
        return chain_hash(fields) == self.hash


class _EntryValues(TypedDict):
    event_id: uuid.UUID
    event_type: str
    category: DataCategory
    client: str
    sender: str
    recipient: str
    decision: str
    reason: str
    basis: str | None
    removed: tuple[str, ...]
    decided_at: datetime
    handover: str


def _entry_values(entry: AuditEntry) -> _EntryValues:
    return {
        "event_id": entry.event_id,
        "event_type": entry.event_type,
        "category": entry.category,
        "client": entry.client,
        "sender": entry.sender,
        "recipient": entry.recipient,
        "decision": entry.decision,
        "reason": entry.reason,
        "basis": entry.basis,
        "removed": entry.removed,
        "decided_at": entry.decided_at,
        "handover": entry.handover,
    }
