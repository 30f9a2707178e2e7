"""The event catalogue v1: one typed model per event, building and reading its FHIR Bundle."""

from schemas.events.assessment import (
    AssessmentKind,
    AssessmentRecorded,
    KykyviisariResult,
    ProfessionalAssessment,
)
from schemas.events.base import DocumentPart, Envelope, Event, ce_type_of
from schemas.events.case import CaseManagerAssigned, CaseManagerRole, EpisodeClosed, EpisodeOutcome
from schemas.events.catalogue import EVENT_TYPES, event_class_for
from schemas.events.consent import ConsentGranted, ConsentRevoked, ConsentRule, Recipient
from schemas.events.pathway import (
    ASSESSMENT_CATEGORIES,
    ASSESSMENT_KINDS,
    AssessmentAvailable,
    HandoverItem,
    HandoverPackage,
    HandoverTrigger,
    HintMoment,
    OverdueRole,
    ReferralExpired,
    ReferralOverdue,
    assessment_kind_of,
)
from schemas.events.plan import PlanActivity, PlanBasis, PlanCreated, PlanType, PlanUpdated
from schemas.events.referral import (
    ReferralAccepted,
    ReferralCompleted,
    ReferralRejected,
    ReferralRequested,
)
from schemas.events.revocation_notice import RevocationUnmatched

__all__ = [
    "ASSESSMENT_CATEGORIES",
    "ASSESSMENT_KINDS",
    "EVENT_TYPES",
    "AssessmentAvailable",
    "AssessmentKind",
    "AssessmentRecorded",
    "CaseManagerAssigned",
    "CaseManagerRole",
    "ConsentGranted",
    "ConsentRevoked",
    "ConsentRule",
    "DocumentPart",
    "Envelope",
    "EpisodeClosed",
    "EpisodeOutcome",
    "Event",
    "HandoverItem",
    "HandoverPackage",
    "HandoverTrigger",
    "HintMoment",
    "KykyviisariResult",
    "OverdueRole",
    "PlanActivity",
    "PlanBasis",
    "PlanCreated",
    "PlanType",
    "PlanUpdated",
    "ProfessionalAssessment",
    "Recipient",
    "ReferralAccepted",
    "ReferralCompleted",
    "ReferralExpired",
    "ReferralOverdue",
    "ReferralRejected",
    "ReferralRequested",
    "RevocationUnmatched",
    "assessment_kind_of",
    "ce_type_of",
    "event_class_for",
]
