"""The example journey speaks of the organisations the shipped registry lists."""

from __future__ import annotations

from broker.registry import OrganisationRegistry
from schemas.examples import EXAMPLE_ORGANISATIONS, journey_events


def test_every_example_organisation_is_in_the_shipped_registry_with_its_kind(
    registry: OrganisationRegistry,
) -> None:
    for kind, oid in EXAMPLE_ORGANISATIONS.items():
        assert registry.by_oid(oid).kind == kind


def test_every_example_event_is_sent_by_a_registered_organisation(
    registry: OrganisationRegistry,
) -> None:
    senders = {event.sender for _, event in journey_events()}
    assert senders <= {organisation.oid for organisation in registry}
