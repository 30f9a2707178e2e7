"""A referral nobody answers does not fall through the cracks.

Due five working days after it was sent (Finnish public holidays and Midsummer Eve are not
working days), an unanswered referral brings an overdue notice to its requester and to the
client's case manager's organisation, repeated every working day while nobody acts, and
once a reminder to its receiver, who must act; after twenty working days it expires and
the requester keeps the client. The tests move the
router's clock and ask for the scan that the router's watch would run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.sdk import AdapterStore, ReceivedEvents, Receiver, RetryPolicy
from broker.kafka import AcknowledgedSender
from broker.pathway import derived_id
from broker.pathway.tables import pathway_referrals
from broker.registry import OrganisationRegistry
from broker.router import DeliveryLedger, RouterService
from broker.router.ledger import deliveries
from broker.topics import inbox_topic
from schemas import (
    DataCategory,
    Event,
    KafkaRecord,
    OrganisationKind,
    OverdueRole,
    Recipient,
    ReferralExpired,
    ReferralOverdue,
)
from tests.broker.conditions import eventually
from tests.router.events import KELA, SOTE, TYP, acceptance, case_manager, consent, referral
from tests.router.harness import (
    CODEC,
    PSEUDONYMISER,
    Harness,
    ManualClock,
    RouterUnderTest,
    route,
    running_router,
)

pytestmark = pytest.mark.kafka

HELSINKI = ZoneInfo("Europe/Helsinki")
# Thursday; Friday 19 June 2026 is Midsummer Eve, then a weekend.
REQUESTED = datetime(2026, 6, 18, 10, 0, tzinfo=HELSINKI)
# Five working days: Mon 22, Tue 23, Wed 24, Thu 25, Fri 26.
DUE = datetime(2026, 6, 26, 10, 0, tzinfo=HELSINKI)
NEXT_WORKING_DAY = datetime(2026, 6, 29, 10, 0, tzinfo=HELSINKI)
# Twenty working days after the request.
EXPIRES = datetime(2026, 7, 17, 10, 0, tzinfo=HELSINKI)


def referral_consent(client: str, *recipients: Recipient) -> Event:
    return consent(
        "C-referrals",
        (Recipient(kind=OrganisationKind.KELA), *recipients),
        (DataCategory.REFERRAL,),
        client=client,
    )


async def requested(
    router: RouterUnderTest, client: str, referral_id: str, *, case_manager_at: str | None = None
) -> Event:
    """The health centre refers the client to Kela on REQUESTED; maybe names a case manager."""
    router.clock.now = REQUESTED
    sent = referral(referral_id, client=client, at=REQUESTED)
    await router.route(sent)
    if case_manager_at is not None:
        await router.route(
            case_manager(f"E-{referral_id}", case_manager_at, client=client, at=REQUESTED)
        )
    return sent


async def scan_at(router: RouterUnderTest, moment: datetime) -> None:
    """The overdue watch runs at ``moment``."""
    router.clock.now = moment
    await router.service.escalate_overdue()


async def overdue_notices(router: RouterUnderTest, kind: str, client: str) -> list[ReferralOverdue]:
    return [
        event
        for event in await router.harness.events_of(kind, client)
        if isinstance(event, ReferralOverdue)
    ]


async def expiries(router: RouterUnderTest, kind: str, client: str) -> list[ReferralExpired]:
    return [
        event
        for event in await router.harness.events_of(kind, client)
        if isinstance(event, ReferralExpired)
    ]


@asynccontextmanager
async def receiving_inbox(
    harness: Harness, state_file: Path, handler: Callable[[Event], Awaitable[None]]
) -> AsyncIterator[Receiver]:
    """The receiver of kela's adapter, handing the events of its inbox to ``handler``."""
    store = await AdapterStore.open(state_file)
    receiver = Receiver(
        ReceivedEvents(store),
        harness.connection,
        inbox_topic(harness.org("kela").id),
        group_id=f"adapter-{harness.org('kela').id}",
        codec=CODEC,
        handler=handler,
        retry=RetryPolicy(3, 0.01, 0.05),
        session_timeout_ms=2_000,
    )
    receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()
        await store.close()


