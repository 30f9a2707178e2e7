"""Saattaen vaihtaen: the organisation that takes over receives what the others already know.

When Kela accepts the health centre's referral (or an organisation joins the client's care
team), it receives a handover package listing the client's earlier documents that consent
lets it see, followed by those documents themselves, each decided and audited for it. What
consent does not permit is neither listed nor delivered.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from broker.pathway import derived_id
from broker.pathway.tables import pathway_handovers
from broker.router.pathway_effects import Subject, audit_entry
from consent.audit import AuditEntry, AuditLog, AuditRecord
from consent.database import create_database_engine
from consent.decisions import Decision, ReasonCode, Verdict
from schemas import (
    AssessmentAvailable,
    AssessmentRecorded,
    ConsentGranted,
    DataCategory,
    Event,
    HandoverPackage,
    HandoverTrigger,
    PlanCreated,
    Recipient,
    ReferralAccepted,
)
from tests.router.events import (
    KELA,
    KELA_KIND,
    SOTE,
    START,
    TYOLLISYYS,
    TYP,
    acceptance,
    case_manager,
    consent,
    kykyviisari,
    plan,
    referral,
    refusal,
    shared_plan,
)
from tests.router.harness import PSEUDONYMISER, RouterUnderTest

pytestmark = pytest.mark.kafka

EVERYTHING = (
    DataCategory.REFERRAL,
    DataCategory.ASSESSMENT_SELF,
    DataCategory.ASSESSMENT_HEALTH,
    DataCategory.PLAN,
)


async def kela_takes_over(
    router: RouterUnderTest,
    client: str,
    referral_id: str,
    *,
    consents: tuple[ConsentGranted, ...],
    history: tuple[Event, ...],
) -> ReferralAccepted:
    """The consents, then the client's history, then a referral to Kela that Kela accepts."""
    if consents:
        await router.route(*consents)
    await router.route(*history, referral(referral_id, client=client))
    accepted = acceptance(referral_id, client=client, at=START + timedelta(days=1))
    await router.route(accepted)
    return accepted


async def package_for(router: RouterUnderTest, kind: str, client: str) -> HandoverPackage:
    [package] = [
        event
        for event in await router.harness.events_of(kind, client)
        if isinstance(event, HandoverPackage)
    ]
    return package


def listed(package: HandoverPackage) -> set[tuple[str, bool]]:
    """(event id, included) of each item the package lists."""
    return {(str(item.event_id), item.included) for item in package.items}


async def assert_every_delivery_on_record_once(router: RouterUnderTest, client: str) -> None:
    """No inbox holds an event twice, and each delivery has exactly one permit on record."""
    harness = router.harness
    records = Counter(
        (str(r.event_id), r.recipient, r.decision) for r in await harness.audit_records_of(client)
    )
    inboxes = await asyncio.gather(*(harness.events_of(org.id, client) for org in harness.registry))
    for organisation, events in zip(harness.registry, inboxes, strict=True):
        delivered = Counter(str(event.event_id) for event in events)
        assert all(count == 1 for count in delivered.values()), organisation.id
        for event_id in delivered:
            assert records[(event_id, organisation.oid, "permit")] == 1, (event_id, organisation.id)
            assert records[(event_id, organisation.oid, "deny")] == 0, (event_id, organisation.id)


async def test_kela_taking_the_catch_receives_the_package_then_each_document_as_it_was_sent(
    router: RouterUnderTest, client: str
) -> None:
    assessment = kykyviisari("KV-a", client=client)
    typ_plan = plan("P-a", client=client)
    await kela_takes_over(
        router,
        client,
        "R-a",
        consents=(consent("C-a", (KELA_KIND,), EVERYTHING, client=client),),
        history=(assessment, typ_plan),
    )

    package = await package_for(router, "kela", client)
    assert (package.sender, package.recipient) == (SOTE, KELA)
    assert (package.trigger, package.trigger_document_id) == (
        HandoverTrigger.REFERRAL_ACCEPTED,
        "R-a",
    )
    assert listed(package) == {(str(assessment.event_id), True), (str(typ_plan.event_id), True)}
    inbox = await router.harness.events_of("kela", client)
    after_package = inbox[inbox.index(package) + 1 :]
    assert assessment in after_package
    assert typ_plan in after_package
    await assert_every_delivery_on_record_once(router, client)


