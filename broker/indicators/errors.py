"""Errors raised while computing the pathway indicators.

SaattajaBrokerError (broker.errors)
├── InvalidPeriodError (ValueError)     a period that is empty, reversed or without a time zone
│                                       (broker.errors: the dead-letter listing's too)
└── InvalidThresholdError (ValueError)  a suppression threshold below one client
"""

from __future__ import annotations

from broker.errors import InvalidPeriodError, SaattajaBrokerError

__all__ = ["InvalidPeriodError", "InvalidThresholdError"]


class InvalidThresholdError(SaattajaBrokerError, ValueError):
    """A suppression threshold below one client."""
