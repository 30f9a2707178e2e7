"""Example events of one client's journey, exactly as they travel on Kafka."""

from schemas.examples.journey import (
    EXAMPLE_ORGANISATIONS,
    EXAMPLE_PSEUDONYM_SECRET,
    example_codec,
    example_events,
    journey_events,
    router_events,
)

__all__ = [
    "EXAMPLE_ORGANISATIONS",
    "EXAMPLE_PSEUDONYM_SECRET",
    "example_codec",
    "example_events",
    "journey_events",
    "router_events",
]
