"""Assessment events: the client's own Kykyviisari, or a professional's assessment.

Kykyviisari (Finnish Institute of Occupational Health) is sent as the QuestionnaireResponse
the client answered plus an Observation with a component per area, so that a receiving
system can chart change between repeats without knowing the questionnaire.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from schemas.categories import DataCategory
from schemas.codesystems import (
    ASSESSMENT_AREA_SYSTEM,
    ASSESSMENT_KIND_SYSTEM,
    DATA_CATEGORY_SYSTEM,
    KYKYVIISARI_QUESTIONNAIRE,
    OBSERVATION_CATEGORY_SYSTEM,
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

__all__ = [
    "ASSESSMENT_CATEGORIES",
    "AssessmentKind",
    "AssessmentRecorded",
    "KykyviisariResult",
    "ProfessionalAssessment",
    "professional_observation",
    "read_professional_assessment",
]

Score = Annotated[int, Field(ge=0, le=10)]

# Kykyviisari areas: model field -> code in ASSESSMENT_AREA_SYSTEM and QuestionnaireResponse linkId.
ASSESSMENT_CATEGORIES: Final = frozenset(
    {DataCategory.ASSESSMENT_HEALTH, DataCategory.ASSESSMENT_SOCIAL, DataCategory.ASSESSMENT_SELF}
)
"""The data categories of assessments."""

_AREAS: Final = {
    "mental_wellbeing": "mental-wellbeing",
    "social_participation": "social-participation",
    "physical_functioning": "physical-functioning",
    "competence": "competence",
    "everyday_life": "everyday-life",
}
_OVERALL: Final = "overall"


class AssessmentKind(StrEnum):
    """What a professional assessed."""

    WORK_ABILITY = "tyokyvyn-arvio"
    SERVICE_NEED = "palvelutarpeen-arvio"
    HEALTH_CHECK = "terveystarkastus"
    REHABILITATION_NEED = "kuntoutustarpeen-arvio"


class KykyviisariResult(BaseModel):
    """The client's own Kykyviisari answers: overall work ability and five areas, each 0-10."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["kykyviisari"] = "kykyviisari"
    overall: Score = Field(description="Overall work ability, 0 (none) to 10 (best).")
    mental_wellbeing: Score
    social_participation: Score
    physical_functioning: Score
    competence: Score
    everyday_life: Score


class ProfessionalAssessment(BaseModel):
    """An assessment by a health or social care professional."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["professional"] = "professional"
    domain: Literal["health", "social"] = Field(
        description="health: health-care data; social: social-welfare data (separate consents)."
    )
    kind: AssessmentKind
    title: FhirString = Field(min_length=1, max_length=500)
    conclusion: FhirString = Field(min_length=1, max_length=10_000)
    work_ability: Score | None = Field(
        default=None, description="The professional's estimate of work ability, 0-10."
    )

    @property
    def category(self) -> DataCategory:
        """Health and social data are separate categories: consents name them separately."""
        if self.domain == "social":
            return DataCategory.ASSESSMENT_SOCIAL
        return DataCategory.ASSESSMENT_HEALTH


def professional_observation(
    *,
    assessment_id: str,
    client: str,
    performer: str,
    at: datetime,
    assessment: ProfessionalAssessment,
) -> FhirJson:
    """The Observation of a professional assessment, also used as a plan's supporting data."""
    observation: FhirJson = {
        "resourceType": "Observation",
        "identifier": [business_identifier(assessment_id)],
        "status": "final",
        "category": [codeable_concept(DATA_CATEGORY_SYSTEM, assessment.category.value)],
        "code": codeable_concept(
            ASSESSMENT_KIND_SYSTEM, assessment.kind.value, text=assessment.title
        ),
        "subject": patient_reference(client),
        "effectiveDateTime": instant(at),
        "performer": [organisation_reference(performer)],
        "valueString": assessment.conclusion,
    }
    if assessment.work_ability is not None:
        observation["component"] = [
            {
                "code": codeable_concept(ASSESSMENT_AREA_SYSTEM, _OVERALL),
                "valueInteger": assessment.work_ability,
            }
        ]
    return observation


def read_professional_assessment(observation: ElementView) -> ProfessionalAssessment:
    """The professional assessment an Observation built by professional_observation() holds."""
    category = observation.code("category", DATA_CATEGORY_SYSTEM)
    components = {
        component.code("code", ASSESSMENT_AREA_SYSTEM): component.integer("valueInteger")
        for component in observation.elements("component")
    }
    return ProfessionalAssessment(
        domain="social" if category == DataCategory.ASSESSMENT_SOCIAL else "health",
        kind=observation.coded("code", ASSESSMENT_KIND_SYSTEM, AssessmentKind),
        title=observation.text("code.text"),
        conclusion=observation.text("valueString"),
        work_ability=components.get(_OVERALL),
    )


