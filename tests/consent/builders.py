"""Consent events and disclosures for the consent tests: one client, the example organisations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from consent.decisions import ClientConsents, Disclosure, DisclosurePart, Party, consent_version
from schemas import (
    ConsentGranted,
    ConsentRevoked,
    ConsentRule,
    DataCategory,
    OrganisationKind,
    Pseudonymiser,
    Recipient,
)
from schemas.examples import EXAMPLE_ORGANISATIONS

SOTE: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.SOTE]
KELA: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.KELA]
TYOLLISYYS: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.TYOLLISYYS]
TYP: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.TYP]
JARJESTO: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.JARJESTO]
KIND_OF: Final = {oid: kind for kind, oid in EXAMPLE_ORGANISATIONS.items()}

CLIENT: Final = "150388-9127"
OTHER_CLIENT: Final = "240795-934S"
PSEUDONYMS: Final = Pseudonymiser(b"consent-tests-pseudonym-secret-0123456789")
PSEUDONYM: Final = PSEUDONYMS.pseudonym(CLIENT)

T0: Final = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""When the first consent is applied; every test's clock is relative to it."""
HOUR: Final = timedelta(hours=1)
DAY: Final = timedelta(days=1)


def party(oid: str) -> Party:
    """An example organisation as a party of a disclosure."""
    return Party(oid, KIND_OF[oid])


def grant(
    consent_id: str,
    *,
    recipients: Sequence[Recipient] = (Recipient(kind=OrganisationKind.KELA),),
    categories: Sequence[DataCategory] = (DataCategory.PLAN,),
    exceptions: Sequence[ConsentRule] = (),
    sender: str = SOTE,
    client: str = CLIENT,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    purpose: str = "COC",
    occurred_at: datetime = T0,
) -> ConsentGranted:
    """A consent (suostumus) the client gave at ``sender``."""
    return ConsentGranted(
        occurred_at=occurred_at,
        sender=sender,
        client=client,
        consent_id=consent_id,
        scope=ConsentRule(recipients=tuple(recipients), categories=tuple(categories)),
        exceptions=tuple(exceptions),
        purpose=purpose,
        valid_from=valid_from,
        valid_until=valid_until,
    )


def refusal(
    consent_id: str,
    scope: ConsentRule,
    *,
    exceptions: Sequence[ConsentRule] = (),
    sender: str = SOTE,
    client: str = CLIENT,
    occurred_at: datetime = T0,
) -> ConsentGranted:
    """A refusal (kielto) given at ``sender``; ``exceptions`` are what it still permits."""
    return ConsentGranted(
        occurred_at=occurred_at,
        sender=sender,
        client=client,
        consent_id=consent_id,
        decision="deny",
        scope=scope,
        exceptions=tuple(exceptions),
    )


def revocation(
    consent_id: str, *, sender: str = SOTE, client: str = CLIENT, occurred_at: datetime = T0
) -> ConsentRevoked:
    """The client withdraws a consent or refusal at ``sender``."""
    return ConsentRevoked(
        occurred_at=occurred_at, sender=sender, client=client, consent_id=consent_id
    )


Applied = tuple[ConsentGranted | ConsentRevoked, datetime]


def consents(*applied: Applied, client: str = PSEUDONYM) -> ClientConsents:
    """The in-memory history of consent events, each applied at its time."""
    return ClientConsents.of(
        client, (consent_version(event, applied_at=at) for event, at in applied)
    )


def disclosure(
    recipient: str = KELA,
    category: DataCategory = DataCategory.PLAN,
    *,
    sender: str = SOTE,
    document_id: str = "PLAN-1",
    parts: Sequence[DisclosurePart] = (),
    at: datetime = T0 + HOUR,
    client: str = PSEUDONYM,
    purpose: str = "COC",
) -> Disclosure:
    """One event from ``sender`` considered for ``recipient`` at routing time ``at``."""
    return Disclosure(
        event_id=uuid.UUID(int=1),
        event_type="fi.saattaja.plan.created.v1",
        client=client,
        sender=party(sender),
        recipient=party(recipient),
        category=category,
        document_id=document_id,
        parts=tuple(parts),
        at=at,
        purpose=purpose,
    )
