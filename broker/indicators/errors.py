"""Errors raised while computing the pathway indicators.

SaattajaBrokerError (broker.errors)
├── InvalidPeriodError (ValueError)     a period that is empty, reversed or without a time zone
└── InvalidThresholdError (ValueError)  a suppression threshold below one client
"""

from __future__ import annotations

from broker.errors import SaattajaBrokerError

__all__ = ["InvalidPeriodError", "InvalidThresholdError"]


class InvalidPeriodError(SaattajaBrokerError, ValueError):
    """A period whose start is not before its end, or given in wall-clock time without a zone."""


class InvalidThresholdError(SaattajaBrokerError, ValueError):
    """A suppression threshold below one client."""