async def state_of(router: RouterUnderTest, client: str) -> str:
    [row] = await router.harness.rows(pathway_referrals, client)
    return str(row["state"])


async def test_referral_is_overdue_after_five_working_days_not_counting_midsummer_eve(
    router: RouterUnderTest, client: str
) -> None:
    router.clock.now = REQUESTED
    await router.route(referral_consent(client))
    sent = await requested(router, client, "R-o1")

    # Five weekdays after Thursday, but Midsummer Eve was a day off: not yet due.
    await scan_at(router, datetime(2026, 6, 25, 16, 0, tzinfo=HELSINKI))
    assert await overdue_notices(router, "sote", client) == []
    await scan_at(router, DUE)

    [notice] = await overdue_notices(router, "sote", client)
    assert notice.event_id == derived_id("overdue", sent.event_id, 1)
    assert (notice.sender, notice.receiver, notice.referral_id) == (SOTE, KELA, "R-o1")
    assert (notice.escalation, notice.requested_at, notice.due_at) == (1, REQUESTED, DUE)
    assert notice.case_manager_organisation is None
    assert notice.role is OverdueRole.REQUESTER
    [record] = [
        r for r in await router.harness.audit_records_of(client) if r.event_id == notice.event_id
    ]
    assert (record.recipient, record.decision, record.reason) == (SOTE, "permit", "own-data")


async def test_the_receiver_is_reminded_with_the_first_overdue_notice(
    router: RouterUnderTest, client: str
) -> None:
    router.clock.now = REQUESTED
    await router.route(referral_consent(client))
    sent = await requested(router, client, "R-r1")

    await scan_at(router, DUE)

    [reminder] = await overdue_notices(router, "kela", client)
    assert reminder.event_id == derived_id("overdue-receiver", sent.event_id)
    assert (reminder.role, reminder.sender, reminder.receiver) == (OverdueRole.RECEIVER, SOTE, KELA)
    assert (reminder.referral_id, reminder.requested_at, reminder.due_at) == (
        "R-r1",
        REQUESTED,
        DUE,
    )
    assert reminder.occurred_at == DUE  # with requested_at: how long the referral has waited
    # The requester's own notice is not the receiver's to read.
    assert [n.role for n in await overdue_notices(router, "sote", client)] == [
        OverdueRole.REQUESTER
    ]


async def test_the_receivers_reminder_is_decided_by_consent_and_audited(
    router: RouterUnderTest, client: str
) -> None:
    router.clock.now = REQUESTED
    await router.route(referral_consent(client))
    sent = await requested(router, client, "R-r2")

    await scan_at(router, DUE)

    [record] = [
        r
        for r in await router.harness.audit_records_of(client)
        if r.event_id == derived_id("overdue-receiver", sent.event_id)
    ]
    assert (record.recipient, record.decision, record.reason) == (KELA, "permit", "consent")


async def test_the_receiver_is_reminded_only_once_while_the_requester_hears_again(
    router: RouterUnderTest, client: str
) -> None:
    router.clock.now = REQUESTED
    await router.route(referral_consent(client))
    await requested(router, client, "R-r3")
    await scan_at(router, DUE)

    await scan_at(router, NEXT_WORKING_DAY)

    assert [n.escalation for n in await overdue_notices(router, "sote", client)] == [1, 2]
    assert [n.role for n in await overdue_notices(router, "kela", client)] == [OverdueRole.RECEIVER]


async def test_case_managers_organisation_hears_of_the_overdue_referral_when_consent_permits(
    router: RouterUnderTest, client: str
) -> None:
    router.clock.now = REQUESTED
    await router.route(referral_consent(client, Recipient(organisation=TYP)))
    await requested(router, client, "R-o2", case_manager_at=TYP)

    await scan_at(router, DUE)

    [notice] = await overdue_notices(router, "typ", client)
    assert (notice.escalation, notice.case_manager_organisation) == (1, TYP)
    assert [n.event_id for n in await overdue_notices(router, "sote", client)] == [notice.event_id]