async def test_package_lists_only_what_consent_permits_and_the_rest_does_not_arrive(
    router: RouterUnderTest, client: str
) -> None:
    assessment = kykyviisari("KV-b", client=client)
    typ_plan = plan("P-b", client=client)
    await kela_takes_over(
        router,
        client,
        "R-b",
        consents=(
            consent("C-b", (KELA_KIND,), (DataCategory.REFERRAL, DataCategory.PLAN), client=client),
        ),
        history=(assessment, typ_plan),
    )

    package = await package_for(router, "kela", client)
    assert listed(package) == {(str(typ_plan.event_id), True)}
    inbox = await router.harness.events_of("kela", client)
    assert typ_plan in inbox
    # Neither the assessment nor a word of it: no hint that it exists either.
    assert not any(isinstance(event, AssessmentRecorded | AssessmentAvailable) for event in inbox)
    [denied] = [
        r
        for r in await router.harness.audit_records_of(client)
        if r.event_id == assessment.event_id and r.recipient == KELA
    ]
    assert (denied.decision, denied.reason) == ("deny", "category-not-covered")
    await assert_every_delivery_on_record_once(router, client)


async def test_document_the_client_refused_to_disclose_is_neither_listed_nor_delivered(
    router: RouterUnderTest, client: str
) -> None:
    assessment = kykyviisari("KV-c", client=client)
    typ_plan = plan("P-c", client=client)
    await kela_takes_over(
        router,
        client,
        "R-c",
        consents=(
            consent("C-c", (KELA_KIND,), EVERYTHING, client=client),
            refusal("K-c", ("KV-c",), client=client),
        ),
        history=(assessment, typ_plan),
    )

    package = await package_for(router, "kela", client)
    assert listed(package) == {(str(typ_plan.event_id), True)}
    delivered = {event.event_id for event in await router.harness.events_of("kela", client)}
    assert assessment.event_id not in delivered
    [denied] = [
        r
        for r in await router.harness.audit_records_of(client)
        if r.event_id == assessment.event_id and r.recipient == KELA
    ]
    assert (denied.decision, denied.reason) == ("deny", "refused")


async def test_without_any_consent_there_is_no_package_and_nothing_is_handed_over(
    router: RouterUnderTest, client: str
) -> None:
    assessment = kykyviisari("KV-d", client=client)
    await kela_takes_over(
        router, client, "R-d", consents=(), history=(assessment, plan("P-d", client=client))
    )

    assert await router.harness.events_of("kela", client) == []
    assert await router.harness.rows(pathway_handovers, client) == []
    to_kela = {
        r.event_id: r.decision
        for r in await router.harness.audit_records_of(client)
        if r.recipient == KELA
    }
    assert to_kela[assessment.event_id] == "deny"
    assert "permit" not in to_kela.values()


async def test_document_handed_over_is_minimised_where_consent_lacks_a_supporting_category(
    router: RouterUnderTest, client: str
) -> None:
    with_health_check = shared_plan("P-e", (TYP,), client=client)
    await kela_takes_over(
        router,
        client,
        "R-e",
        consents=(
            consent("C-e", (KELA_KIND,), (DataCategory.REFERRAL, DataCategory.PLAN), client=client),
        ),
        history=(with_health_check,),
    )

    package = await package_for(router, "kela", client)
    assert listed(package) == {(str(with_health_check.event_id), True)}
    [delivered] = [
        record
        for record in await router.harness.inbox_of("kela", client)
        if dict(record.headers)["ce_id"] == str(with_health_check.event_id).encode()
    ]
    assert "Selkävaivat".encode() not in delivered.value
    [handed_over] = [
        event
        for event in await router.harness.events_of("kela", client)
        if isinstance(event, PlanCreated)
    ]
    assert handed_over.basis == ()
    assert handed_over.title == with_health_check.title
    [permitted] = [
        r
        for r in await router.harness.audit_records_of(client)
        if r.event_id == with_health_check.event_id and r.recipient == KELA
    ]
    assert (permitted.decision, permitted.removed) == ("permit", ("EKHVA-TT-1",))


