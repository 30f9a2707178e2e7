"""Errors of the demo.

DemoError (SaattajaBrokerError)
├── FeedError (RuntimeError)         a source system did not take a journey record
└── StepTimeoutError (TimeoutError)  the router or a receiving system did not act in time
"""

from __future__ import annotations

from broker.errors import SaattajaBrokerError

__all__ = ["DemoError", "FeedError", "StepTimeoutError"]


class DemoError(SaattajaBrokerError):
    """Root of the demo's errors."""


class FeedError(DemoError, RuntimeError):
    """An organisation's adapter refused a record the journey handed to it."""


class StepTimeoutError(DemoError, TimeoutError):
    """A step was not decided or delivered within its deadline."""
