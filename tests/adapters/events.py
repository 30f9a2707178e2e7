"""Events and clients of the adapter tests, built with the contract's own models."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

from schemas import Event, EventCodec, OrganisationKind, Pseudonymiser, ReferralRequested
from schemas.examples import EXAMPLE_ORGANISATIONS

SECRET: Final = b"adapter-tests-pseudonym-secret-0123456789"
CODEC: Final = EventCodec(Pseudonymiser(SECRET))
SOTE_OID: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.SOTE]
KELA_OID: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.KELA]
_ALPHABET: Final = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_START: Final = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def client_code(number: int) -> str:
    """A valid test identity code (individual number 9xx) for client ``number`` (0-99)."""
    birth, individual = "150388", f"9{number:02d}"
    return f"{birth}-{individual}{_ALPHABET[int(birth + individual) % 31]}"


def referral(client: str, n: int = 0, *, sender: str = SOTE_OID) -> Event:
    """A referral from the health centre to Kela, the ``n``-th of its client."""
    return ReferralRequested(
        occurred_at=_START + timedelta(minutes=n),
        sender=sender,
        client=client,
        referral_id=f"EKHVA-LAH-{uuid.uuid4().hex[:8]}",
        receiver=KELA_OID,
        service="Kelan ammatillinen kuntoutus",
        reason=f"Työkyky heikentynyt ({n})",
    )