async def test_document_the_recipient_already_has_is_listed_as_not_included_and_not_sent_again(
    router: RouterUnderTest, client: str
) -> None:
    kela_in_plan = plan("P-f", performers=(KELA,), client=client)
    assessment = kykyviisari("KV-f", client=client)
    await router.route(consent("C-f", (KELA_KIND,), EVERYTHING, client=client))
    await router.route(kela_in_plan)
    await kela_takes_over(router, client, "R-f", consents=(), history=(assessment,))

    package = await package_for(router, "kela", client)
    assert listed(package) == {
        (str(kela_in_plan.event_id), False),
        (str(assessment.event_id), True),
    }
    delivered = [event.event_id for event in await router.harness.events_of("kela", client)]
    assert delivered.count(kela_in_plan.event_id) == 1
    assert delivered.index(kela_in_plan.event_id) < delivered.index(package.event_id)
    await assert_every_delivery_on_record_once(router, client)


async def test_a_handover_puts_its_decisions_on_record_in_the_wave_s_one_append(
    router: RouterUnderTest, client: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One audit transaction for the acceptance, the package and each item it hands over:
    # all of them on record, or none, and one wait on the database instead of two.
    assessment = kykyviisari("KV-o", client=client)
    await router.route(consent("C-o", (KELA_KIND,), EVERYTHING, client=client))
    await router.route(assessment, referral("R-o", client=client))
    appended: list[list[AuditEntry]] = []
    append = AuditLog.append

    async def counted(log: AuditLog, entries: list[AuditEntry]) -> list[AuditRecord]:
        appended.append(list(entries))
        return await append(log, entries)

    monkeypatch.setattr(AuditLog, "append", counted)
    accepted = acceptance("R-o", client=client, at=START + timedelta(days=1))
    await router.route(accepted)

    package = await package_for(router, "kela", client)
    [entries] = appended
    assert {(str(e.event_id), e.recipient) for e in entries} >= {
        (str(accepted.event_id), SOTE),
        (str(package.event_id), KELA),
        (str(assessment.event_id), KELA),
    }
    assert listed(package) == {(str(assessment.event_id), True)}
    await assert_every_delivery_on_record_once(router, client)


async def test_a_handover_routed_again_lists_what_its_decisions_on_record_permit(
    router: RouterUnderTest, client: str
) -> None:
    # As after a crash between the audit append and the offsets: the item's decision for
    # this handover is on record (here a denial), and consent permits it now. What the
    # package lists and what follows it are what the record says, as the auditor sees.
    assessment = kykyviisari("KV-p", client=client)
    await router.route(consent("C-p", (KELA_KIND,), EVERYTHING, client=client))
    await router.route(assessment, referral("R-p", client=client))
    accepted = acceptance("R-p", client=client, at=START + timedelta(days=1))
    denied = audit_entry(
        Subject.of_event(assessment),
        PSEUDONYMISER.pseudonym(client),
        next(org for org in router.harness.registry if org.oid == KELA),
        Decision(Verdict.DENY, ReasonCode.NO_CONSENT, "No consent on record then."),
        START,
        handover=str(derived_id("handover", accepted.event_id, KELA)),
    )
    engine = create_database_engine(router.harness.settings.database_url)
    try:
        await AuditLog(engine).append([denied])
    finally:
        await engine.dispose()

    await router.route(accepted)

    assert assessment not in await router.harness.events_of("kela", client)
    inbox = await router.harness.events_of("kela", client)
    packages = [event for event in inbox if isinstance(event, HandoverPackage)]
    assert all(str(assessment.event_id) not in dict(listed(p)) for p in packages)
    await assert_every_delivery_on_record_once(router, client)


async def test_organisation_joining_the_care_team_receives_the_clients_history(
    router: RouterUnderTest, client: str
) -> None:
    assessment = kykyviisari("KV-g", client=client)
    team = case_manager("E-g", SOTE, (TYOLLISYYS,), client=client)
    await router.route(
        consent(
            "C-g",
            (Recipient(organisation=TYOLLISYYS),),
            (DataCategory.ASSESSMENT_SELF, DataCategory.CASE),
            client=client,
        )
    )
    await router.route(assessment)
    await router.route(team)

    package = await package_for(router, "tyollisyys", client)
    assert (package.sender, package.recipient) == (SOTE, TYOLLISYYS)
    assert (package.trigger, package.trigger_document_id) == (
        HandoverTrigger.CARE_TEAM_JOINED,
        "E-g",
    )
    assert listed(package) == {(str(assessment.event_id), True)}
    assert await router.harness.events_of("tyollisyys", client) == [team, package, assessment]
    [fact] = await router.harness.rows(pathway_handovers, client)
    assert (fact["recipient"], fact["trigger"], fact["items"]) == (
        TYOLLISYYS,
        "care-team-joined",
        1,
    )
    await assert_every_delivery_on_record_once(router, client)


async def test_organisation_naming_its_own_case_manager_receives_the_clients_history(
    router: RouterUnderTest, client: str
) -> None:
    assessment = kykyviisari("KV-own", client=client)
    own = case_manager("E-own", KELA, client=client, sender=KELA)
    await router.route(
        consent(
            "C-own", (KELA_KIND,), (DataCategory.ASSESSMENT_SELF, DataCategory.CASE), client=client
        )
    )
    await router.route(assessment)
    await router.route(own)

    package = await package_for(router, "kela", client)
    assert (package.sender, package.recipient) == (KELA, KELA)
    assert package.trigger is HandoverTrigger.CARE_TEAM_JOINED
    assert listed(package) == {(str(assessment.event_id), True)}
    assert await router.harness.events_of("kela", client) == [package, assessment]
    await assert_every_delivery_on_record_once(router, client)


async def test_organisation_already_in_the_care_team_receives_no_second_package(
    router: RouterUnderTest, client: str
) -> None:
    await router.route(
        consent(
            "C-h",
            (Recipient(organisation=TYP),),
            (DataCategory.ASSESSMENT_SELF, DataCategory.CASE),
            client=client,
        )
    )
    await router.route(kykyviisari("KV-h", client=client))
    await router.route(case_manager("E-h", TYP, client=client))
    await router.route(kykyviisari("KV-h2", client=client, at=START + timedelta(days=2)))
    await router.route(case_manager("E-h2", TYP, (TYOLLISYYS,), client=client))

    packages = [
        event
        for event in await router.harness.events_of("typ", client)
        if isinstance(event, HandoverPackage)
    ]
    assert [package.trigger_document_id for package in packages] == ["E-h"]
    await assert_every_delivery_on_record_once(router, client)


async def test_document_denied_in_one_handover_follows_the_client_in_the_next_once_consented(
    router: RouterUnderTest, client: str
) -> None:
    assessment = kykyviisari("KV-i", client=client)
    first = await kela_takes_over(
        router,
        client,
        "R-i1",
        consents=(consent("C-i1", (KELA_KIND,), (DataCategory.REFERRAL,), client=client),),
        history=(assessment,),
    )
    assert assessment not in await router.harness.events_of("kela", client)

    await router.route(
        consent("C-i2", (KELA_KIND,), (DataCategory.ASSESSMENT_SELF,), client=client)
    )
    await router.route(referral("R-i2", client=client))
    second = acceptance("R-i2", client=client, at=START + timedelta(days=2))
    await router.route(second)

    inbox = await router.harness.events_of("kela", client)
    assert inbox.count(assessment) == 1
    [package] = [e for e in inbox if isinstance(e, HandoverPackage) and e.items]
    assert (str(assessment.event_id), True) in listed(package)
    decisions = {
        (r.handover, r.decision)
        for r in await router.harness.audit_records_of(client)
        if r.event_id == assessment.event_id and r.recipient == KELA
    }
    assert {decision for _, decision in decisions} == {"deny", "permit"}
    assert {handover for handover, _ in decisions} == {
        str(derived_id("handover", first.event_id, KELA)),
        str(derived_id("handover", second.event_id, KELA)),
    }