async def test_case_managers_organisation_hears_nothing_of_it_without_consent(
    router: RouterUnderTest, client: str
) -> None:
    router.clock.now = REQUESTED
    await router.route(referral_consent(client))
    await requested(router, client, "R-o3", case_manager_at=TYP)

    await scan_at(router, DUE)

    [notice] = await overdue_notices(router, "sote", client)
    assert notice.case_manager_organisation == TYP
    assert await overdue_notices(router, "typ", client) == []
    [denied] = [
        r
        for r in await router.harness.audit_records_of(client)
        if r.event_id == notice.event_id and r.recipient == TYP
    ]
    assert denied.decision == "deny"


async def test_overdue_notice_is_repeated_only_once_the_repeat_interval_has_passed(
    router: RouterUnderTest, client: str
) -> None:
    router.clock.now = REQUESTED
    await router.route(referral_consent(client))
    sent = await requested(router, client, "R-o4")
    await scan_at(router, DUE)

    await scan_at(router, datetime(2026, 6, 26, 16, 0, tzinfo=HELSINKI))
    assert [n.escalation for n in await overdue_notices(router, "sote", client)] == [1]
    await scan_at(router, NEXT_WORKING_DAY)

    notices = await overdue_notices(router, "sote", client)
    assert [n.escalation for n in notices] == [1, 2]
    assert notices[1].event_id == derived_id("overdue", sent.event_id, 2)


async def test_acceptance_stops_the_escalation(router: RouterUnderTest, client: str) -> None:
    router.clock.now = REQUESTED
    await router.route(referral_consent(client))
    await requested(router, client, "R-o5")
    await scan_at(router, DUE)

    router.clock.now = datetime(2026, 6, 26, 11, 0, tzinfo=HELSINKI)
    await router.route(acceptance("R-o5", client=client, at=router.clock.now))
    await scan_at(router, NEXT_WORKING_DAY)
    await scan_at(router, EXPIRES)

    assert [n.escalation for n in await overdue_notices(router, "sote", client)] == [1]
    assert await expiries(router, "sote", client) == []
    assert await state_of(router, client) == "accepted"


async def test_unanswered_referral_expires_and_requester_receiver_and_case_manager_hear_it(
    router: RouterUnderTest, client: str
) -> None:
    router.clock.now = REQUESTED
    await router.route(referral_consent(client, Recipient(organisation=TYP)))
    sent = await requested(router, client, "R-o6", case_manager_at=TYP)

    await scan_at(router, EXPIRES)

    for kind in ("sote", "kela", "typ"):
        [expired] = await expiries(router, kind, client)
        assert expired.event_id == derived_id("expired", sent.event_id)
        assert (expired.referral_id, expired.receiver) == ("R-o6", KELA)
    assert await state_of(router, client) == "expired"


async def test_accepting_an_expired_referral_is_refused(
    router: RouterUnderTest, client: str
) -> None:
    router.clock.now = REQUESTED
    await router.route(referral_consent(client))
    await requested(router, client, "R-o7")
    await scan_at(router, EXPIRES)

    late = acceptance("R-o7", client=client, at=EXPIRES)
    await router.route(late)

    [notice] = await router.harness.notices_of("kela", client)
    assert notice.rejected_event_id == str(late.event_id)
    assert "expired already" in notice.reason
    assert late.event_id not in {e.event_id for e in await router.harness.events_of("sote", client)}
    assert await state_of(router, client) == "expired"


