"""The base of every event of the catalogue: what all events share and how they become FHIR."""

from __future__ import annotations

import hashlib
import uuid
from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

from schemas.categories import DataCategory
from schemas.errors import InvalidBundleError
from schemas.fhir import ElementView, FhirJson
from schemas.identifiers import EventId, IdentityCode, Oid
from schemas.moments import EventTime

__all__ = ["DocumentPart", "Envelope", "Event", "ce_type_of"]


def ce_type_of(event_code: str) -> str:
    """The CloudEvents type of ``<kind>.<action>``: ``fi.saattaja.<kind>.<action>.v1``."""
    return f"fi.saattaja.{event_code}.v1"


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the Bundle and headers say about an event, outside its focal resources."""

    event_id: uuid.UUID
    occurred_at: datetime
    sender: str
    destinations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DocumentPart:
    """A supporting document inside an event that can be removed for one recipient."""

    document_id: str
    category: DataCategory
    recorded_by: str | None = None
    """OID of the organisation that recorded it (its custodian), when the event says; it may
    be another than the event's sender, and the client's refusals of that organisation's
    data or service task hold for it wherever it travels."""


class Event(BaseModel, ABC):
    """One event about one client, sent by one organisation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_code: ClassVar[str]
    """``<kind>.<action>``; also the MessageHeader event code."""
    focal_types: ClassVar[tuple[str, ...]]
    """The FHIR resource types of the focal resources, in order."""
    default_category: ClassVar[DataCategory]
    issued_by_router: ClassVar[bool] = False
    """The router issues these itself; an organisation publishing one to its outbox is rejected."""

    event_id: EventId = Field(
        default_factory=uuid.uuid4,
        description="Unique id; the idempotency key from outbox to inbox (ce_id).",
    )
    occurred_at: EventTime = Field(
        description="When it happened at the sender (ce_time), in the years 1900-2999."
    )
    sender: Oid = Field(description="OID of the sending organisation (ce_source).")
    client: IdentityCode = Field(
        description=(
            "The client's personal identity code; only its pseudonym reaches the headers. "
            "Beyond its pattern, its first six digits must be a date of birth and its last "
            "character the check character (the nine digits modulo 31 in "
            "0123456789ABCDEFHJKLMNPRSTUVWXY), which no JSON Schema can check."
        )
    )

    @classmethod
    def ce_type(cls) -> str:
        """The CloudEvents type, ``fi.saattaja.<kind>.<action>.v1``."""
        return ce_type_of(cls.event_code)

    def content_digest(self) -> str:
        """SHA-256 of the event's type and fields but its time, however its Bundle was written.

        What tells an event routed again (a replay) from another event sent under its id.
        The time is left out: a sender that stamps an event when it sends it (fhir_rest, for
        resources that carry no time of their own) stamps a retry anew.
        """
        fields = self.model_dump_json(exclude={"occurred_at"})
        return hashlib.sha256(f"{self.ce_type()}\n{fields}".encode()).hexdigest()

    @property
    def category(self) -> DataCategory:
        """The data category consent decisions use for this event."""
        return self.default_category

    @classmethod
    def categories(cls) -> frozenset[DataCategory]:
        """Every data category an event of this type can have: what its headers may say."""
        return frozenset({cls.default_category})

    @property
    @abstractmethod
    def document_id(self) -> str:
        """The sender's business id of the event's main document (referral, plan, ...)."""

    def parts(self) -> tuple[DocumentPart, ...]:
        """Supporting documents of other categories that minimisation may remove."""
        return ()

    def without_parts(self, document_ids: Collection[str]) -> Self:
        """This event without the named supporting documents (data minimisation)."""
        del document_ids  # events without parts have nothing to remove
        return self

    def destinations(self) -> tuple[str, ...]:
        """Organisations the event names as its receivers (MessageHeader.destination)."""
        return ()

    @abstractmethod
    def fhir_resources(self) -> list[FhirJson]:
        """The focal resources, as FHIR JSON, in the order of focal_types."""

    @classmethod
    @abstractmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        """Rebuild the event from its envelope and focal resources (already type-checked)."""

    @classmethod
    def check_focal_types(cls, resources: Sequence[ElementView]) -> None:
        """Raise InvalidBundleError unless the focal resources are of the expected types."""
        found = tuple(resource.optional_text("resourceType") or "?" for resource in resources)
        if found != cls.focal_types:
            raise InvalidBundleError(
                f"{cls.ce_type()} carries focal resources {', '.join(cls.focal_types)}; "
                f"this Bundle's MessageHeader.focus names {', '.join(found) or 'none'}"
            )
