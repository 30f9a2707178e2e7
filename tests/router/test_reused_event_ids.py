"""An event id names one event: another event sent under it is refused, not taken for a replay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from broker.registry import OrganisationRegistry
from consent.audit import AuditLog
from consent.database import create_database_engine
from schemas import DataCategory, Event, RejectionNotice
from tests.consent.audit.entries import entry
from tests.router.events import KELA, KELA_KIND, consent, referral, revocation
from tests.router.harness import (
    PSEUDONYMISER,
    Routed,
    as_record,
    ids,
    running_router,
    wait_until_handled,
)

pytestmark = pytest.mark.kafka

REUSED = "was already used for another event"
OTHER = "240795-934S"  # another client
MINUTE = timedelta(minutes=1)


def _under_the_id_of(event: Event, first: Event) -> Event:
    return event.model_copy(update={"event_id": first.event_id})


def _reason(dead: Any) -> str:
    return str(dict(dead.headers)["saattaja_dlq_reason"].decode())


async def test_another_event_under_a_routed_events_id_goes_to_the_dead_letter_topic(
    kafka_bootstrap: str, migrated_database_url: str, registry: OrganisationRegistry
) -> None:
    async with running_router(kafka_bootstrap, migrated_database_url, registry) as (harness, _):
        first = referral("R-D1")
        second = _under_the_id_of(referral("R-D2"), first)
        after = referral("R-D3")
        await harness.publish(consent("C-D", (KELA_KIND,), (DataCategory.REFERRAL,)))
        await harness.publish(first)
        await harness.wait_for_inbox("kela", 1)

        reused = await harness.publish(second)
        await harness.publish(after)

        await harness.wait_for_inbox("kela", 2)
        [dead] = await harness.wait_for_dead_letters(1)
        assert dead.value == reused.value
        assert f"event id {first.event_id} {REUSED}" in _reason(dead)
        assert await harness.inbox_event_ids("kela") == ids([first, after])
        audited = {record.event_id for record in await harness.audit_records()}
        assert audited == {first.event_id, after.event_id}


async def test_the_sender_of_an_event_under_a_used_id_is_told_which_id(routed: Routed) -> None:
    harness, _ = routed
    first = referral("R-E1")
    await harness.publish(first)

    await harness.publish(_under_the_id_of(referral("R-E2"), first))

    [notice_record] = await harness.wait_for_inbox("sote", 1)
    notice = RejectionNotice.decode(as_record(notice_record))
    assert notice.rejected_event_id == str(first.event_id)
    assert REUSED in notice.reason


async def test_an_event_published_twice_is_delivered_once_and_refused_never(
    routed: Routed,
) -> None:
    harness, service = routed
    first = referral("R-F1")
    await harness.publish(consent("C-F", (KELA_KIND,), (DataCategory.REFERRAL,)))
    await harness.publish(first)
    await harness.wait_for_inbox("kela", 1)

    await harness.publish(first)  # an adapter sending again after its own crash
    await harness.publish(after := referral("R-F2"))

    await wait_until_handled(service, 4)
    await harness.wait_for_inbox("kela", 2)
    assert await harness.inbox_event_ids("kela") == ids([first, after])
    assert await harness.dead_letters() == []


async def test_an_event_sent_again_stamped_anew_is_a_replay(routed: Routed) -> None:
    # fhir_rest stamps resources that carry no time when it receives them; a retried POST
    # under the same event id is stamped again.
    harness, service = routed
    first = referral("R-M1")
    await harness.publish(consent("C-M", (KELA_KIND,), (DataCategory.REFERRAL,)))
    await harness.publish(first)
    await harness.publish(first.model_copy(update={"occurred_at": first.occurred_at + MINUTE}))

    await wait_until_handled(service, 3)
    await harness.wait_for_inbox("kela", 1)
    assert await harness.inbox_event_ids("kela") == ids([first])
    assert await harness.dead_letters() == []


@pytest.mark.parametrize(
    "consent_between",
    [pytest.param(False, id="one-wave"), pytest.param(True, id="two-waves")],
)
async def test_of_two_events_under_one_id_in_one_batch_the_first_stands(
    kafka_bootstrap: str,
    sqlite_database_url: str,
    registry: OrganisationRegistry,
    consent_between: bool,
) -> None:
    async with running_router(
        kafka_bootstrap, sqlite_database_url, registry, start_router=False
    ) as (harness, service):
        # One outbox and one client: read in this order, in one batch. A consent between
        # the two puts the second in the batch's next wave.
        first = referral("R-G1")
        granted = consent("C-G", (KELA_KIND,), (DataCategory.REFERRAL,))
        await harness.publish(granted)
        await harness.publish(first)
        if consent_between:
            await harness.publish(consent("C-G2", (KELA_KIND,), (DataCategory.PLAN,)))
        reused = await harness.publish(_under_the_id_of(referral("R-G2"), first))
        await service.start()
        await wait_until_handled(service, 4 if consent_between else 3)

        [dead] = await harness.wait_for_dead_letters(1)
        assert dead.value == reused.value
        assert await harness.inbox_event_ids("kela") == ids([first])
        assert service.status.outcomes["rejected"] == 1


async def test_a_consent_event_under_a_used_id_changes_no_consent(routed: Routed) -> None:
    harness, _ = routed
    granted = consent("C-H", (KELA_KIND,), (DataCategory.REFERRAL,))
    await harness.publish(granted)
    await harness.publish(probe := referral("R-H1"))
    await harness.wait_for_inbox("kela", 1)

    await harness.publish(_under_the_id_of(revocation("C-H"), granted))
    await harness.publish(after := referral("R-H2"))

    [dead] = await harness.wait_for_dead_letters(1)
    assert f"event id {granted.event_id} {REUSED}" in _reason(dead)
    await harness.wait_for_inbox("kela", 2)
    assert await harness.inbox_event_ids("kela") == ids([probe, after])


async def test_a_consent_and_another_event_sharing_an_id_are_both_routed(routed: Routed) -> None:
    # Each kind is checked against its own history: neither is dropped.
    harness, _ = routed
    granted = consent("C-J", (KELA_KIND,), (DataCategory.REFERRAL,))
    await harness.publish(granted)
    sharing = _under_the_id_of(referral("R-J1"), granted)
    await harness.publish(sharing)

    await harness.wait_for_inbox("kela", 1)
    assert await harness.inbox_event_ids("kela") == ids([sharing])
    assert await harness.dead_letters() == []


async def test_an_event_twice_in_one_batch_is_delivered_once_and_refused_never(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    async with running_router(
        kafka_bootstrap, sqlite_database_url, registry, start_router=False
    ) as (harness, service):
        # A producer's retry can put the same record twice in a row in one partition.
        sent = referral("R-K1")
        await harness.publish(consent("C-K", (KELA_KIND,), (DataCategory.REFERRAL,)))
        await harness.publish(sent)
        await harness.publish(sent)
        await service.start()
        await wait_until_handled(service, 3)

        await harness.wait_for_inbox("kela", 1)
        assert await harness.inbox_event_ids("kela") == ids([sent])
        assert await harness.inbox("sote") == []
        assert {r.decision for r in await harness.audit_records()} == {"permit"}


async def test_an_event_under_an_id_another_router_process_has_just_decided_on_is_refused(
    routed: Routed,
) -> None:
    # Another router process has appended its decisions on another client's event under
    # this id, and has not yet recorded its routing: the audit log alone knows the id.
    harness, _ = routed
    sent = referral("R-L1")  # no consent: Kela may not receive it
    engine = create_database_engine(harness.settings.database_url)
    try:
        [theirs] = await AuditLog(engine).append(
            [entry(event_id=sent.event_id, recipient=KELA, client=PSEUDONYMISER.pseudonym(OTHER))]
        )
    finally:
        await engine.dispose()

    await harness.publish(sent)

    [dead] = await harness.wait_for_dead_letters(1)
    assert f"event id {sent.event_id} {REUSED}" in _reason(dead)
    assert await harness.inbox_event_ids("kela") == []
    assert await harness.audit_records() == [theirs]
