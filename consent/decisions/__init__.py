"""Consent decisions: may this recipient receive this event about this client, now?

``decide`` is pure over a client's consent history (``ClientConsents``) and the configured
statutory bases (``LegalBases``); the store and the router only feed it.
"""

from consent.decisions.consents import (
    ClientConsents,
    ConsentGrant,
    ConsentRevocation,
    ConsentState,
    ConsentStatus,
    ConsentVersion,
    consent_version,
)
from consent.decisions.decide import decide
from consent.decisions.disclosure import (
    ROUTING_PURPOSE,
    ROUTING_PURPOSE_DISPLAY,
    Disclosure,
    DisclosurePart,
    Party,
)
from consent.decisions.service_tasks import SERVICE_TASKS, service_task_of
from consent.decisions.verdict import Decision, ReasonCode, Verdict

__all__ = [
    "ROUTING_PURPOSE",
    "ROUTING_PURPOSE_DISPLAY",
    "SERVICE_TASKS",
    "ClientConsents",
    "ConsentGrant",
    "ConsentRevocation",
    "ConsentState",
    "ConsentStatus",
    "ConsentVersion",
    "Decision",
    "Disclosure",
    "DisclosurePart",
    "Party",
    "ReasonCode",
    "Verdict",
    "consent_version",
    "decide",
    "service_task_of",
]
