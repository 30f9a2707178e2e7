"""The router's own events: who they address, the FHIR they travel as, and what decoding refuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

import pytest
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from schemas import (
    ASSESSMENT_CATEGORIES,
    EVENT_TYPES,
    AssessmentAvailable,
    AssessmentRecorded,
    DataCategory,
    Event,
    HandoverPackage,
    InvalidBundleError,
    KafkaRecord,
    OverdueRole,
    ReferralExpired,
    ReferralOverdue,
    RevocationUnmatched,
    assessment_kind_of,
)
from schemas.codesystems import REFERRAL_ESCALATION_EXTENSION, REFERRAL_OVERDUE_ROLE_EXTENSION
from schemas.examples import example_codec, example_events
from tests.bundles import with_bundle

EVENTS: Final = dict(example_events())
CODEC: Final = example_codec()
HANDOVER: Final = EVENTS["05a-handover-to-kela.json"]
HINT: Final = EVENTS["06a-kykyviisari-available.json"]
OVERDUE: Final = EVENTS["09b-referral-overdue.json"]
REMINDER: Final = EVENTS["09b-referral-overdue-receiver.json"]
EXPIRED: Final = EVENTS["09c-referral-expired.json"]
UNMATCHED: Final = EVENTS["10a-revocation-unmatched.json"]
ROUTER_EVENTS: Final = {"handover": HANDOVER, "hint": HINT, "overdue": OVERDUE, "expired": EXPIRED}
SOTE: Final = "1.2.246.10.32213051.10.1"
IDENTITY_CODE: Final = "020516C903K"
"""A test identity code, standing for personal data a sender's system put in a code."""


def bundle_of(event: Event) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(CODEC.encode(event).value)
    return bundle


def focal_resource(event: Event) -> dict[str, Any]:
    resource: dict[str, Any] = bundle_of(event)["entry"][1]["resource"]
    return resource


def with_focal_resource(event: Event, edit: Callable[[dict[str, Any]], None]) -> KafkaRecord:
    return with_bundle(CODEC.encode(event), lambda bundle: edit(bundle["entry"][1]["resource"]))


# The marker and the addressing.


def test_only_the_pathway_events_and_the_unmatched_revocation_are_issued_by_the_router() -> None:
    assert {ce_type for ce_type, cls in EVENT_TYPES.items() if cls.issued_by_router} == {
        "fi.saattaja.referral.overdue.v1",
        "fi.saattaja.referral.expired.v1",
        "fi.saattaja.handover.package.v1",
        "fi.saattaja.assessment.available.v1",
        "fi.saattaja.revocation.unmatched.v1",
    }


def test_overdue_notice_goes_to_the_requester_and_the_case_manager_organisation() -> None:
    assert isinstance(OVERDUE, ReferralOverdue)
    notice = OVERDUE.model_copy(update={"case_manager_organisation": SOTE})
    assert notice.destinations() == (OVERDUE.sender, SOTE)


def test_overdue_notice_names_the_requester_once_when_it_employs_the_case_manager() -> None:
    assert isinstance(OVERDUE, ReferralOverdue)
    assert OVERDUE.case_manager_organisation == OVERDUE.sender
    assert OVERDUE.destinations() == (OVERDUE.sender,)


def test_receivers_overdue_notice_goes_to_the_receiver_alone() -> None:
    assert isinstance(REMINDER, ReferralOverdue)
    assert REMINDER.role is OverdueRole.RECEIVER
    assert REMINDER.case_manager_organisation is not None
    assert REMINDER.destinations() == (REMINDER.receiver,)


def test_receivers_overdue_notice_says_how_long_the_referral_has_waited() -> None:
    [note] = focal_resource(REMINDER)["note"]
    assert "has waited for your answer since 2026-04-20 (7 days)" in note["text"]


def test_overdue_notice_without_a_role_is_the_requesters() -> None:
    def without_role(task: dict[str, Any]) -> None:
        task["extension"] = [
            e for e in task["extension"] if e["url"] != REFERRAL_OVERDUE_ROLE_EXTENSION
        ]

    # As routers wrote them before the receiver was reminded too.
    assert CODEC.decode(with_focal_resource(OVERDUE, without_role)) == OVERDUE


def test_expired_referral_goes_to_requester_and_receiver_and_case_manager_organisation() -> None:
    assert isinstance(EXPIRED, ReferralExpired)
    notice = EXPIRED.model_copy(update={"case_manager_organisation": SOTE})
    assert notice.destinations() == (EXPIRED.sender, EXPIRED.receiver, SOTE)


@pytest.mark.parametrize("event", [HANDOVER, HINT], ids=["handover", "hint"])
def test_handover_and_hint_go_only_to_their_recipient(event: Event) -> None:
    assert isinstance(event, HandoverPackage | AssessmentAvailable)
    assert event.destinations() == (event.recipient,)


