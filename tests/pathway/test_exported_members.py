"""The pathway package's public names, pinned: a change to them is a deliberate change."""

from __future__ import annotations

import broker.pathway

PUBLIC_NAMES = [
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


def test_the_pathway_package_exports_exactly_its_public_names() -> None:
    assert sorted(broker.pathway.__all__) == PUBLIC_NAMES
    assert all(hasattr(broker.pathway, name) for name in broker.pathway.__all__)
