"""A referral moves requested -> accepted | rejected, accepted -> completed; nothing else.

An answer the referral's state does not allow is refused: delivered to nobody, on record as
a denial (invalid-transition) for the organisations it names, and explained to its sender
in a rejection notice. It is not a broken event, so it does not go to the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from broker.pathway.tables import pathway_referral_claims, pathway_referrals
from consent.database import create_database_engine
from schemas import (
    DataCategory,
    Event,
    HandoverItem,
    HandoverPackage,
    HandoverTrigger,
    OrganisationKind,
    Recipient,
    RejectionNotice,
)
from tests.router.events import (
    KELA,
    SOTE,
    TYP,
    acceptance,
    completion,
    consent,
    new_client,
    referral,
    rejection,
)
from tests.router.harness import PSEUDONYMISER, RouterUnderTest

pytestmark = pytest.mark.kafka


def referral_consent(client: str) -> Event:
    """Referral data may pass between the health centre and Kela, both ways."""
    return consent(
        "C-referrals",
        (Recipient(kind=OrganisationKind.KELA), Recipient(organisation=SOTE)),
        (DataCategory.REFERRAL,),
        client=client,
    )


async def state_of(router: RouterUnderTest, client: str, referral_id: str) -> str:
    [row] = [
        row
        for row in await router.harness.rows(pathway_referrals, client)
        if row["referral_id"] == referral_id
    ]
    return str(row["state"])


async def ids_in_inbox(router: RouterUnderTest, kind: str, client: str) -> list[str]:
    return [str(event.event_id) for event in await router.harness.events_of(kind, client)]


async def refused(router: RouterUnderTest, event: Event, sender_kind: str) -> RejectionNotice:
    """Check what every refusal has in common; the notice its sender received."""
    harness = router.harness
    [notice] = [
        notice
        for notice in await harness.notices_of(sender_kind, event.client)
        if notice.rejected_event_id == str(event.event_id)
    ]
    records = [
        r for r in await harness.audit_records_of(event.client) if r.event_id == event.event_id
    ]
    assert records
    assert {(r.decision, r.reason) for r in records} == {("deny", "invalid-transition")}
    assert {r.recipient for r in records} == set(event.destinations()) - {event.sender}
    inboxes = await asyncio.gather(
        *(ids_in_inbox(router, org.id, event.client) for org in harness.registry)
    )
    assert all(str(event.event_id) not in inbox for inbox in inboxes)
    dead = [dict(r.headers).get("ce_id") for r in await harness.dead_letters()]
    assert str(event.event_id).encode() not in dead
    return notice


async def test_acceptance_reaches_the_requester_and_the_referral_is_accepted(
    router: RouterUnderTest, client: str
) -> None:
    accepted = acceptance("R-accept", client=client)
    await router.route(referral_consent(client), referral("R-accept", client=client))
    await router.route(accepted)

    assert await ids_in_inbox(router, "sote", client) == [str(accepted.event_id)]
    assert await state_of(router, client, "R-accept") == "accepted"


async def test_accepted_referral_is_completed_and_the_requester_hears_of_it(
    router: RouterUnderTest, client: str
) -> None:
    accepted, completed = (
        acceptance("R-complete", client=client),
        completion("R-complete", client=client),
    )
    await router.route(referral_consent(client), referral("R-complete", client=client))
    await router.route(accepted)
    await router.route(completed)

    assert await ids_in_inbox(router, "sote", client) == [
        str(accepted.event_id),
        str(completed.event_id),
    ]
    assert await state_of(router, client, "R-complete") == "completed"


async def test_second_acceptance_is_refused_and_the_requester_hears_only_the_first(
    router: RouterUnderTest, client: str
) -> None:
    first, second = acceptance("R-twice", client=client), acceptance("R-twice", client=client)
    await router.route(referral_consent(client), referral("R-twice", client=client))
    await router.route(first)
    await router.route(second)

    notice = await refused(router, second, "kela")
    assert "accepted already" in notice.reason
    assert notice.recipient == KELA
    assert await ids_in_inbox(router, "sote", client) == [str(first.event_id)]
    assert await state_of(router, client, "R-twice") == "accepted"


async def test_completing_a_referral_that_was_never_accepted_is_refused(
    router: RouterUnderTest, client: str
) -> None:
    completed = completion("R-unaccepted", client=client)
    await router.route(referral_consent(client), referral("R-unaccepted", client=client))
    await router.route(completed)

    notice = await refused(router, completed, "kela")
    assert "only an accepted referral can be completed" in notice.reason
    assert await state_of(router, client, "R-unaccepted") == "requested"


async def test_answer_from_an_organisation_that_is_not_the_receiver_is_refused(
    router: RouterUnderTest, client: str
) -> None:
    by_typ = acceptance("R-other", by=TYP, client=client)
    await router.route(referral_consent(client), referral("R-other", client=client))
    await router.route(by_typ)

    notice = await refused(router, by_typ, "typ")
    assert f"only by its receiver {KELA}" in notice.reason
    assert await state_of(router, client, "R-other") == "requested"


async def test_answer_to_a_referral_nobody_requested_is_refused(
    router: RouterUnderTest, client: str
) -> None:
    unknown = acceptance("R-unknown", client=client)
    await router.route(referral_consent(client))
    await router.route(unknown)

    notice = await refused(router, unknown, "kela")
    assert "no referral R-unknown" in notice.reason
    assert await router.harness.rows(pathway_referrals, client) == []


async def test_answer_refused_before_its_referral_is_delivered_when_sent_again_under_its_id(
    router: RouterUnderTest, client: str
) -> None:
    early = acceptance("R-early", client=client)
    await router.route(referral_consent(client), early)
    await router.route(referral("R-early", client=client))
    await router.route(early)

    assert await ids_in_inbox(router, "sote", client) == [str(early.event_id)]
    assert await state_of(router, client, "R-early") == "accepted"
    decided = {
        (r.decision, r.reason)
        for r in await router.harness.audit_records_of(client)
        if r.event_id == early.event_id
    }
    assert decided == {("deny", "invalid-transition"), ("permit", "consent")}


async def test_answer_refused_again_for_the_same_reason_brings_no_second_notice(
    router: RouterUnderTest, client: str
) -> None:
    unknown = acceptance("R-still-unknown", client=client)
    await router.route(referral_consent(client), unknown)
    await router.route(unknown)

    assert len(await router.harness.notices_of("kela", client)) == 1
    assert await ids_in_inbox(router, "sote", client) == []


async def test_answer_refused_again_for_another_reason_brings_a_notice_saying_it(
    router: RouterUnderTest, client: str
) -> None:
    early = completion("R-early-done", client=client)
    await router.route(referral_consent(client), early)
    await router.route(referral("R-early-done", client=client))
    await router.route(early)

    first, second = await router.harness.notices_of("kela", client)
    assert "no referral R-early-done" in first.reason
    assert "only an accepted referral can be completed" in second.reason
    assert await state_of(router, client, "R-early-done") == "requested"


async def test_rejected_referral_cannot_be_accepted_afterwards(
    router: RouterUnderTest, client: str
) -> None:
    declined, late = rejection("R-declined", client=client), acceptance("R-declined", client=client)
    await router.route(referral_consent(client), referral("R-declined", client=client))
    await router.route(declined)
    await router.route(late)

    notice = await refused(router, late, "kela")
    assert "rejected already" in notice.reason
    assert await ids_in_inbox(router, "sote", client) == [str(declined.event_id)]
    assert await state_of(router, client, "R-declined") == "rejected"


async def test_referral_id_used_a_second_time_is_refused(
    router: RouterUnderTest, client: str
) -> None:
    first, again = referral("R-reused", client=client), referral("R-reused", client=client)
    await router.route(referral_consent(client), first)
    await router.route(again)

    notice = await refused(router, again, "sote")
    assert "already requested" in notice.reason
    assert notice.recipient == SOTE
    assert await ids_in_inbox(router, "kela", client) == [str(first.event_id)]


async def test_referral_id_used_for_a_second_client_is_refused_and_the_first_keeps_it(
    router: RouterUnderTest, client: str
) -> None:
    second_client = new_client()
    first = referral("R-shared", client=client)
    again = referral("R-shared", receiver=TYP, client=second_client)
    await router.route(referral_consent(client), referral_consent(second_client), first)
    await router.route(again)

    notice = await refused(router, again, "sote")
    assert "R-shared" in notice.reason
    assert "already requested for another client" in notice.reason
    assert await state_of(router, client, "R-shared") == "requested"
    assert await router.harness.rows(pathway_referrals, second_client) == []


async def test_referral_id_another_router_process_has_just_claimed_for_another_client_is_refused(
    router: RouterUnderTest, client: str
) -> None:
    # Another router process has decided on a request under this id for its own client
    # and not yet stored the referral: only the claim made with its decisions knows it.
    theirs = uuid.uuid4()
    engine = create_database_engine(router.harness.settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                pathway_referral_claims.insert().values(
                    requester=SOTE,
                    referral_id="R-raced",
                    client=PSEUDONYMISER.pseudonym(new_client()),
                    requested_event_id=str(theirs),
                )
            )
    finally:
        await engine.dispose()
    ours = referral("R-raced", client=client)

    await router.route(referral_consent(client), ours)

    notice = await refused(router, ours, "sote")
    assert f"already requested for another client (event {theirs})" in notice.reason
    assert await router.harness.rows(pathway_referrals, client) == []


async def test_referral_to_an_organisation_not_in_the_registry_is_refused_naming_its_oid(
    router: RouterUnderTest, client: str
) -> None:
    unknown_receiver = "1.2.246.10.99999999"
    stray = referral("R-stray", receiver=unknown_receiver, client=client)
    await router.route(referral_consent(client), stray)

    [notice] = await router.harness.notices_of("sote", client)
    assert notice.rejected_event_id == str(stray.event_id)
    assert f"the receiver {unknown_receiver} of referral R-stray" in notice.reason
    assert await router.harness.rows(pathway_referrals, client) == []


async def test_referral_to_its_own_requester_is_refused(
    router: RouterUnderTest, client: str
) -> None:
    to_itself = referral("R-self", receiver=SOTE, client=client)
    await router.route(referral_consent(client), to_itself)

    [notice] = await router.harness.notices_of("sote", client)
    assert notice.rejected_event_id == str(to_itself.event_id)
    assert "names its requester" in notice.reason
    assert await router.harness.rows(pathway_referrals, client) == []


async def test_event_type_the_router_issues_is_dead_lettered_when_an_organisation_publishes_it(
    router: RouterUnderTest, client: str
) -> None:
    history = referral("R-forged", client=client)
    forged = HandoverPackage(
        occurred_at=history.occurred_at,
        sender=KELA,
        client=client,
        recipient=TYP,
        trigger=HandoverTrigger.REFERRAL_ACCEPTED,
        trigger_document_id="R-forged",
        items=(
            HandoverItem(
                event_id=history.event_id,
                event_type="fi.saattaja.referral.requested.v1",
                sender=SOTE,
                category=DataCategory.REFERRAL,
                document_id="R-forged",
                occurred_at=history.occurred_at,
                included=True,
            ),
        ),
    )
    await router.route(forged)

    [dead] = [
        r
        for r in await router.harness.dead_letters()
        if dict(r.headers).get("ce_id") == str(forged.event_id).encode()
    ]
    assert b"issued by the Saattaja router itself" in dict(dead.headers)["saattaja_dlq_reason"]
    assert await router.harness.events_of("typ", client) == []
    [notice] = await router.harness.notices_of("kela", client)
    assert notice.rejected_event_id == str(forged.event_id)