@pytest.mark.parametrize(
    ("event", "document_id"),
    [
        (OVERDUE, "TYP-EK-LAH-2026-0112"),
        (EXPIRED, "TYP-EK-LAH-2026-0112"),
        (HANDOVER, "EKHVA-LAH-2026-00412"),
        (HINT, "EKHVA-KV-2026-0533"),
    ],
    ids=ROUTER_EVENTS.keys(),
)
def test_router_event_names_the_document_it_is_about(event: Event, document_id: str) -> None:
    assert event.document_id == document_id


def test_unmatched_revocation_notice_goes_only_to_the_organisation_that_recorded_it() -> None:
    assert isinstance(UNMATCHED, RevocationUnmatched)
    assert UNMATCHED.destinations() == (UNMATCHED.sender,)


def test_unmatched_revocation_notice_is_about_the_consent_id_in_the_consent_category() -> None:
    assert (UNMATCHED.document_id, UNMATCHED.category) == (
        "LPR-TYO-SUO-2026-0291",
        DataCategory.CONSENT,
    )


def test_assessment_hint_takes_the_category_of_the_assessment() -> None:
    assert HINT.category is DataCategory.ASSESSMENT_SELF


def test_assessment_hint_refuses_a_category_that_is_not_an_assessment() -> None:
    with pytest.raises(ValidationError, match="'plan' is not an assessment category"):
        AssessmentAvailable.model_validate(
            HINT.model_dump() | {"assessment_category": DataCategory.PLAN}
        )


def test_assessment_categories_are_the_three_assessment_ones() -> None:
    assert {category.value for category in ASSESSMENT_CATEGORIES} == {
        "assessment:health",
        "assessment:social",
        "assessment:self",
    }


def test_handover_package_needs_at_least_one_item() -> None:
    with pytest.raises(ValidationError, match="at least 1 item"):
        HandoverPackage.model_validate(HANDOVER.model_dump() | {"items": ()})


def test_overdue_escalation_starts_at_one() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        ReferralOverdue.model_validate(OVERDUE.model_dump() | {"escalation": 0})


# assessment_kind_of: what counts as an assessment of the same kind.


def test_kind_of_a_kykyviisari_is_kykyviisari() -> None:
    kykyviisari = EVENTS["02-kykyviisari.json"]
    assert isinstance(kykyviisari, AssessmentRecorded)
    assert assessment_kind_of(kykyviisari) == "kykyviisari"


def test_kind_of_a_professional_assessment_is_its_assessment_kind() -> None:
    health_check = EVENTS["01-health-check.json"]
    assert isinstance(health_check, AssessmentRecorded)
    assert assessment_kind_of(health_check) == "terveystarkastus"


# The FHIR they travel as.


@pytest.mark.parametrize("event", ROUTER_EVENTS.values(), ids=ROUTER_EVENTS.keys())
def test_router_event_is_a_valid_fhir_r4_message_bundle(event: Event) -> None:
    assert Bundle.model_validate(bundle_of(event)).type == "message"


def test_overdue_task_is_still_requested_with_the_due_date_as_its_restriction() -> None:
    task = focal_resource(OVERDUE)
    assert (task["status"], task["businessStatus"]["coding"][0]["code"]) == ("requested", "overdue")
    assert task["restriction"] == {"period": {"end": "2026-04-27T10:00:00+03:00"}}


def test_overdue_task_carries_the_escalation_as_an_extension() -> None:
    extensions = {item["url"]: item for item in focal_resource(OVERDUE)["extension"]}
    assert extensions[REFERRAL_ESCALATION_EXTENSION]["valuePositiveInt"] == 1


def test_expired_task_is_cancelled_with_a_reason() -> None:
    task = focal_resource(EXPIRED)
    assert (task["status"], task["businessStatus"]["coding"][0]["code"]) == ("cancelled", "expired")
    assert "responsibility stays with the requester" in task["statusReason"]["text"]


def test_handover_entry_references_the_items_record_by_its_bundle_identifier() -> None:
    health_check = bundle_of(EVENTS["01-health-check.json"])
    entry = focal_resource(HANDOVER)["entry"][0]
    assert entry["item"]["identifier"] == health_check["identifier"]


def test_handover_entry_flags_whether_the_record_follows_the_package() -> None:
    flags = [entry["flag"]["coding"][0]["code"] for entry in focal_resource(HANDOVER)["entry"]]
    assert flags == ["included", "included", "delivered-earlier"]


def test_assessment_hint_is_about_the_earlier_observation() -> None:
    about = focal_resource(HINT)["about"][0]
    assert (about["type"], about["identifier"]["value"]) == ("Observation", "EKHVA-KV-2026-0533")


# What decoding refuses.


def test_overdue_notice_with_an_accepted_task_is_refused() -> None:
    record = with_focal_resource(OVERDUE, lambda task: task.update(status="accepted"))
    with pytest.raises(InvalidBundleError, match=r"Task\.status is 'accepted'.*needs 'requested'"):
        CODEC.decode(record)


