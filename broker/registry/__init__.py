"""The organisation registry: who takes part, loaded from a YAML file."""

from broker.registry.organisation import (
    ORGANISATION_ID_PATTERN,
    Organisation,
    check_organisation_id,
)
from broker.registry.registry import OrganisationRegistry

__all__ = [
    "ORGANISATION_ID_PATTERN",
    "Organisation",
    "OrganisationRegistry",
    "check_organisation_id",
]
