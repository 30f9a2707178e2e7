"""The example journey in schemas/examples: generated, decodable, and only about test persons."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Final

import pytest

import schemas
from schemas import (
    AssessmentKind,
    AssessmentRecorded,
    ConsentGranted,
    EpisodeClosed,
    Event,
    HandoverPackage,
    KafkaRecord,
    KykyviisariResult,
    OrganisationKind,
    PlanCreated,
    PlanUpdated,
    ProfessionalAssessment,
    Recipient,
    ReferralAccepted,
    ReferralRequested,
    check_identity_code,
    is_test_identity_code,
)
from schemas.examples import (
    EXAMPLE_ORGANISATIONS,
    example_codec,
    example_events,
    journey_events,
    router_events,
)
from schemas.export import example_documents, stale_documents

EXAMPLES_DIR: Final = Path(schemas.__file__).parent / "examples"
EXAMPLE_FILES: Final = sorted(path.name for path in EXAMPLES_DIR.glob("*.json"))
EVENTS: Final = dict(example_events())
JOURNEY: Final = [event for _, event in example_events()]
KELA: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.KELA]
JARJESTO: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.JARJESTO]
# Anything shaped like a henkilötunnus, standing alone.
IDENTITY_CODE_LIKE: Final = re.compile(
    r"(?<![0-9A-Za-z])\d{6}[-+A-FU-Y]\d{3}[0-9A-Y](?![0-9A-Za-z])"
)


def read(name: str) -> KafkaRecord:
    return KafkaRecord.from_json(json.loads((EXAMPLES_DIR / name).read_text(encoding="utf-8")))


def test_committed_examples_are_what_the_journey_generates() -> None:
    assert stale_documents(EXAMPLES_DIR, example_documents()) == []


def test_examples_folder_holds_no_file_the_journey_does_not_generate() -> None:
    assert sorted(example_documents()) == EXAMPLE_FILES


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_decodes_to_its_journey_event(name: str) -> None:
    assert example_codec().decode(read(name)) == EVENTS[name]


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_names_only_test_identity_codes(name: str) -> None:
    codes = IDENTITY_CODE_LIKE.findall((EXAMPLES_DIR / name).read_text(encoding="utf-8"))
    assert codes, "the scan found no identity code at all, so it proves nothing"
    assert [code for code in codes if not is_test_identity_code(check_identity_code(code))] == []


def test_identity_code_scan_finds_a_code_among_json() -> None:
    assert IDENTITY_CODE_LIKE.findall('{"value":"150388-9127","x":"a150388-9127"}') == [
        "150388-9127"
    ]


def test_journey_is_in_time_order() -> None:
    assert [event.occurred_at for event in JOURNEY] == sorted(
        event.occurred_at for event in JOURNEY
    )


def test_journey_is_about_one_client() -> None:
    assert len({event.client for event in JOURNEY}) == 1


def test_journey_has_a_health_check() -> None:
    assert any(
        isinstance(event, AssessmentRecorded)
        and isinstance(event.assessment, ProfessionalAssessment)
        and event.assessment.kind is AssessmentKind.HEALTH_CHECK
        for event in JOURNEY
    )


def test_journey_has_a_kykyviisari() -> None:
    assert any(
        isinstance(event, AssessmentRecorded) and isinstance(event.assessment, KykyviisariResult)
        for event in JOURNEY
    )


def referral_to_kela() -> ReferralRequested:
    referrals = [
        event
        for event in JOURNEY
        if isinstance(event, ReferralRequested) and event.receiver == KELA
    ]
    assert len(referrals) == 1
    return referrals[0]


def test_journey_has_a_referral_to_kela_after_a_consent_covering_kela_and_referrals() -> None:
    referral = referral_to_kela()
    assert any(
        isinstance(event, ConsentGranted)
        and event.decision == "permit"
        and Recipient(kind=OrganisationKind.KELA) in event.scope.recipients
        and referral.category in event.scope.categories
        and event.occurred_at <= referral.occurred_at
        for event in JOURNEY
    )


def test_journey_has_kela_accepting_that_referral() -> None:
    referral = referral_to_kela()
    assert any(
        isinstance(event, ReferralAccepted)
        and event.sender == KELA
        and event.referral_id == referral.referral_id
        and event.requester == referral.sender
        and event.occurred_at > referral.occurred_at
        for event in JOURNEY
    )


def test_journey_has_a_plan_shared_by_several_organisations() -> None:
    assert any(
        isinstance(event, PlanCreated) and len(event.destinations()) >= 2 for event in JOURNEY
    )


def test_journey_has_an_ngo_work_activity_period_after_a_consent_naming_the_ngo() -> None:
    periods = [
        (event, activity)
        for event in JOURNEY
        if isinstance(event, PlanCreated | PlanUpdated)
        for activity in event.activities
        if activity.performer == JARJESTO and activity.start and activity.end
    ]
    assert len(periods) == 1
    plan, _ = periods[0]
    assert any(
        isinstance(event, ConsentGranted)
        and Recipient(organisation=JARJESTO) in event.scope.recipients
        and plan.category in event.scope.categories
        and event.occurred_at <= plan.occurred_at
        for event in JOURNEY
    )


def test_journey_events_are_what_organisations_may_publish() -> None:
    assert [event.issued_by_router for _, event in journey_events()] == [False] * len(
        journey_events()
    )


def test_router_events_are_the_journeys_router_issued_ones() -> None:
    assert [name for name, _ in router_events()] == [
        "05a-handover-to-kela.json",
        "06a-kykyviisari-available.json",
        "09b-referral-overdue.json",
        "09b-referral-overdue-receiver.json",
        "09c-referral-expired.json",
        "10a-revocation-unmatched.json",
    ]


def test_journey_hands_kelas_referral_history_over_to_kela() -> None:
    referral = referral_to_kela()
    handovers = [event for event in JOURNEY if isinstance(event, HandoverPackage)]
    assert [(h.recipient, h.trigger_document_id, h.sender) for h in handovers] == [
        (KELA, referral.referral_id, referral.sender)
    ]
    assert {item.event_id: item.included for item in handovers[0].items}[referral.event_id] is False


def test_journey_ends_with_an_outcome() -> None:
    last: Event = JOURNEY[-1]
    assert isinstance(last, EpisodeClosed)
