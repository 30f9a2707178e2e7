"""The pathway's rules, as the settings configure them."""

from __future__ import annotations

from datetime import timedelta

from broker.pathway.calendar import WorkingCalendar
from broker.pathway.pathway import DuplicateWindows, PathwayRules
from broker.pathway.referrals import ReferralClock
from broker.settings import SaattajaSettings

__all__ = ["pathway_rules"]


def pathway_rules(settings: SaattajaSettings) -> PathwayRules:
    """Referral deadlines in Finnish working days, duplicate-assessment windows, retention."""
    return PathwayRules(
        clock=ReferralClock(
            calendar=WorkingCalendar(),
            due_working_days=settings.referral_due_working_days,
            repeat_working_days=settings.referral_overdue_repeat_working_days,
            expiry_working_days=settings.referral_expiry_working_days,
        ),
        duplicates=DuplicateWindows(
            default=timedelta(days=settings.duplicate_assessment_window_days),
            by_kind={
                kind: timedelta(days=days)
                for kind, days in settings.duplicate_assessment_windows.items()
            },
        ),
        document_retention=timedelta(days=settings.pathway_document_retention_days),
    )