class AssessmentRecorded(Event):
    """An assessment was recorded about the client."""

    event_code: ClassVar[str] = "assessment.recorded"
    focal_types: ClassVar[tuple[str, ...]] = ("Observation",)
    default_category: ClassVar[DataCategory] = DataCategory.ASSESSMENT_HEALTH

    assessment_id: FhirString = Field(
        min_length=1, max_length=64, description="Sender-assigned id."
    )
    assessment: Annotated[
        KykyviisariResult | ProfessionalAssessment,
        # Read by its method, and refused without one: the method's default serves Python
        # callers, and a JSON Schema leaving it optional would let such an assessment through.
        Field(discriminator="method", json_schema_extra={"required": ["method"]}),
    ]

    @property
    def category(self) -> DataCategory:
        if isinstance(self.assessment, KykyviisariResult):
            return DataCategory.ASSESSMENT_SELF
        return self.assessment.category

    @classmethod
    def categories(cls) -> frozenset[DataCategory]:
        return ASSESSMENT_CATEGORIES

    @property
    def document_id(self) -> str:
        return self.assessment_id

    def fhir_resources(self) -> list[FhirJson]:
        if isinstance(self.assessment, KykyviisariResult):
            return self._kykyviisari(self.assessment)
        return [
            professional_observation(
                assessment_id=self.assessment_id,
                client=self.client,
                performer=self.sender,
                at=self.occurred_at,
                assessment=self.assessment,
            )
        ]

    def _kykyviisari(self, result: KykyviisariResult) -> list[FhirJson]:
        scores = {_OVERALL: result.overall} | {
            code: getattr(result, field) for field, code in _AREAS.items()
        }
        response: FhirJson = {
            "resourceType": "QuestionnaireResponse",
            "identifier": business_identifier(self.assessment_id),
            "questionnaire": KYKYVIISARI_QUESTIONNAIRE,
            "status": "completed",
            "subject": patient_reference(self.client),
            "authored": instant(self.occurred_at),
            "author": organisation_reference(self.sender),
            "source": patient_reference(self.client),
            "item": [
                {"linkId": code, "answer": [{"valueInteger": score}]}
                for code, score in scores.items()
            ],
        }
        observation: FhirJson = {
            "resourceType": "Observation",
            "identifier": [business_identifier(self.assessment_id)],
            "status": "final",
            "subject": patient_reference(self.client),
            "effectiveDateTime": instant(self.occurred_at),
            "performer": [organisation_reference(self.sender)],
            "category": [
                codeable_concept(OBSERVATION_CATEGORY_SYSTEM, "survey"),
                codeable_concept(DATA_CATEGORY_SYSTEM, self.category.value),
            ],
            "code": codeable_concept(ASSESSMENT_KIND_SYSTEM, "kykyviisari", "Kykyviisari"),
            "valueInteger": result.overall,
            "component": [
                {
                    "code": codeable_concept(ASSESSMENT_AREA_SYSTEM, code),
                    "valueInteger": getattr(result, field),
                }
                for field, code in _AREAS.items()
            ],
            "derivedFrom": [resource_reference("QuestionnaireResponse", self.assessment_id)],
        }
        return [response, observation]

    @classmethod
    def check_focal_types(cls, resources: Sequence[ElementView]) -> None:
        found = tuple(resource.optional_text("resourceType") or "?" for resource in resources)
        if found not in (("QuestionnaireResponse", "Observation"), ("Observation",)):
            raise InvalidBundleError(
                f"{cls.ce_type()} carries an Observation, preceded by its QuestionnaireResponse "
                f"for a self-assessment; this Bundle's MessageHeader.focus names "
                f"{', '.join(found) or 'none'}"
            )

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        observation = resources[-1]
        assessment: KykyviisariResult | ProfessionalAssessment
        if len(resources) == 2:
            answers = {
                item.text("linkId"): item.first("answer").integer("valueInteger")
                for item in resources[0].elements("item")
            }
            missing = [code for code in (_OVERALL, *_AREAS.values()) if code not in answers]
            if missing:
                raise InvalidBundleError(
                    f"QuestionnaireResponse.item lacks Kykyviisari answer(s) {', '.join(missing)}"
                )
            assessment = KykyviisariResult.model_validate(
                {"overall": answers[_OVERALL]}
                | {field: answers[code] for field, code in _AREAS.items()}
            )
        else:
            assessment = read_professional_assessment(observation)
        return cls(
            event_id=envelope.event_id,
            occurred_at=envelope.occurred_at,
            sender=observation.first("performer").organisation(""),
            client=observation.client("subject"),
            assessment_id=observation.business_id("identifier"),
            assessment=assessment,
        )
