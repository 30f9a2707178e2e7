"""A consent id names one consent of the client, whichever organisation recorded it."""

from __future__ import annotations

import pytest

from schemas import DataCategory, RejectionNotice
from tests.router.events import KELA, KELA_KIND, SOTE, consent, referral, refusal, revocation
from tests.router.harness import Routed, as_record, ids, wait_until_handled

pytestmark = pytest.mark.kafka

TAKEN = "is already the id of a consent or refusal that"


async def test_a_grant_under_another_organisations_consent_id_goes_to_the_dead_letter_topic(
    routed: Routed,
) -> None:
    harness, service = routed
    await harness.publish(refusal("C-K", ("R-K1",)))
    await wait_until_handled(service, 1)  # outboxes are read in no set order
    taken = await harness.publish(
        consent("C-K", (KELA_KIND,), (DataCategory.REFERRAL,), sender=KELA)
    )
    await harness.publish(probe := referral("R-K1"))

    await wait_until_handled(service, 3)
    [dead] = await harness.wait_for_dead_letters(1)
    assert dead.value == taken.value
    assert TAKEN in dict(dead.headers)["saattaja_dlq_reason"].decode()
    # The refusal stands: the referral it names reaches nobody.
    [decision] = [r for r in await harness.audit_records() if r.event_id == probe.event_id]
    assert (decision.decision, decision.reason) == ("deny", "refused")


async def test_the_organisation_whose_grant_is_refused_is_told_who_owns_the_id(
    routed: Routed,
) -> None:
    harness, service = routed
    await harness.publish(consent("C-L", (KELA_KIND,), (DataCategory.REFERRAL,)))
    await wait_until_handled(service, 1)  # outboxes are read in no set order
    await harness.publish(consent("C-L", (KELA_KIND,), (DataCategory.PLAN,), sender=KELA))

    [notice_record] = await harness.wait_for_inbox("kela", 1)
    notice = RejectionNotice.decode(as_record(notice_record))
    assert TAKEN in notice.reason
    assert harness.registry.by_oid(SOTE).name in notice.reason


async def test_another_organisation_may_revoke_a_consent_it_did_not_record(
    routed: Routed,
) -> None:
    harness, service = routed
    await harness.publish(consent("C-M", (KELA_KIND,), (DataCategory.REFERRAL,)))
    await harness.publish(first := referral("R-M1"))
    await harness.wait_for_inbox("kela", 1)  # the revocation comes from another outbox

    await harness.publish(revocation("C-M", sender=KELA))
    await wait_until_handled(service, 3)
    await harness.publish(referral("R-M2"))

    await wait_until_handled(service, 4)
    assert await harness.dead_letters() == []
    assert await harness.inbox_event_ids("kela") == ids([first])


async def test_a_taken_consent_id_is_not_echoed_since_it_may_be_personal_data(
    routed: Routed,
) -> None:
    # A sender's system may put anything in a business id, an identity code too.
    harness, service = routed
    await harness.publish(consent("020516C903K", (KELA_KIND,), (DataCategory.REFERRAL,)))
    await wait_until_handled(service, 1)  # outboxes are read in no set order
    await harness.publish(consent("020516C903K", (KELA_KIND,), (DataCategory.PLAN,), sender=KELA))

    [notice_record] = await harness.wait_for_inbox("kela", 1)
    notice = RejectionNotice.decode(as_record(notice_record))
    assert (
        f"consent id a value of 11 characters (not shown: it may hold personal data) {TAKEN}"
        in (notice.reason)
    )
    assert "020516C903K" not in notice.reason
