"""Data categories: the unit in which consents permit or deny disclosure."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DataCategory"]


class DataCategory(StrEnum):
    """What kind of information an event carries; consent decisions are made per category."""

    REFERRAL = "referral"
    ASSESSMENT_HEALTH = "assessment:health"
    ASSESSMENT_SOCIAL = "assessment:social"
    ASSESSMENT_SELF = "assessment:self"
    PLAN = "plan"
    CASE = "case"
    OUTCOME = "outcome"
    CONSENT = "consent"
