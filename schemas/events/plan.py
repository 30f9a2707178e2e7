"""Plan events: a CarePlan that one or several organisations carry out with the client."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from enum import StrEnum
from typing import ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from schemas.categories import DataCategory
from schemas.codesystems import PLAN_TYPE_SYSTEM
from schemas.errors import InvalidBundleError
from schemas.events.assessment import (
    ProfessionalAssessment,
    professional_observation,
    read_professional_assessment,
)
from schemas.events.base import DocumentPart, Envelope, Event
from schemas.fhir import (
    ElementView,
    FhirJson,
    FhirString,
    business_identifier,
    codeable_concept,
    instant,
    organisation_reference,
    patient_reference,
    period,
    resource_reference,
)
from schemas.identifiers import Oid
from schemas.moments import Moment

__all__ = ["PlanActivity", "PlanBasis", "PlanCreated", "PlanType", "PlanUpdated"]

ActivityStatus = Literal["not-started", "scheduled", "in-progress", "completed", "cancelled"]


class PlanType(StrEnum):
    """The plans of work-ability support."""

    WORK_ABILITY_SUPPORT = "tyokyvyn-tuen-suunnitelma"
    """Work-ability support plan (not statutory)."""
    ACTIVATION = "aktivointisuunnitelma"
    """Activation plan under act 189/2001."""
    MULTI_SECTORAL_EMPLOYMENT = "monialainen-tyollistymissuunnitelma"
    """Multi-sectoral employment plan of the TYP joint service."""


class PlanActivity(BaseModel):
    """One thing the plan says will be done, and the organisation that does it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: FhirString = Field(min_length=1, max_length=2_000)
    performer: Oid = Field(description="OID of the organisation that carries it out.")
    status: ActivityStatus = "not-started"
    start: Moment | None = None
    end: Moment | None = None


class PlanBasis(BaseModel):
    """An assessment the plan rests on, carried with it so the performers need not reassess.

    It keeps its own data category (health or social), so that a recipient whose consent
    covers plans but not that category receives the plan without it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    assessment_id: FhirString = Field(min_length=1, max_length=64)
    recorded_by: Oid = Field(description="OID of the organisation that made the assessment.")
    recorded_at: Moment
    assessment: ProfessionalAssessment


class _PlanEvent(Event):
    focal_types: ClassVar[tuple[str, ...]] = ("CarePlan",)
    default_category: ClassVar[DataCategory] = DataCategory.PLAN

    plan_id: FhirString = Field(min_length=1, max_length=64, description="Sender-assigned plan id.")
    plan_type: PlanType
    title: FhirString = Field(min_length=1, max_length=500)
    description: FhirString | None = Field(default=None, min_length=1, max_length=10_000)
    status: Literal["active", "completed", "revoked"] = "active"
    start: Moment | None = None
    end: Moment | None = None
    activities: tuple[PlanActivity, ...] = ()
    basis: tuple[PlanBasis, ...] = Field(
        default=(), description="Assessments the plan rests on (CarePlan.supportingInfo)."
    )

    @property
    def document_id(self) -> str:
        return self.plan_id

    def parts(self) -> tuple[DocumentPart, ...]:
        return tuple(
            DocumentPart(item.assessment_id, item.assessment.category, item.recorded_by)
            for item in self.basis
        )

    def without_parts(self, document_ids: Collection[str]) -> Self:
        if not document_ids:
            return self
        kept = tuple(item for item in self.basis if item.assessment_id not in document_ids)
        return self.model_copy(update={"basis": kept})

    @classmethod
    def check_focal_types(cls, resources: Sequence[ElementView]) -> None:
        found = tuple(resource.optional_text("resourceType") or "?" for resource in resources)
        if not found or found[0] != "CarePlan" or any(t != "Observation" for t in found[1:]):
            raise InvalidBundleError(
                f"{cls.ce_type()} carries a CarePlan, then an Observation per assessment it "
                f"rests on; this Bundle's MessageHeader.focus names {', '.join(found) or 'none'}"
            )

    def destinations(self) -> tuple[str, ...]:
        performers = dict.fromkeys(activity.performer for activity in self.activities)
        performers.pop(self.sender, None)
        return tuple(performers)

    def fhir_resources(self) -> list[FhirJson]:
        plan: FhirJson = {
            "resourceType": "CarePlan",
            "identifier": [business_identifier(self.plan_id)],
            "status": self.status,
            "intent": "plan",
            "category": [codeable_concept(PLAN_TYPE_SYSTEM, self.plan_type.value)],
            "title": self.title,
            "subject": patient_reference(self.client),
            "created": instant(self.occurred_at),
            "author": organisation_reference(self.sender),
        }
        if self.description is not None:
            plan["description"] = self.description
        if self.start is not None or self.end is not None:
            plan["period"] = period(self.start, self.end)
        if self.activities:
            plan["activity"] = [{"detail": _activity_detail(a)} for a in self.activities]
        if self.basis:
            plan["supportingInfo"] = [
                resource_reference("Observation", item.assessment_id) for item in self.basis
            ]
        return [
            plan,
            *(
                professional_observation(
                    assessment_id=item.assessment_id,
                    client=self.client,
                    performer=item.recorded_by,
                    at=item.recorded_at,
                    assessment=item.assessment,
                )
                for item in self.basis
            ),
        ]

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        plan, *observations = resources
        return cls(
            event_id=envelope.event_id,
            occurred_at=envelope.occurred_at,
            sender=plan.organisation("author"),
            client=plan.client("subject"),
            plan_id=plan.business_id("identifier"),
            plan_type=plan.coded("category", PLAN_TYPE_SYSTEM, PlanType),
            title=plan.text("title"),
            description=plan.optional_text("description"),
            status=plan.text("status"),  # type: ignore[arg-type]  # pydantic checks the Literal
            start=plan.optional_moment("period.start"),
            end=plan.optional_moment("period.end"),
            activities=tuple(
                _activity_from(activity.element("detail")) for activity in plan.elements("activity")
            ),
            basis=tuple(
                PlanBasis(
                    assessment_id=observation.business_id("identifier"),
                    recorded_by=observation.first("performer").organisation(""),
                    recorded_at=observation.moment("effectiveDateTime"),
                    assessment=read_professional_assessment(observation),
                )
                for observation in observations
            ),
        )


def _activity_detail(activity: PlanActivity) -> FhirJson:
    detail: FhirJson = {
        "status": activity.status,
        "description": activity.description,
        "performer": [organisation_reference(activity.performer)],
    }
    if activity.start is not None or activity.end is not None:
        detail["scheduledPeriod"] = period(activity.start, activity.end)
    return detail


def _activity_from(detail: ElementView) -> PlanActivity:
    return PlanActivity(
        description=detail.text("description"),
        performer=detail.first("performer").organisation(""),
        status=detail.text("status"),  # type: ignore[arg-type]  # pydantic checks the Literal
        start=detail.optional_moment("scheduledPeriod.start"),
        end=detail.optional_moment("scheduledPeriod.end"),
    )


class PlanCreated(_PlanEvent):
    """A new plan: work-ability support, activation or multi-sectoral employment plan."""

    event_code: ClassVar[str] = "plan.created"


class PlanUpdated(_PlanEvent):
    """A changed plan, sent whole: receivers replace their copy by plan_id."""

    event_code: ClassVar[str] = "plan.updated"
