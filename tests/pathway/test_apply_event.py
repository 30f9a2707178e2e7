"""apply_event: the documents kept per slot, handovers, hints, duplicates and episode ends."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Literal

import pytest

from broker.pathway import (
    AppliedEvent,
    AssessmentFact,
    CaseManager,
    ClientPathway,
    DuplicateWindows,
    EpisodeFact,
    PathwayChanges,
    ReferralState,
    apply_event,
    derived_id,
    referral_of_slot,
    referral_slot,
)
from schemas import AssessmentKind, Event, HandoverTrigger, HintMoment
from tests.pathway.builders import (
    DAY,
    HOUR,
    JARJESTO,
    KELA,
    PSEUDONYM,
    REGISTERED,
    RULES,
    SOTE,
    T0,
    TYOLLISYYS,
    TYP,
    WINDOW,
    Walk,
    accepted,
    assessment,
    case_manager,
    completed,
    episode_closed,
    plan,
    record,
    rejected,
    requested,
)

HEALTH_CHECK = AssessmentKind.HEALTH_CHECK.value
PLAN_SLOT = f"plan/{TYP}/P-1"
REFERRAL_SLOT = referral_slot(SOTE, "R-1")


def slot_of_assessment(sender: str, kind: str = HEALTH_CHECK) -> str:
    return f"assessment/{kind}/{sender}"


def event_ids(walk: Walk) -> dict[str, object]:
    """Which event each slot holds."""
    return {slot: document.event_id for slot, document in walk.pathway.documents.items()}


# --- documents per slot ------------------------------------------------------------------


def test_the_document_keeps_the_record_as_it_arrived() -> None:
    check = assessment("A-1")
    document = Walk().through(check).pathway.documents[slot_of_assessment(SOTE)]
    assert document.record == record(check)
    assert (document.event_type, document.sender, document.kind) == (
        "fi.saattaja.assessment.recorded.v1",
        SOTE,
        "assessment",
    )


def test_a_later_assessment_of_the_same_kind_by_the_same_organisation_replaces_it() -> None:
    later = assessment("A-2", at=T0 + DAY)
    walk = Walk().through(assessment("A-1"), later)
    assert event_ids(walk) == {slot_of_assessment(SOTE): later.event_id}


def test_assessments_of_other_kinds_or_organisations_are_kept_beside_each_other() -> None:
    walk = Walk().through(
        assessment("A-1"),
        assessment("A-2", kind=AssessmentKind.WORK_ABILITY),
        assessment("A-3", sender=KELA),
        assessment("A-4", kind="kykyviisari"),
    )
    assert set(walk.pathway.documents) == {
        slot_of_assessment(SOTE),
        slot_of_assessment(SOTE, AssessmentKind.WORK_ABILITY.value),
        slot_of_assessment(KELA),
        slot_of_assessment(SOTE, "kykyviisari"),
    }


def test_a_plan_update_replaces_the_plan() -> None:
    update = plan(updated=True, at=T0 + DAY)
    walk = Walk().through(plan(), update)
    assert event_ids(walk) == {PLAN_SLOT: update.event_id}
    assert walk.changes.documents[(PSEUDONYM, PLAN_SLOT)] == walk.pathway.documents[PLAN_SLOT]


@pytest.mark.parametrize("status", ["completed", "revoked"])
def test_a_closed_plan_is_removed(status: Literal["completed", "revoked"]) -> None:
    closing = plan(updated=True, status=status)
    walk = Walk().through(plan(at=T0 - DAY), closing)
    assert walk.pathway.documents == {}
    assert walk.changes.documents == {(PSEUDONYM, PLAN_SLOT): None}


def test_a_requested_referral_is_kept_as_an_open_document() -> None:
    request = requested()
    walk = Walk().through(request)
    assert event_ids(walk) == {REFERRAL_SLOT: request.event_id}


def test_an_accepted_referral_stays_open() -> None:
    walk = Walk().through(requested(), accepted())
    assert REFERRAL_SLOT in walk.pathway.documents


def test_a_rejected_referral_is_no_longer_kept() -> None:
    walk = Walk().through(requested(), rejected())
    assert walk.pathway.documents == {}
    assert walk.changes.documents[(PSEUDONYM, REFERRAL_SLOT)] is None


def test_a_completed_referral_is_no_longer_kept() -> None:
    walk = Walk().through(requested(), accepted(), completed())
    assert walk.pathway.documents == {}
    assert walk.changes.documents[(PSEUDONYM, REFERRAL_SLOT)] is None


def test_an_older_plan_version_arriving_late_does_not_replace_the_newer() -> None:
    newer = plan(updated=True, at=T0 + DAY)
    walk = Walk().through(newer, plan(at=T0))
    assert event_ids(walk) == {PLAN_SLOT: newer.event_id}


def test_an_older_assessment_arriving_late_does_not_replace_the_newer() -> None:
    newer = assessment("A-2", at=T0 + DAY)
    walk = Walk().through(newer, assessment("A-1", at=T0))
    assert event_ids(walk) == {slot_of_assessment(SOTE): newer.event_id}


# --- referrals and their outcome ---------------------------------------------------------


def test_an_applied_event_is_recorded_without_a_reason() -> None:
    walk = Walk()
    request = requested()
    assert walk.apply(request).refused is None
    assert walk.changes.events[request.event_id].refused is None


def test_an_applied_event_keeps_the_digest_that_tells_another_event_under_its_id() -> None:
    walk = Walk()
    request = requested()
    walk.apply(request)
    applied = walk.changes.events[request.event_id]

    assert applied.content_digest == request.content_digest()
    assert not applied.carried_other_than(request)
    other = requested(receiver=TYOLLISYYS).model_copy(update={"event_id": request.event_id})
    assert applied.carried_other_than(other)


def test_an_event_applied_before_digests_were_kept_is_taken_for_any_event_under_its_id() -> None:
    assert not AppliedEvent(None, None).carried_other_than(requested())


def test_a_refused_answer_is_recorded_with_its_reason_and_changes_nothing() -> None:
    walk = Walk()
    answer = accepted()
    outcome = walk.apply(answer)
    assert outcome.refused is not None
    assert "no referral R-1" in outcome.refused
    assert walk.changes.events[answer.event_id].refused == outcome.refused
    assert walk.pathway.referrals == {}
    assert walk.changes.referrals == {}


def test_a_request_with_a_used_referral_id_is_refused_and_keeps_the_first() -> None:
    first, second = requested(), requested(receiver=TYOLLISYYS, at=T0 + HOUR)
    walk = Walk().through(first)
    outcome = walk.apply(second)
    assert outcome.refused is not None
    assert walk.changes.events[second.event_id].refused == outcome.refused
    assert walk.pathway.referrals[(SOTE, "R-1")].receiver == KELA
    assert event_ids(walk) == {REFERRAL_SLOT: first.event_id}


def test_a_request_with_a_referral_id_stored_for_another_client_is_refused() -> None:
    theirs = Walk(pathway=ClientPathway("another-client")).through(requested())
    walk = Walk()
    again = requested(receiver=TYP, at=T0 + HOUR)
    outcome = apply_event(
        again,
        record(again),
        walk.pathway,
        frozenset(),
        rules=RULES,
        changes=walk.changes,
        registered=REGISTERED,
        requested=theirs.pathway.referrals,
    )
    assert outcome.refused is not None
    assert "already requested for another client" in outcome.refused
    assert (walk.pathway.referrals, walk.changes.referrals, walk.pathway.documents) == ({}, {}, {})


def test_a_request_with_a_referral_id_another_client_took_earlier_in_the_wave_is_refused() -> None:
    changes = PathwayChanges()
    Walk(pathway=ClientPathway("another-client"), changes=changes).through(requested())
    walk = Walk(changes=changes)
    outcome = walk.apply(requested(receiver=TYP, at=T0 + HOUR))
    assert outcome.refused is not None
    assert "already requested for another client" in outcome.refused
    assert changes.referrals[(SOTE, "R-1")].client == "another-client"


def test_a_referral_to_an_organisation_not_in_the_registry_is_refused_and_not_kept() -> None:
    walk = Walk()
    outcome = walk.apply(requested(receiver="1.2.246.10.99999999"))
    assert outcome.refused is not None
    assert "1.2.246.10.99999999" in outcome.refused
    assert (walk.pathway.referrals, walk.changes.referrals, walk.pathway.documents) == ({}, {}, {})


def test_a_referral_to_its_own_requester_is_refused_and_not_kept() -> None:
    walk = Walk()
    outcome = walk.apply(requested(receiver=SOTE))
    assert outcome.refused is not None
    assert "names its requester" in outcome.refused
    assert (walk.pathway.referrals, walk.changes.referrals, walk.pathway.documents) == ({}, {}, {})


def test_the_referral_is_recorded_in_the_changes() -> None:
    walk = Walk().through(requested(), accepted())
    assert walk.changes.referrals[(SOTE, "R-1")].state is ReferralState.ACCEPTED
    assert walk.changes.referrals == walk.pathway.referrals


# --- handover on acceptance --------------------------------------------------------------


def test_acceptance_hands_the_other_organisations_documents_to_the_receiver() -> None:
    check, shared_plan = assessment("A-1", at=T0 - DAY), plan(at=T0 - DAY)
    walk = Walk().through(check, shared_plan, assessment("A-2", sender=KELA), requested())
    answer = accepted()
    (handover,) = walk.apply(answer).handovers
    assert handover.recipient == KELA
    assert handover.handed_over_by == SOTE
    assert handover.trigger is HandoverTrigger.REFERRAL_ACCEPTED
    assert handover.trigger_document_id == "R-1"
    assert {item.event_id for item in handover.items} == {check.event_id, shared_plan.event_id}


def test_acceptance_with_nothing_to_hand_over_gives_no_handover() -> None:
    walk = Walk().through(assessment("A-2", sender=KELA), requested())
    assert walk.apply(accepted()).handovers == ()


def test_acceptance_hints_before_assessing_of_assessments_within_the_window() -> None:
    recent = assessment("A-1", at=T0 - 10 * DAY)
    walk = Walk().through(recent, requested())
    answer = accepted()
    (hint,) = walk.apply(answer).hints
    assert hint.recipient == KELA
    assert hint.moment is HintMoment.BEFORE_ASSESSING
    assert hint.kind == HEALTH_CHECK
    assert hint.assessment == walk.pathway.documents[slot_of_assessment(SOTE)]
    assert hint.duplicate_assessment_id is None


def test_acceptance_hints_of_no_assessment_older_than_the_window() -> None:
    walk = Walk().through(assessment("A-1", at=T0 - WINDOW - DAY), requested())
    outcome = walk.apply(accepted())
    assert outcome.hints == ()
    assert len(outcome.handovers[0].items) == 1


def test_acceptance_hints_of_no_plan() -> None:
    walk = Walk().through(plan(), requested())
    assert walk.apply(accepted()).hints == ()


# --- care team ---------------------------------------------------------------------------


def test_a_case_manager_assignment_sets_the_case_manager() -> None:
    walk = Walk().through(case_manager(sender=TYP, organisation=TYOLLISYYS))
    expected = CaseManager(
        episode_id="E-1",
        name="Maija Meikäläinen",
        role="tyokykykoordinaattori",
        organisation=TYOLLISYYS,
        assigned_by=TYP,
        assigned_at=T0 + DAY,
    )
    assert walk.pathway.case_manager == expected
    assert walk.changes.case_managers == {PSEUDONYM: expected}


def test_each_team_organisation_joining_the_network_receives_the_history() -> None:
    check = assessment("A-1")
    walk = Walk().through(check)
    assigned = case_manager(team=(KELA, TYOLLISYYS))
    handovers = walk.apply(assigned, network=frozenset({SOTE, TYP})).handovers
    assert [handover.recipient for handover in handovers] == [KELA, TYOLLISYYS]
    for handover in handovers:
        assert handover.handed_over_by == TYP
        assert handover.trigger is HandoverTrigger.CARE_TEAM_JOINED
        assert handover.trigger_document_id == "E-1"
        assert [item.event_id for item in handover.items] == [check.event_id]


def test_a_case_manager_organisation_joining_the_network_receives_the_history() -> None:
    walk = Walk().through(assessment("A-1"))
    assigned = case_manager(sender=TYP, organisation=TYOLLISYYS)
    (handover,) = walk.apply(assigned, network=frozenset({SOTE, TYP})).handovers
    assert handover.recipient == TYOLLISYYS


def test_team_organisations_already_in_the_network_receive_no_handover() -> None:
    walk = Walk().through(assessment("A-1"))
    assigned = case_manager(team=(KELA, SOTE))
    assert walk.apply(assigned, network=frozenset({SOTE, TYP, KELA})).handovers == ()


def test_the_assigning_organisation_named_only_in_the_team_receives_no_handover() -> None:
    walk = Walk().through(assessment("A-1"))
    assigned = case_manager(sender=TYP, organisation=KELA, team=(TYP,))
    handovers = walk.apply(assigned, network=frozenset({KELA})).handovers
    assert handovers == ()


def test_a_self_assigned_case_manager_new_to_the_network_receives_the_history() -> None:
    check = assessment("A-1")
    walk = Walk().through(check)
    (handover,) = walk.apply(case_manager(sender=KELA, organisation=KELA)).handovers
    assert (handover.recipient, handover.handed_over_by) == (KELA, KELA)
    assert [item.event_id for item in handover.items] == [check.event_id]


def test_a_self_assigned_case_manager_already_in_the_network_receives_nothing() -> None:
    walk = Walk().through(assessment("A-1"))
    assigned = case_manager(sender=KELA, organisation=KELA)
    assert walk.apply(assigned, network=frozenset({KELA})).handovers == ()


def test_a_joining_organisation_is_not_handed_its_own_documents() -> None:
    walk = Walk().through(assessment("A-1", sender=KELA))
    assert walk.apply(case_manager(team=(KELA,)), network=frozenset({TYP})).handovers == ()


# --- duplicate assessments ---------------------------------------------------------------


def test_the_same_kind_by_another_organisation_within_the_window_is_a_duplicate() -> None:
    earlier = assessment("A-1")
    walk = Walk().through(earlier)
    again = assessment("KELA-A-1", sender=KELA, at=T0 + 10 * DAY)
    walk.apply(again)
    assert walk.changes.assessments[-1] == AssessmentFact(
        event_id=again.event_id,
        client=PSEUDONYM,
        organisation=KELA,
        kind=HEALTH_CHECK,
        recorded_at=T0 + 10 * DAY,
        duplicate_of=earlier.event_id,
    )


def test_a_duplicate_hints_the_assessor_after_assessing_of_the_earlier_one() -> None:
    walk = Walk().through(assessment("A-1"))
    earlier = walk.pathway.documents[slot_of_assessment(SOTE)]
    (hint,) = walk.apply(assessment("KELA-A-1", sender=KELA, at=T0 + 10 * DAY)).hints
    assert hint.recipient == KELA
    assert hint.moment is HintMoment.AFTER_ASSESSING
    assert hint.assessment == earlier
    assert hint.kind == HEALTH_CHECK
    assert hint.duplicate_assessment_id == "KELA-A-1"


def test_the_latest_earlier_assessment_is_the_one_duplicated() -> None:
    latest = assessment("TYP-A-1", sender=TYP, at=T0 + DAY)
    walk = Walk().through(assessment("A-1"), latest)
    (hint,) = walk.apply(assessment("KELA-A-1", sender=KELA, at=T0 + 10 * DAY)).hints
    assert hint.assessment.event_id == latest.event_id


@pytest.mark.parametrize(
    "again",
    [
        assessment("A-2", sender=SOTE, at=T0 + 10 * DAY),
        assessment("KELA-A-1", sender=KELA, kind=AssessmentKind.WORK_ABILITY, at=T0 + 10 * DAY),
        assessment("KELA-A-1", sender=KELA, at=T0 + WINDOW + DAY),
    ],
    ids=["same-organisation", "other-kind", "outside-the-window"],
)
def test_other_assessments_are_no_duplicates(again: Event) -> None:
    walk = Walk().through(assessment("A-1"))
    assert walk.apply(again).hints == ()
    assert walk.changes.assessments[-1].duplicate_of is None


def test_an_assessment_is_a_fact_even_without_a_duplicate() -> None:
    walk = Walk().through(assessment("A-1", kind="kykyviisari"))
    (fact,) = walk.changes.assessments
    assert (fact.kind, fact.organisation, fact.duplicate_of) == ("kykyviisari", SOTE, None)


@pytest.mark.parametrize(
    ("window", "duplicate"),
    [(timedelta(days=7), False), (timedelta(days=400), True)],
    ids=["shorter", "longer"],
)
def test_a_window_set_for_the_kind_overrides_the_default(
    window: timedelta, *, duplicate: bool
) -> None:
    rules = dataclasses.replace(
        RULES, duplicates=DuplicateWindows(default=WINDOW, by_kind={HEALTH_CHECK: window})
    )
    walk = Walk(rules=rules).through(assessment("A-1"))
    gap = timedelta(days=10) if not duplicate else WINDOW + DAY
    hints = walk.apply(assessment("KELA-A-1", sender=KELA, at=T0 + gap)).hints
    assert bool(hints) is duplicate


def test_a_window_set_for_another_kind_leaves_the_default() -> None:
    rules = dataclasses.replace(
        RULES,
        duplicates=DuplicateWindows(default=WINDOW, by_kind={"kykyviisari": timedelta(days=7)}),
    )
    walk = Walk(rules=rules).through(assessment("A-1"))
    assert walk.apply(assessment("KELA-A-1", sender=KELA, at=T0 + 10 * DAY)).hints != ()


# --- the episode's end -------------------------------------------------------------------


def test_closing_the_episode_records_its_outcome() -> None:
    closing = episode_closed()
    walk = Walk().through(closing)
    assert walk.changes.episodes == [
        EpisodeFact(
            event_id=closing.event_id,
            client=PSEUDONYM,
            organisation=TYP,
            episode_id="E-1",
            outcome="work",
            closed_at=closing.occurred_at,
        )
    ]


def test_closing_the_episode_keeps_only_referrals_still_requested() -> None:
    waiting = requested("R-2", receiver=TYOLLISYYS)
    walk = Walk().through(
        assessment("A-1"), plan(), requested(), accepted(), waiting, episode_closed()
    )
    assert event_ids(walk) == {referral_slot(SOTE, "R-2"): waiting.event_id}
    removed = {slot for (_, slot), document in walk.changes.documents.items() if document is None}
    assert removed == {slot_of_assessment(SOTE), PLAN_SLOT, REFERRAL_SLOT}


def test_closing_the_episode_clears_the_case_manager() -> None:
    walk = Walk().through(case_manager(), episode_closed())
    assert walk.pathway.case_manager is None
    assert walk.changes.case_managers == {PSEUDONYM: None}


def test_an_episode_closed_by_an_organisation_outside_the_network_keeps_the_path() -> None:
    walk = Walk().through(assessment("A-1"), case_manager())
    closing = episode_closed(sender=JARJESTO, episode_id="NGO-WORKACT-7")

    walk.apply(closing, network=frozenset({TYP, KELA}))

    assert walk.pathway.case_manager is not None
    assert slot_of_assessment(SOTE) in event_ids(walk)
    assert [fact.episode_id for fact in walk.changes.episodes] == ["NGO-WORKACT-7"]


def test_an_episode_closed_by_an_organisation_of_the_network_ends_the_path() -> None:
    walk = Walk().through(assessment("A-1"), case_manager())

    walk.apply(episode_closed(sender=KELA), network=frozenset({TYP, KELA}))

    assert walk.pathway.case_manager is None
    assert event_ids(walk) == {}


# --- derived ids -------------------------------------------------------------------------


def test_a_derived_id_is_the_same_for_the_same_inputs() -> None:
    assert derived_id("handover", T0, KELA) == derived_id("handover", T0, KELA)


def test_a_derived_id_differs_for_different_inputs() -> None:
    assert derived_id("handover", T0, KELA) != derived_id("handover", T0, SOTE)


def test_the_same_events_give_the_same_handover_and_hint_ids() -> None:
    events: list[Event] = [assessment("A-1"), requested(), accepted()]

    def issued() -> tuple[object, ...]:
        walk = Walk().through(*events[:-1])
        outcome = walk.apply(events[-1])
        return (
            *(handover.event_id for handover in outcome.handovers),
            *(hint.event_id for hint in outcome.hints),
        )

    first = issued()
    assert len(first) == 2
    assert issued() == first


# --- the slots of referrals ---------------------------------------------------------------


@pytest.mark.parametrize("referral_id", ["R-1", "R/2026/7"], ids=["plain", "with-slashes"])
def test_a_referrals_slot_gives_back_its_requester_and_referral_id(referral_id: str) -> None:
    assert referral_of_slot(referral_slot(SOTE, referral_id)) == (SOTE, referral_id)


@pytest.mark.parametrize(
    "slot", [f"assessment/kykyviisari/{SOTE}", f"plan/{SOTE}/P-1"], ids=["assessment", "plan"]
)
def test_another_documents_slot_gives_no_referral(slot: str) -> None:
    assert referral_of_slot(slot) is None
