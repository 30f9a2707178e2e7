"""Events name their documents, and supporting documents can be removed for one recipient."""

from __future__ import annotations

from typing import Final

from schemas import DataCategory, DocumentPart, PlanCreated, ReferralRequested
from schemas.examples import example_codec, journey_events

EVENTS: Final = dict(journey_events())
PLAN: Final = EVENTS["07-shared-plan.json"]
REFERRAL: Final = EVENTS["04-referral-to-kela.json"]


def test_every_event_names_its_main_document() -> None:
    assert REFERRAL.document_id == "EKHVA-LAH-2026-00412"
    assert PLAN.document_id == "TYP-EK-2026-0077"


def test_a_plan_lists_its_supporting_assessments_with_their_categories_and_custodians() -> None:
    # The TYP's plan carries the wellbeing services county's health check: its data.
    sote = "1.2.246.10.32213051.10.1"
    assert PLAN.sender != sote
    assert PLAN.parts() == (
        DocumentPart("EKHVA-TT-2026-1188", DataCategory.ASSESSMENT_HEALTH, recorded_by=sote),
    )


def test_an_event_without_supporting_documents_has_no_parts() -> None:
    assert isinstance(REFERRAL, ReferralRequested)
    assert REFERRAL.parts() == ()
    assert REFERRAL.without_parts({"anything"}) is REFERRAL


def test_removing_a_part_leaves_the_plan_without_that_assessment_and_still_valid() -> None:
    assert isinstance(PLAN, PlanCreated)
    minimised = PLAN.without_parts({"EKHVA-TT-2026-1188"})

    record = example_codec().encode(minimised)

    assert minimised.basis == ()
    assert minimised.activities == PLAN.activities
    assert b"EKHVA-TT-2026-1188" not in record.value
    assert "Selkävaivat".encode() not in record.value
    assert example_codec().decode(record) == minimised


def test_minimised_event_keeps_the_event_id_and_headers() -> None:
    minimised = PLAN.without_parts({"EKHVA-TT-2026-1188"})

    assert example_codec().encode(minimised).headers == example_codec().encode(PLAN).headers
