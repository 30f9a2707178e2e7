"""Events reach exactly the organisations that may receive them, minimised, and on record."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from structlog.testing import capture_logs

from broker.kafka import partition_of
from broker.registry import OrganisationRegistry
from schemas import (
    DataCategory,
    KafkaRecord,
    PlanCreated,
    Recipient,
    RejectionNotice,
)
from tests.bundles import with_bundle, with_value_at
from tests.router.events import (
    KELA,
    KELA_KIND,
    SOTE,
    TYOLLISYYS,
    acceptance,
    consent,
    kykyviisari,
    new_client,
    referral,
    refusal,
    revocation,
    shared_plan,
)
from tests.router.harness import (
    CODEC,
    Routed,
    as_record,
    ids,
    running_router,
    wait_until_handled,
)

pytestmark = pytest.mark.kafka


async def test_permitted_referral_reaches_the_receiver_with_its_headers_intact(
    routed: Routed,
) -> None:
    harness, _ = routed
    await harness.publish(consent("C-1", (KELA_KIND,), (DataCategory.REFERRAL,)))
    sent = await harness.publish(referral("R-1"))

    [delivered] = await harness.wait_for_inbox("kela", 1)

    assert tuple(delivered.headers) == sent.headers
    assert delivered.key == sent.key
    assert delivered.value == sent.value


async def test_referral_without_consent_is_not_delivered_and_the_denial_is_audited(
    routed: Routed,
) -> None:
    harness, service = routed
    event = referral("R-2")
    await harness.publish(event)
    await wait_until_handled(service, 1)

    assert await harness.inbox("kela") == []
    [record] = await harness.audit_records()
    assert (record.event_id, record.recipient, record.decision) == (event.event_id, KELA, "deny")
    assert record.reason


async def test_consent_events_change_the_store_and_go_to_no_inbox(routed: Routed) -> None:
    harness, service = routed
    await harness.publish(consent("C-3", (KELA_KIND,), (DataCategory.REFERRAL,)))
    await wait_until_handled(service, 1)

    for organisation in harness.registry:
        assert await harness.read(f"saattaja.{organisation.id}.inbox") == []
    assert await harness.audit_records() == []


async def test_revoked_consent_no_longer_permits(routed: Routed) -> None:
    harness, service = routed
    await harness.publish(consent("C-4", (KELA_KIND,), (DataCategory.REFERRAL,)))
    # Given to the employment services, it travels through their outbox: it holds for every
    # event routed after it is applied.
    await harness.publish(revocation("C-4", sender=TYOLLISYYS))
    await wait_until_handled(service, 2)
    await harness.publish(probe := referral("R-4"))
    await wait_until_handled(service, 3)

    assert await harness.inbox("kela") == []
    # The outboxes are read in no set order: a revocation applied first is told to its
    # sender as naming no consent yet, and voids the grant all the same.
    [record] = [r for r in await harness.audit_records() if r.event_id == probe.event_id]
    assert record.decision == "deny"


async def test_assessment_follows_the_client_to_the_organisation_that_took_the_catch(
    routed: Routed,
) -> None:
    harness, service = routed
    await harness.publish(
        consent(
            "C-5",
            (KELA_KIND, Recipient(organisation=TYOLLISYYS)),
            (DataCategory.REFERRAL, DataCategory.ASSESSMENT_SELF),
        )
    )
    await harness.publish(referral("R-5"))
    # The referral and its acceptance travel through different outboxes: Kela can accept
    # only a referral the router has seen, and only once the acceptance is routed has Kela
    # joined the client's care network.
    await wait_until_handled(service, 2)
    await harness.publish(acceptance("R-5"))
    await wait_until_handled(service, 3)
    assessment = await harness.publish(kykyviisari("KV-5"))

    delivered = await harness.wait_for_inbox("kela", 2)

    assert [dict(r.headers)["ce_type"] for r in delivered] == [
        b"fi.saattaja.referral.requested.v1",
        b"fi.saattaja.assessment.recorded.v1",
    ]
    assert delivered[1].value == assessment.value
    # Employment services are not in the client's care network: nothing goes there.
    assert await harness.inbox("tyollisyys") == []


async def test_recipient_without_the_health_category_gets_the_plan_but_not_the_health_check(
    routed: Routed,
) -> None:
    harness, service = routed
    await harness.publish(
        consent(
            "C-6",
            (KELA_KIND,),
            (DataCategory.PLAN, DataCategory.ASSESSMENT_HEALTH),
        )
    )
    await harness.publish(
        consent("C-7", (Recipient(organisation=TYOLLISYYS),), (DataCategory.PLAN,))
    )
    # The plan comes through the TYP's outbox, in no order with the health centre's.
    await wait_until_handled(service, 2)
    await harness.publish(shared_plan("P-6", (KELA, TYOLLISYYS)))

    [to_kela] = await harness.wait_for_inbox("kela", 1)
    [to_employment] = await harness.wait_for_inbox("tyollisyys", 1)

    kela_plan = CODEC.decode(KafkaRecord(to_kela.key, tuple(to_kela.headers), to_kela.value))
    employment_plan = CODEC.decode(
        KafkaRecord(to_employment.key, tuple(to_employment.headers), to_employment.value)
    )
    assert isinstance(kela_plan, PlanCreated)
    assert isinstance(employment_plan, PlanCreated)
    assert [item.assessment_id for item in kela_plan.basis] == ["EKHVA-TT-1"]
    assert employment_plan.basis == ()
    assert "Selkävaivat".encode() not in to_employment.value
    removed = {r.recipient: r.removed for r in await harness.audit_records()}
    assert removed == {KELA: (), TYOLLISYYS: ("EKHVA-TT-1",)}


async def test_refusal_of_health_care_data_takes_the_health_centres_check_out_of_the_typs_plan(
    routed: Routed,
) -> None:
    harness, service = routed
    await harness.publish(
        consent("C-8", (KELA_KIND,), (DataCategory.PLAN, DataCategory.ASSESSMENT_HEALTH))
    )
    await harness.publish(refusal("K-8", service_tasks=("terveydenhuolto",)))
    await wait_until_handled(service, 2)
    await harness.publish(shared_plan("P-8", (KELA,)))

    [to_kela] = await harness.wait_for_inbox("kela", 1)

    kela_plan = CODEC.decode(KafkaRecord(to_kela.key, tuple(to_kela.headers), to_kela.value))
    assert isinstance(kela_plan, PlanCreated)
    assert kela_plan.basis == ()
    [record] = await harness.audit_records()
    assert (record.decision, record.basis, record.removed) == ("permit", "C-8", ("EKHVA-TT-1",))


async def test_malformed_event_goes_to_the_dead_letter_topic_and_routing_goes_on(
    routed: Routed,
) -> None:
    harness, _ = routed
    await harness.publish_raw(
        harness.org("sote").id,
        KafkaRecord(key=b"k", headers=(("ce_id", b"broken-1"),), value=b"{not json"),
    )
    await harness.publish(consent("C-8", (KELA_KIND,), (DataCategory.REFERRAL,)))
    await harness.publish(referral("R-8"))

    await harness.wait_for_inbox("kela", 1)
    [dead] = await harness.dead_letters()
    headers = dict(dead.headers)
    assert dead.value == b"{not json"
    assert b"missing header" in headers["saattaja_dlq_reason"]
    assert headers["saattaja_dlq_topic"] == f"saattaja.{harness.org('sote').id}.outbox".encode()
    assert headers["saattaja_dlq_offset"] == b"0"
    assert "saattaja_dlq_partition" in headers


async def test_event_carrying_the_routers_dead_letter_headers_is_refused_and_kept_without_them(
    routed: Routed,
) -> None:
    harness, _ = routed
    sent = CODEC.encode(referral("R-FORGED"))
    forged = dataclasses.replace(
        sent, headers=(("saattaja_dlq_reason", b"all fine, ignore"), *sent.headers)
    )
    await harness.publish_raw(harness.org("sote").id, forged)

    [dead] = await harness.wait_for_dead_letters(1)
    reasons = [value for name, value in dead.headers if name == "saattaja_dlq_reason"]
    assert len(reasons) == 1
    assert b"carries the header saattaja_dlq_reason, which is the router's own" in reasons[0]
    assert dead.value == sent.value
    assert await harness.inbox("kela") == []


async def test_a_rejection_is_logged_with_the_records_event_id_and_type(routed: Routed) -> None:
    harness, service = routed
    spoofed = CODEC.encode(acceptance("R-LOG", by=KELA))
    with capture_logs() as logs:
        await harness.publish_raw(harness.org("sote").id, spoofed)
        await wait_until_handled(service, 1)
    [logged] = [entry for entry in logs if entry["event"] == "event_rejected"]
    assert logged["event_id"] == dict(spoofed.headers)["ce_id"].decode()
    assert logged["type"] == "fi.saattaja.referral.accepted.v1"


async def test_a_rejection_log_quotes_no_id_or_type_that_may_be_personal_data(
    routed: Routed,
) -> None:
    # A sender's system that put the client's identity code and name where the id and
    # type go: the operators' log must not copy them.
    harness, service = routed
    code = new_client()
    with capture_logs() as logs:
        await harness.publish_raw(
            harness.org("sote").id,
            KafkaRecord(
                key=b"k",
                headers=(("ce_id", code.encode()), ("ce_type", f"Matti {code}".encode())),
                value=b"{}",
            ),
        )
        await wait_until_handled(service, 1)
    [logged] = [entry for entry in logs if entry["event"] == "event_rejected"]
    assert code not in repr(logged)
    assert logged["event_id"].startswith("a value of 11 characters (not shown")


async def test_an_event_sent_again_is_logged_as_routed_before_not_as_routed(
    routed: Routed,
) -> None:
    harness, service = routed
    sent = referral("R-AGAIN")
    with capture_logs() as logs:
        await harness.publish(sent)
        await wait_until_handled(service, 1)
        await harness.publish(sent)  # in a batch of its own
        await wait_until_handled(service, 2)
    logged = [entry["event"] for entry in logs if entry.get("event_id") == str(sent.event_id)]
    assert logged == ["event_routed", "event_routed_before"]


def _nested_too_deeply() -> KafkaRecord:
    def nest(bundle: dict[str, Any]) -> None:
        extension: dict[str, Any] = {"url": "urn:example:leaf", "valueString": "x"}
        for _ in range(300):  # several Python frames of FHIR validation per level
            extension = {"url": "urn:example:branch", "extension": [extension]}
        bundle["entry"][1]["resource"]["extension"] = [extension]

    return with_bundle(CODEC.encode(referral("R-DEEP")), nest)


def _dated_with_a_placeholder() -> KafkaRecord:
    sent = CODEC.encode(referral("R-9999"))
    headers = tuple(
        (name, b"9999-12-31T23:59:59+00:00" if name == "ce_time" else value)
        for name, value in sent.headers
    )
    return dataclasses.replace(sent, headers=headers)


def _consent_ending_where_utc_has_no_time() -> KafkaRecord:
    sent = CODEC.encode(consent("C-EDGE", (KELA_KIND,), (DataCategory.REFERRAL,)))
    end = ("entry", 1, "resource", "provision", "period", "end")
    return with_value_at(sent, end, "9999-12-31T23:00:00-05:00")


def _text_holding_a_nul() -> KafkaRecord:
    # PostgreSQL refuses a text holding U+0000.
    reason = ("entry", 1, "resource", "reasonCode", 0, "text")
    return with_value_at(CODEC.encode(referral("R-NUL")), reason, "Työkyky\x00heikentynyt")


@pytest.mark.parametrize(
    ("refused", "reason"),
    [
        pytest.param(_nested_too_deeply, "nests its elements too deeply", id="nested"),
        pytest.param(_dated_with_a_placeholder, "outside the years 1900-2999", id="year-9999"),
        pytest.param(
            _consent_ending_where_utc_has_no_time, "within the years 1-9999 in UTC", id="no-utc"
        ),
        pytest.param(_text_holding_a_nul, "control character U+0000", id="nul"),
    ],
)
async def test_an_event_that_would_fail_every_attempt_goes_to_the_dead_letter_topic(
    routed: Routed, refused: Callable[[], KafkaRecord], reason: str
) -> None:
    # Each of these once made the router retry for ever, holding up its whole partition.
    harness, _ = routed
    record = refused()
    await harness.publish_raw(harness.org("sote").id, record)
    await harness.publish(consent("C-AFTER", (KELA_KIND,), (DataCategory.REFERRAL,)))
    await harness.publish(referral("R-AFTER"))

    await harness.wait_for_inbox("kela", 1)
    [dead] = await harness.dead_letters()
    assert dead.value == record.value
    assert reason.encode() in dict(dead.headers)["saattaja_dlq_reason"]


async def test_sender_of_a_malformed_event_receives_a_rejection_notice(routed: Routed) -> None:
    harness, _ = routed
    await harness.publish_raw(
        harness.org("sote").id,
        KafkaRecord(key=b"k", headers=(("ce_id", b"broken-2"),), value=b"{not json"),
    )

    [notice_record] = await harness.wait_for_inbox("sote", 1)

    notice = RejectionNotice.decode(
        KafkaRecord(notice_record.key, tuple(notice_record.headers), notice_record.value)
    )
    assert notice.rejected_event_id == "broken-2"
    assert notice.recipient == SOTE
    assert "missing header" in notice.reason


async def test_an_event_on_another_partition_than_its_clients_key_is_rejected_naming_the_fix(
    routed: Routed,
) -> None:
    harness, _ = routed
    sent = CODEC.encode(referral("R-P1"))
    keyed = partition_of(sent.key, harness.settings.topic_partitions)
    elsewhere = (keyed + 1) % harness.settings.topic_partitions

    await harness.publish_raw(harness.org("sote").id, sent, partition=elsewhere)

    [dead] = await harness.wait_for_dead_letters(1)
    reason = dict(dead.headers)["saattaja_dlq_reason"].decode()
    assert f"belong on partition {keyed}" in reason
    assert "partitioner=murmur2_random" in reason
    [notice_record] = await harness.wait_for_inbox("sote", 1)
    notice = RejectionNotice.decode(as_record(notice_record))
    assert notice.reason == reason
    assert await harness.audit_records() == []


async def test_event_published_in_another_organisations_name_is_rejected(routed: Routed) -> None:
    harness, _ = routed
    spoofed = CODEC.encode(acceptance("R-9", by=KELA))
    await harness.publish_raw(harness.org("sote").id, spoofed)

    [dead] = await harness.wait_for_dead_letters(1)

    assert b"publishes only as itself" in dict(dead.headers)["saattaja_dlq_reason"]


async def test_a_batch_is_routed_as_event_by_event_routing_would_route_it(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    async with running_router(
        kafka_bootstrap, sqlite_database_url, registry, start_router=False
    ) as (harness, service):
        # One outbox and one client: one partition, so the router reads them in this order,
        # and, published before it starts, in one batch.
        before, during, after = referral("R-10"), referral("R-11"), referral("R-12")
        await harness.publish(before)
        await harness.publish(consent("C-10", (KELA_KIND,), (DataCategory.REFERRAL,)))
        await harness.publish(during)
        await harness.publish(revocation("C-10"))
        await harness.publish(after)
        await service.start()
        await wait_until_handled(service, 5)

        assert await harness.inbox_event_ids("kela") == ids([during])
        decisions = {record.event_id: record.decision for record in await harness.audit_records()}
        assert decisions == {
            before.event_id: "deny",
            during.event_id: "permit",
            after.event_id: "deny",
        }


async def test_in_a_batch_one_clients_consent_changes_nothing_for_another_client(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    async with running_router(
        kafka_bootstrap, sqlite_database_url, registry, start_router=False
    ) as (harness, service):
        other = "240795-934S"
        first, second = referral("R-20", client=other), referral("R-21", client=other)
        mine = referral("R-22")
        await harness.publish(first)
        await harness.publish(consent("C-20", (KELA_KIND,), (DataCategory.REFERRAL,)))
        await harness.publish(mine)
        await harness.publish(second)
        await service.start()
        await wait_until_handled(service, 4)

        assert await harness.inbox_event_ids("kela") == ids([mine])
        decisions = {record.event_id: record.decision for record in await harness.audit_records()}
        assert decisions == {
            first.event_id: "deny",
            mine.event_id: "permit",
            second.event_id: "deny",
        }
