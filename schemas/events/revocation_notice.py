"""The router's word to an organisation whose revocation names no consent of the client yet.

A revocation under an id that no grant of the client carries is kept (it voids a grant
recorded under that id later), but most likely the id was mistyped and the consent meant
is still in force: the organisation that recorded the revocation is told, so that it can
check and send the revocation again under the right id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final, Self

from pydantic import Field

from schemas.categories import DataCategory
from schemas.codesystems import PATHWAY_NOTICE_SYSTEM
from schemas.errors import InvalidBundleError
from schemas.events.base import Envelope, Event
from schemas.events.references import event_reference, read_event_id
from schemas.fhir import (
    ElementView,
    FhirJson,
    FhirString,
    codeable_concept,
    instant,
    organisation_reference,
    patient_reference,
    resource_reference,
)
from schemas.identifiers import EventId

__all__ = ["RevocationUnmatched"]

_REVOCATION_UNMATCHED: Final = "revocation-unmatched"
_DISPLAY: Final = "Peruttua suostumusta ei löydy"


class RevocationUnmatched(Event):
    """No consent of the client has the id a revocation names yet; it will hold against one.

    ``sender`` is the organisation that recorded the revocation, the only destination: the
    notice tells it nothing it did not send. Issued once per revocation event.
    """

    event_code: ClassVar[str] = "revocation.unmatched"
    focal_types: ClassVar[tuple[str, ...]] = ("Communication",)
    default_category: ClassVar[DataCategory] = DataCategory.CONSENT
    issued_by_router: ClassVar[bool] = True

    consent_id: FhirString = Field(
        min_length=1, max_length=64, description="The consent id the revocation names."
    )
    revocation_event_id: EventId = Field(description="ce_id of the revocation event.")

    @property
    def document_id(self) -> str:
        return self.consent_id

    def destinations(self) -> tuple[str, ...]:
        return (self.sender,)

    def fhir_resources(self) -> list[FhirJson]:
        return [
            {
                "resourceType": "Communication",
                "status": "completed",
                "category": [
                    codeable_concept(
                        PATHWAY_NOTICE_SYSTEM,
                        _REVOCATION_UNMATCHED,
                        "Peruttua suostumusta ei löydy",
                    )
                ],
                "subject": patient_reference(self.client),
                "about": [
                    resource_reference("Consent", self.consent_id),
                    event_reference(self.revocation_event_id),
                ],
                "sent": instant(self.occurred_at),
                "recipient": [organisation_reference(self.sender)],
                "sender": organisation_reference(self.sender),
                "payload": [{"contentString": self._sentence()}],
            }
        ]

    def _sentence(self) -> str:
        return (
            f"Asiakkaalla ei ole vielä suostumusta tunnuksella {self.consent_id}; peruutus "
            "kumoaa myöhemmin tällä tunnuksella annettavan suostumuksen. Tarkista tunnus. "
            f"No consent of this client has the id {self.consent_id} yet; the revocation "
            "will hold against a consent granted later under that id. Check the id."
        )

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        communication = resources[0]
        category = communication.code("category", PATHWAY_NOTICE_SYSTEM)
        if category != _REVOCATION_UNMATCHED:
            raise InvalidBundleError(
                f"Communication.category is {category!r} of {PATHWAY_NOTICE_SYSTEM}; "
                f"{cls.ce_type()} needs {_REVOCATION_UNMATCHED!r}"
            )
        about = communication.elements("about")
        consent = next((item for item in about if item.optional_text("type") == "Consent"), None)
        revocation = next((item for item in about if item.optional_text("type") == "Bundle"), None)
        if consent is None or revocation is None:
            raise InvalidBundleError(
                "Communication.about must reference the Consent the revocation names and the "
                "revocation event's Bundle"
            )
        return cls(
            event_id=envelope.event_id,
            occurred_at=envelope.occurred_at,
            sender=communication.organisation("sender"),
            client=communication.client("subject"),
            consent_id=consent.business_id("identifier"),
            revocation_event_id=read_event_id(revocation),
        )
