"""What a decision is asked about: one event, going from one organisation to another."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from schemas import DataCategory, DocumentPart, OrganisationKind

__all__ = ["ROUTING_PURPOSE", "ROUTING_PURPOSE_DISPLAY", "Disclosure", "DisclosurePart", "Party"]

ROUTING_PURPOSE: Final = "COC"
"""HL7 v3 ActReason of every disclosure the router makes: coordination of care."""
ROUTING_PURPOSE_DISPLAY: Final = "coordination of care"
"""``ROUTING_PURPOSE`` in words, as HL7 v3 ActReason displays it."""


@dataclass(frozen=True, slots=True)
class Party:
    """An organisation taking part in a disclosure."""

    oid: str
    kind: OrganisationKind

    def describe(self) -> str:
        """The organisation as explanations name it."""
        return f"{self.oid} ({self.kind.value})"


@dataclass(frozen=True, slots=True)
class DisclosurePart:
    """A supporting document inside the event that minimisation may remove."""

    document_id: str
    category: DataCategory
    custodian: Party | None = None
    """The organisation that recorded it, when another than the event's sender: the document
    is that organisation's data too, so the client's refusals of its data or of its service
    task, and consents limited to other sources, hold for it inside another's event."""

    @classmethod
    def of(cls, part: DocumentPart, custodian: Party | None = None) -> DisclosurePart:
        """The contract's part, with its custodian as the caller's registry knows it."""
        return cls(part.document_id, part.category, custodian)


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One event about one client, considered for one recipient at routing time ``at``."""

    event_id: uuid.UUID
    event_type: str
    client: str
    """The client's pseudonym; decisions never see an identity code."""
    sender: Party
    recipient: Party
    category: DataCategory
    document_id: str
    """The sender's business id of the event's main document."""
    parts: tuple[DisclosurePart, ...]
    at: datetime
    """Routing time: every consent's period and status is judged at this moment."""
    purpose: str = ROUTING_PURPOSE
