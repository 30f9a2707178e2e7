"""A revocation naming a consent id the client has no consent under is kept, and its sender told.

Kept, it voids a consent granted later under that id; but the organisation most likely
mistyped the id, and the consent it meant to end still holds. The router tells it so, once
per revocation, in a notice of its own (revocation.unmatched) on the audited path of the
router's other notices.
"""

from __future__ import annotations

import pytest

from broker.pathway import derived_id
from consent.database import create_database_engine
from consent.store import ConsentStore
from schemas import DataCategory, RevocationUnmatched
from tests.router.events import KELA, KELA_KIND, consent, revocation
from tests.router.harness import PSEUDONYMISER, RouterUnderTest

pytestmark = pytest.mark.kafka


async def unmatched_notices(
    router: RouterUnderTest, kind: str, client: str
) -> list[RevocationUnmatched]:
    return [
        event
        for event in await router.harness.events_of(kind, client)
        if isinstance(event, RevocationUnmatched)
    ]


async def test_a_revocation_naming_no_consent_of_the_client_brings_its_recorder_a_notice(
    router: RouterUnderTest, client: str
) -> None:
    revoked = revocation("C-typo", sender=KELA, client=client)
    await router.route(revoked)

    [notice] = await unmatched_notices(router, "kela", client)
    assert notice.event_id == derived_id("unmatched", revoked.event_id)
    assert (notice.sender, notice.consent_id, notice.revocation_event_id) == (
        KELA,
        "C-typo",
        revoked.event_id,
    )
    assert await unmatched_notices(router, "sote", client) == []


async def test_the_unmatched_revocation_notice_is_on_record_as_a_disclosure_of_own_data(
    router: RouterUnderTest, client: str
) -> None:
    revoked = revocation("C-typo", sender=KELA, client=client)
    await router.route(revoked)

    [record] = [
        r
        for r in await router.harness.audit_records_of(client)
        if r.event_id == derived_id("unmatched", revoked.event_id)
    ]
    assert (record.recipient, record.decision, record.reason) == (KELA, "permit", "own-data")
    assert record.event_type == RevocationUnmatched.ce_type()


async def test_a_revocation_published_again_brings_no_second_notice(
    router: RouterUnderTest, client: str
) -> None:
    revoked = revocation("C-typo", sender=KELA, client=client)
    await router.route(revoked)

    await router.route(revoked)

    assert len(await unmatched_notices(router, "kela", client)) == 1


async def test_a_revocation_of_a_granted_consent_brings_no_notice(
    router: RouterUnderTest, client: str
) -> None:
    await router.route(consent("C-1", (KELA_KIND,), (DataCategory.REFERRAL,), client=client))

    await router.route(revocation("C-1", sender=KELA, client=client))

    assert await router.harness.events_of("kela", client) == []


async def test_a_revocation_recorded_before_a_crash_brings_the_notice_when_routed_again(
    router: RouterUnderTest, client: str
) -> None:
    revoked = revocation("C-typo", sender=KELA, client=client)
    engine = create_database_engine(router.harness.settings.database_url)
    try:  # recorded by a router that stopped before it sent anything
        await ConsentStore(engine).apply(
            revoked, pseudonym=PSEUDONYMISER.pseudonym(client), applied_at=router.clock.now
        )
    finally:
        await engine.dispose()

    await router.route(revoked)

    [notice] = await unmatched_notices(router, "kela", client)
    assert notice.revocation_event_id == revoked.event_id
