"""Case events: the client's named case manager and care team, and how the episode ended.

The seed documents' first complaint is that nobody owns the client's path; the episode of
care names who does, and its closing records where the client went, so that outcomes can
finally be followed up.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import ClassVar, Final, Self

from pydantic import Field

from schemas.categories import DataCategory
from schemas.codesystems import (
    CARE_TEAM_ROLE_SYSTEM,
    EPISODE_OUTCOME_EXTENSION,
    EPISODE_OUTCOME_SYSTEM,
    EPISODE_TYPE_SYSTEM,
)
from schemas.errors import InvalidBundleError
from schemas.events.base import Envelope, Event
from schemas.fhir import (
    ElementView,
    FhirJson,
    FhirString,
    business_identifier,
    codeable_concept,
    instant,
    organisation_reference,
    patient_reference,
    resource_reference,
)
from schemas.identifiers import Oid

__all__ = ["CaseManagerAssigned", "CaseManagerRole", "EpisodeClosed", "EpisodeOutcome"]

_WORK_ABILITY_SUPPORT: Final = "tyokyvyn-tuki"
_MEMBER_ORGANISATION: Final = "member-organisation"


class CaseManagerRole(StrEnum):
    """The titles the regions use for the person who walks beside the client."""

    ASIAKASVASTAAVA = "asiakasvastaava"
    TYOKYKYKOORDINAATTORI = "tyokykykoordinaattori"
    RINNALLAKULKIJA = "rinnallakulkija"


class EpisodeOutcome(StrEnum):
    """Where the client went when the episode of work-ability support ended."""

    WORK = "work"
    EDUCATION = "education"
    REHABILITATION = "rehabilitation"
    PENSION = "pension"
    OTHER_SERVICE = "other-service"
    MOVED = "moved"
    UNKNOWN = "unknown"


def _episode_type() -> list[FhirJson]:
    return [codeable_concept(EPISODE_TYPE_SYSTEM, _WORK_ABILITY_SUPPORT, "Työkyvyn tuki")]


class CaseManagerAssigned(Event):
    """A named case manager takes charge of the client's path, with a team of organisations."""

    event_code: ClassVar[str] = "casemanager.assigned"
    focal_types: ClassVar[tuple[str, ...]] = ("EpisodeOfCare", "CareTeam")
    default_category: ClassVar[DataCategory] = DataCategory.CASE

    episode_id: FhirString = Field(
        min_length=1, max_length=64, description="Sender-assigned episode id."
    )
    case_manager_name: FhirString = Field(min_length=1, max_length=200)
    case_manager_role: CaseManagerRole
    case_manager_organisation: Oid = Field(description="OID of the case manager's employer.")
    team: tuple[Oid, ...] = Field(
        default=(), description="OIDs of the other organisations working with the client."
    )

    @property
    def document_id(self) -> str:
        return self.episode_id

    def destinations(self) -> tuple[str, ...]:
        organisations = dict.fromkeys((self.case_manager_organisation, *self.team))
        organisations.pop(self.sender, None)
        return tuple(organisations)

    def fhir_resources(self) -> list[FhirJson]:
        episode: FhirJson = {
            "resourceType": "EpisodeOfCare",
            "identifier": [business_identifier(self.episode_id)],
            "status": "active",
            "type": _episode_type(),
            "patient": patient_reference(self.client),
            "managingOrganization": organisation_reference(self.case_manager_organisation),
            "period": {"start": instant(self.occurred_at)},
            "careManager": {"type": "Practitioner", "display": self.case_manager_name},
            "team": [resource_reference("CareTeam", self.episode_id)],
        }
        team: FhirJson = {
            "resourceType": "CareTeam",
            "identifier": [business_identifier(self.episode_id)],
            "status": "active",
            "subject": patient_reference(self.client),
            "managingOrganization": [organisation_reference(self.sender)],
            "participant": [
                {
                    "role": [codeable_concept(CARE_TEAM_ROLE_SYSTEM, self.case_manager_role.value)],
                    "member": {"type": "Practitioner", "display": self.case_manager_name},
                    "onBehalfOf": organisation_reference(self.case_manager_organisation),
                },
                *(
                    {
                        "role": [codeable_concept(CARE_TEAM_ROLE_SYSTEM, _MEMBER_ORGANISATION)],
                        "member": organisation_reference(oid),
                    }
                    for oid in self.team
                ),
            ],
        }
        return [episode, team]

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        episode, team = resources
        manager: ElementView | None = None
        members: list[str] = []
        for participant in team.elements("participant"):
            role = participant.code("role", CARE_TEAM_ROLE_SYSTEM)
            if role == _MEMBER_ORGANISATION:
                members.append(participant.organisation("member"))
            else:
                manager = participant
        if manager is None:
            raise InvalidBundleError(
                "CareTeam.participant has no case manager (a role of "
                f"{', '.join(role.value for role in CaseManagerRole)})"
            )
        return cls(
            event_id=envelope.event_id,
            occurred_at=envelope.occurred_at,
            sender=team.first("managingOrganization").organisation(""),
            client=episode.client("patient"),
            episode_id=episode.business_id("identifier"),
            case_manager_name=episode.text("careManager.display"),
            case_manager_role=manager.coded("role", CARE_TEAM_ROLE_SYSTEM, CaseManagerRole),
            case_manager_organisation=episode.organisation("managingOrganization"),
            team=tuple(members),
        )


class EpisodeClosed(Event):
    """The episode of work-ability support ended, with where the client went."""

    event_code: ClassVar[str] = "episode.closed"
    focal_types: ClassVar[tuple[str, ...]] = ("EpisodeOfCare",)
    default_category: ClassVar[DataCategory] = DataCategory.OUTCOME

    episode_id: FhirString = Field(
        min_length=1, max_length=64, description="The episode that ended."
    )
    outcome: EpisodeOutcome
    note: FhirString | None = Field(
        default=None, min_length=1, max_length=2_000, description="Free-text detail."
    )

    @property
    def document_id(self) -> str:
        return self.episode_id

    def fhir_resources(self) -> list[FhirJson]:
        outcome = codeable_concept(EPISODE_OUTCOME_SYSTEM, self.outcome.value, text=self.note)
        return [
            {
                "resourceType": "EpisodeOfCare",
                "identifier": [business_identifier(self.episode_id)],
                "extension": [{"url": EPISODE_OUTCOME_EXTENSION, "valueCodeableConcept": outcome}],
                "status": "finished",
                "type": _episode_type(),
                "patient": patient_reference(self.client),
                "managingOrganization": organisation_reference(self.sender),
                "period": {"end": instant(self.occurred_at)},
            }
        ]

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        episode = resources[0]
        outcome = next(
            (
                extension.element("valueCodeableConcept")
                for extension in episode.elements("extension")
                if extension.optional_text("url") == EPISODE_OUTCOME_EXTENSION
            ),
            None,
        )
        if outcome is None:
            raise InvalidBundleError(
                f"EpisodeOfCare.extension lacks the outcome extension {EPISODE_OUTCOME_EXTENSION}"
            )
        return cls(
            event_id=envelope.event_id,
            occurred_at=envelope.occurred_at,
            sender=episode.organisation("managingOrganization"),
            client=episode.client("patient"),
            episode_id=episode.business_id("identifier"),
            outcome=outcome.coded("", EPISODE_OUTCOME_SYSTEM, EpisodeOutcome),
            note=outcome.optional_text("text"),
        )