def test_expired_notice_whose_task_says_overdue_is_refused() -> None:
    def overdue(task: dict[str, Any]) -> None:
        task["businessStatus"]["coding"][0]["code"] = "overdue"

    with pytest.raises(InvalidBundleError, match=r"businessStatus is 'overdue'.*needs 'expired'"):
        CODEC.decode(with_focal_resource(EXPIRED, overdue))


def test_overdue_notice_without_its_escalation_is_refused() -> None:
    def without_escalation(task: dict[str, Any]) -> None:
        task["extension"] = [
            e for e in task["extension"] if e["url"] != REFERRAL_ESCALATION_EXTENSION
        ]

    with pytest.raises(InvalidBundleError, match=r"lacks the extension .*referral-escalation"):
        CODEC.decode(with_focal_resource(OVERDUE, without_escalation))


def test_handover_item_referenced_by_something_other_than_an_event_id_is_refused() -> None:
    def by_business_id(handover_list: dict[str, Any]) -> None:
        handover_list["entry"][0]["item"]["identifier"]["value"] = "EKHVA-TT-2026-1188"

    with pytest.raises(InvalidBundleError, match=r"entry\[0\]\.item\.identifier"):
        CODEC.decode(with_focal_resource(HANDOVER, by_business_id))


def test_communication_that_is_not_an_assessment_hint_is_refused() -> None:
    def other_category(communication: dict[str, Any]) -> None:
        communication["category"][0]["coding"][0]["code"] = "handover-package"

    with pytest.raises(InvalidBundleError, match="needs 'assessment-available'"):
        CODEC.decode(with_focal_resource(HINT, other_category))


def test_communication_that_is_not_an_unmatched_revocation_notice_is_refused() -> None:
    def other_category(communication: dict[str, Any]) -> None:
        communication["category"][0]["coding"][0]["code"] = "assessment-available"

    with pytest.raises(InvalidBundleError, match="needs 'revocation-unmatched'"):
        CODEC.decode(with_focal_resource(UNMATCHED, other_category))


def test_unmatched_revocation_notice_without_the_revocation_it_answers_is_refused() -> None:
    def without_revocation(communication: dict[str, Any]) -> None:
        communication["about"] = [a for a in communication["about"] if a["type"] != "Bundle"]

    with pytest.raises(InvalidBundleError, match="the revocation event's Bundle"):
        CODEC.decode(with_focal_resource(UNMATCHED, without_revocation))


# What decoding refuses is described, not echoed, where it may be personal data.


def test_task_status_holding_personal_data_is_refused_without_echoing_it() -> None:
    record = with_focal_resource(OVERDUE, lambda task: task.update(status=IDENTITY_CODE))
    with pytest.raises(
        InvalidBundleError, match=r"Task\.status is a value of 11 characters"
    ) as caught:
        CODEC.decode(record)
    assert IDENTITY_CODE not in str(caught.value)


def test_business_status_holding_personal_data_is_refused_without_echoing_it() -> None:
    def leaked(task: dict[str, Any]) -> None:
        task["businessStatus"]["coding"][0]["code"] = IDENTITY_CODE

    with pytest.raises(
        InvalidBundleError, match="businessStatus is a value of 11 characters"
    ) as caught:
        CODEC.decode(with_focal_resource(EXPIRED, leaked))
    assert IDENTITY_CODE not in str(caught.value)


def test_list_code_holding_personal_data_is_refused_without_echoing_it() -> None:
    def leaked(handover_list: dict[str, Any]) -> None:
        handover_list["code"]["coding"][0]["code"] = IDENTITY_CODE

    with pytest.raises(
        InvalidBundleError, match=r"List\.code is a value of 11 characters"
    ) as caught:
        CODEC.decode(with_focal_resource(HANDOVER, leaked))
    assert IDENTITY_CODE not in str(caught.value)


def test_handover_flag_holding_personal_data_is_refused_without_echoing_it() -> None:
    def leaked(handover_list: dict[str, Any]) -> None:
        handover_list["entry"][0]["flag"]["coding"][0]["code"] = IDENTITY_CODE

    with pytest.raises(
        InvalidBundleError, match=r"entry\[0\]\.flag has code a value of 11 characters"
    ) as caught:
        CODEC.decode(with_focal_resource(HANDOVER, leaked))
    assert IDENTITY_CODE not in str(caught.value)


def test_communication_category_holding_personal_data_is_refused_without_echoing_it() -> None:
    def leaked(communication: dict[str, Any]) -> None:
        communication["category"][0]["coding"][0]["code"] = IDENTITY_CODE

    with pytest.raises(
        InvalidBundleError, match=r"Communication\.category is a value of 11 characters"
    ) as caught:
        CODEC.decode(with_focal_resource(HINT, leaked))
    assert IDENTITY_CODE not in str(caught.value)
