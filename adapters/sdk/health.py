"""An adapter's health, as integration staff read it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AdapterHealth"]


@dataclass(frozen=True, slots=True)
class AdapterHealth:
    """Outbox depth and age, parked events, and why sending or receiving waits, if it does."""

    outbox_unsent: int
    outbox_oldest_age_seconds: float
    """How long the oldest unsent record has waited; 0 when the outbox is empty."""
    parked: int
    relay_error: str | None = None
    receiver_error: str | None = None

    @property
    def healthy(self) -> bool:
        """True when Kafka is reachable both ways; parked events are a to-do, not an outage."""
        return self.relay_error is None and self.receiver_error is None

    def lines(self) -> list[str]:
        """One line per fact, for a terminal."""
        lines = [
            f"outbox: {self.outbox_unsent} unsent, oldest waiting "
            f"{self.outbox_oldest_age_seconds:.0f} s",
            f"parked: {self.parked} event(s) the organisation's system did not take",
        ]
        if self.relay_error is not None:
            lines.append(f"sending waits: {self.relay_error}")
        if self.receiver_error is not None:
            lines.append(f"receiving waits: {self.receiver_error}")
        return lines
