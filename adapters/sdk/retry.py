"""Exponential back-off, shared by the outbox relay and the handler retries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` tries (None: forever); pauses double from ``first_delay`` to ``max_delay``."""

    attempts: int | None
    first_delay: float
    max_delay: float

    def delays(self) -> Iterator[float]:
        """The pause before each retry: one fewer than ``attempts``, or endless."""
        delay = self.first_delay
        retries = None if self.attempts is None else self.attempts - 1
        while retries is None or retries > 0:
            yield delay
            delay = min(delay * 2, self.max_delay)
            if retries is not None:
                retries -= 1
