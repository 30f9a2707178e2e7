"""The router's clock in the demo: real time, moved forward when the story lets days pass."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["DemoClock"]


def _now() -> datetime:
    return datetime.now(UTC)


class DemoClock:
    """Reads real time plus an offset that only grows; give it to the router as its clock.

    The router decides, escalates and audits at the moment its clock reads, so that five
    working days can pass in a second of the demo without the router being told anything
    but the time.
    """

    def __init__(self, now: Callable[[], datetime] = _now) -> None:
        self._now = now
        self._offset = timedelta(0)

    def __call__(self) -> datetime:
        return self._now() + self._offset

    @property
    def offset(self) -> timedelta:
        """How far ahead of real time it runs."""
        return self._offset

    def advance_to(self, moment: datetime) -> None:
        """Read at least ``moment`` from now on; a moment already passed changes nothing."""
        # Never back: the audit log's decision times and the referrals' states must only grow.
        self._offset = max(self._offset, moment - self._now())