async def test_a_router_stopped_while_its_watch_sends_a_notice_records_the_notice_first(
    kafka_bootstrap: str,
    sqlite_database_url: str,
    registry: OrganisationRegistry,
    client: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ManualClock(REQUESTED)
    async with running_router(
        kafka_bootstrap, sqlite_database_url, registry, clock=clock, overdue_scan_seconds=0.05
    ) as (harness, service):
        await route(harness, service, referral_consent(client))
        await route(harness, service, referral("R-o9", client=client, at=REQUESTED))
        sending, release = asyncio.Event(), asyncio.Event()
        send_all = AcknowledgedSender.send_all

        async def held_send_all(
            self: AcknowledgedSender, deliveries: Sequence[tuple[str, KafkaRecord]]
        ) -> None:
            sending.set()
            await release.wait()  # Kafka slow to acknowledge the notice
            await send_all(self, deliveries)

        monkeypatch.setattr(AcknowledgedSender, "send_all", held_send_all)
        clock.now = DUE  # the watch finds the referral overdue and sends its notice
        await asyncio.wait_for(sending.wait(), 30)
        stopping = asyncio.create_task(service.stop())
        await asyncio.sleep(0)  # stop() runs up to its first wait
        release.set()
        await stopping
        monkeypatch.undo()

        [row] = await harness.rows(pathway_referrals, client)
        assert row["escalations"] == 1  # recorded: a restart sends no notice again

        [notice] = [
            event
            for event in await harness.events_of("sote", client)
            if isinstance(event, ReferralOverdue)
        ]
        assert notice.escalation == 1


class _CrashedError(Exception):
    """The router process dies here: what comes after in the same turn never runs."""


async def test_a_router_dead_after_sending_the_receivers_reminder_sends_it_again_under_its_id(
    kafka_bootstrap: str,
    sqlite_database_url: str,
    registry: OrganisationRegistry,
    client: str,
    tmp_path: Path,
) -> None:
    clock = ManualClock(REQUESTED)
    async with running_router(kafka_bootstrap, sqlite_database_url, registry, clock=clock) as (
        harness,
        first,
    ):
        await route(harness, first, referral_consent(client))
        sent = referral("R-o10", client=client, at=REQUESTED)
        await route(harness, first, sent)
        reminder_id = derived_id("overdue-receiver", sent.event_id)

        def crash(*_args: object, **_kwargs: object) -> None:
            raise _CrashedError

        # Kafka has acknowledged the notices; the transaction recording them never commits.
        clock.now = DUE
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(DeliveryLedger, "record_in", crash)
            with pytest.raises(_CrashedError):
                await first.escalate_overdue()
        await first.stop()

        restarted = RouterService(
            harness.settings, harness.registry, harness.connection, clock=clock
        )
        await restarted.start()
        try:
            pseudonym = PSEUDONYMISER.pseudonym(client)
            await eventually(
                lambda: restarted.owns_client(pseudonym), within=60, what="the client owned again"
            )
            assert await restarted.escalate_overdue() == 1
        finally:
            await restarted.stop()

        # At least once: Kafka has the reminder twice, under the one id derived from the request.
        reminders = [
            notice
            for notice in await harness.events_of("kela", client)
            if isinstance(notice, ReferralOverdue)
        ]
        assert [(n.event_id, n.role) for n in reminders] == [
            (reminder_id, OverdueRole.RECEIVER)
        ] * 2
        kela = harness.org("kela").oid
        ledger = [
            (row["event_id"], row["recipient"])
            for row in await harness.rows(deliveries)
            if row["event_id"] == str(reminder_id)
        ]
        assert ledger == [(str(reminder_id), kela)]
        [row] = await harness.rows(pathway_referrals, client)
        assert row["escalations"] == 1

        # The receiver's adapter drops the copy: its system is reminded once.
        taken: list[Event] = []

        async def take(event: Event) -> None:
            taken.append(event)

        async with receiving_inbox(harness, tmp_path / "kela.state", take) as receiver:
            records = len(await harness.inbox_of("kela", client))
            await eventually(
                lambda: receiver.status.handled + receiver.status.duplicates == records,
                within=60,
                what="kela's adapter read its inbox",
            )
        assert [e.event_id for e in taken if isinstance(e, ReferralOverdue)] == [reminder_id]
        assert receiver.status.duplicates == 1
