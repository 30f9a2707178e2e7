"""The client's pathway: referral ownership, the history that follows the client, overdue
referrals and duplicate assessments, kept by the router from the events themselves."""

from broker.pathway.calendar import WorkingCalendar
from broker.pathway.configuration import pathway_rules
from broker.pathway.pathway import (
    AppliedEvent,
    AssessmentFact,
    CaseManager,
    ClientPathway,
    Document,
    DuplicateWindows,
    EpisodeFact,
    HandoverDue,
    HintDue,
    PathwayChanges,
    PathwayRules,
    StepOutcome,
    apply_event,
    derived_id,
    referral_of_slot,
    referral_slot,
)
from broker.pathway.referrals import (
    Escalation,
    Referral,
    ReferralClaim,
    ReferralClock,
    ReferralState,
    TransitionRefused,
    answer_referral,
    escalate,
    request_referral,
)
from broker.pathway.store import HandoverFact, HintFact, PathwayStore

__all__ = [
    "AppliedEvent",
    "AssessmentFact",
    "CaseManager",
    "ClientPathway",
    "Document",
    "DuplicateWindows",
    "EpisodeFact",
    "Escalation",
    "HandoverDue",
    "HandoverFact",
    "HintDue",
    "HintFact",
    "PathwayChanges",
    "PathwayRules",
    "PathwayStore",
    "Referral",
    "ReferralClaim",
    "ReferralClock",
    "ReferralState",
    "StepOutcome",
    "TransitionRefused",
    "WorkingCalendar",
    "answer_referral",
    "apply_event",
    "derived_id",
    "escalate",
    "pathway_rules",
    "referral_of_slot",
    "referral_slot",
    "request_referral",
]
