"""The indicators package's public names, pinned: a change to them is a deliberate change."""

from __future__ import annotations

import broker.indicators
from broker.errors import SaattajaBrokerError

PUBLIC_NAMES = [
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


def test_package_exports_exactly_its_public_names() -> None:
    assert sorted(broker.indicators.__all__) == sorted(PUBLIC_NAMES)
    assert all(hasattr(broker.indicators, name) for name in PUBLIC_NAMES)


def test_indicator_errors_are_broker_errors_and_value_errors() -> None:
    for error in (broker.indicators.InvalidPeriodError, broker.indicators.InvalidThresholdError):
        assert issubclass(error, SaattajaBrokerError)
        assert issubclass(error, ValueError)
