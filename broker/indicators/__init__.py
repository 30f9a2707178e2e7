"""Pathway indicators: referral flow, handovers, duplicate assessments and episode outcomes.

Computed from the pathway tables as aggregates only, with small cells suppressed, for
``saattaja indicators`` and for anything else that reports on the pathway.
"""

from broker.indicators.computation import compute_indicators
from broker.indicators.errors import InvalidPeriodError, InvalidThresholdError
from broker.indicators.figures import Count, Measure
from broker.indicators.percentiles import percentile
from broker.indicators.period import CalendarQuarter, ReportingPeriod
from broker.indicators.results import (
    CategoryCount,
    ClientPaths,
    DuplicateAssessments,
    EpisodeOutcomes,
    OrganisationRef,
    PathwayIndicators,
    ReferralPair,
)
from broker.indicators.suppression import SUPPRESSION_THRESHOLD
from broker.indicators.table import indicators_table

__all__ = [
    "SUPPRESSION_THRESHOLD",
    "CalendarQuarter",
    "CategoryCount",
    "ClientPaths",
    "Count",
    "DuplicateAssessments",
    "EpisodeOutcomes",
    "InvalidPeriodError",
    "InvalidThresholdError",
    "Measure",
    "OrganisationRef",
    "PathwayIndicators",
    "ReferralPair",
    "ReportingPeriod",
    "compute_indicators",
    "indicators_table",
    "percentile",
]
