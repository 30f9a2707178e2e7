"""The event catalogue v1: every event type, found by its CloudEvents type."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from schemas.echo import echoed
from schemas.errors import UnknownEventTypeError
from schemas.events.assessment import AssessmentRecorded
from schemas.events.base import Event
from schemas.events.case import CaseManagerAssigned, EpisodeClosed
from schemas.events.consent import ConsentGranted, ConsentRevoked
from schemas.events.pathway import (
    AssessmentAvailable,
    HandoverPackage,
    ReferralExpired,
    ReferralOverdue,
)
from schemas.events.plan import PlanCreated, PlanUpdated
from schemas.events.referral import (
    ReferralAccepted,
    ReferralCompleted,
    ReferralRejected,
    ReferralRequested,
)
from schemas.events.revocation_notice import RevocationUnmatched

__all__ = ["EVENT_TYPES", "event_class_for"]

_CATALOGUE: Final[tuple[type[Event], ...]] = (
    ReferralRequested,
    ReferralAccepted,
    ReferralRejected,
    ReferralCompleted,
    AssessmentRecorded,
    PlanCreated,
    PlanUpdated,
    CaseManagerAssigned,
    EpisodeClosed,
    ConsentGranted,
    ConsentRevoked,
    ReferralOverdue,
    ReferralExpired,
    HandoverPackage,
    AssessmentAvailable,
    RevocationUnmatched,
)

EVENT_TYPES: Final[Mapping[str, type[Event]]] = MappingProxyType(
    {event_class.ce_type(): event_class for event_class in _CATALOGUE}
)
"""ce_type -> event model, for every event of the catalogue v1."""

# The kinds and actions of the catalogue: a type made of them (another version, or a kind
# with another kind's action) is quoted to show the mistake; any other is not, since it
# may be whatever a sender's system wrote there.
_WORDS: Final = frozenset(
    word for event_class in _CATALOGUE for word in event_class.event_code.split(".")
)
_TYPE_OF_KNOWN_WORDS: Final = re.compile(r"fi\.saattaja\.([a-z]+)\.([a-z]+)\.v[1-9][0-9]{0,2}")


def event_class_for(ce_type: str) -> type[Event]:
    """The model of a CloudEvents type; UnknownEventTypeError lists the known ones."""
    try:
        return EVENT_TYPES[ce_type]
    except KeyError as exc:
        raise UnknownEventTypeError(
            f"ce_type {_shown(ce_type)} is not in the Saattaja event catalogue v1; known types: "
            f"{', '.join(EVENT_TYPES)}"
        ) from exc


def _shown(ce_type: str) -> str:
    match = _TYPE_OF_KNOWN_WORDS.fullmatch(ce_type)
    if match is not None and set(match.groups()) <= _WORDS:
        return repr(ce_type)
    return echoed(ce_type)
