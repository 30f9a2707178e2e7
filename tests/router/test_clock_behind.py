"""A consent version the router has read counts, whatever the clock that stamped it said.

Two router processes share the work and a client's partitions move between them; the clock
of the one that applied a revocation may run ahead of the next one's, or a machine's clock
may be stepped back. A revocation applied before an event is routed ends the consent for it
all the same (ARCHITECTURE.md: "a revocation takes effect for every event routed after it
is applied").
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from schemas import DataCategory
from tests.router.events import KELA, KELA_KIND, consent, referral, revocation
from tests.router.harness import RouterUnderTest

pytestmark = pytest.mark.kafka


async def test_revocation_stamped_ahead_of_the_routers_clock_ends_the_consent_for_the_next_event(
    router: RouterUnderTest, client: str
) -> None:
    started = router.clock.now
    try:
        await router.route(
            consent("C-ahead", (KELA_KIND,), (DataCategory.REFERRAL,), client=client)
        )
        router.clock.now = started + timedelta(hours=1)  # the router applying it runs ahead
        await router.route(revocation("C-ahead", client=client))
        router.clock.now = started + timedelta(minutes=1)  # the next one's clock is behind
        probe = referral("R-ahead", client=client)
        await router.route(probe)
    finally:
        router.clock.now = started

    assert [
        e for e in await router.harness.events_of("kela", client) if e.event_id == probe.event_id
    ] == []
    [record] = [
        r for r in await router.harness.audit_records_of(client) if r.event_id == probe.event_id
    ]
    assert (record.recipient, record.decision, record.reason) == (KELA, "deny", "consent-revoked")
    # On record at the moment it was judged at, so that the consent history read at that
    # moment gives the same answer to an auditor.
    assert record.decided_at == started + timedelta(hours=1)
