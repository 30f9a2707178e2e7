"""The referral state machine: who is responsible in each state, and every refused change."""

from __future__ import annotations

from dataclasses import replace

import pytest

from broker.pathway import (
    Referral,
    ReferralState,
    TransitionRefused,
    answer_referral,
    escalate,
    request_referral,
)
from tests.pathway.builders import (
    CLOCK,
    DAY,
    HOUR,
    JARJESTO,
    KELA,
    PSEUDONYM,
    REGISTERED,
    SOTE,
    T0,
    accepted,
    completed,
    rejected,
    requested,
)


def referral() -> Referral:
    """R-1 from the health centre to Kela, requested at T0."""
    made = request_referral(requested(), PSEUDONYM, None, CLOCK, registered=REGISTERED)
    assert isinstance(made, Referral)
    return made


def answered(answer: Referral | TransitionRefused) -> Referral:
    assert isinstance(answer, Referral), answer
    return answer


def refusal(answer: Referral | TransitionRefused) -> str:
    assert isinstance(answer, TransitionRefused), answer
    return answer.reason


def accepted_referral() -> Referral:
    return answered(answer_referral(accepted(), referral()))


def expired_referral() -> Referral:
    made = referral()
    step = escalate(made, made.expires_at, CLOCK)
    assert step is not None
    return step.referral


# --- valid transitions -------------------------------------------------------------------


def test_a_requested_referral_leaves_the_requester_responsible() -> None:
    made = referral()
    assert (made.state, made.responsible) == (ReferralState.REQUESTED, SOTE)
    assert (made.requester, made.receiver, made.client) == (SOTE, KELA, PSEUDONYM)


def test_a_requested_referral_is_due_and_expires_in_working_days() -> None:
    made = referral()
    assert made.due_at == CLOCK.due(T0)
    assert made.expires_at == CLOCK.expires(T0)
    assert made.next_escalation_at == made.due_at


def test_acceptance_makes_the_receiver_responsible() -> None:
    taken = accepted_referral()
    assert (taken.state, taken.responsible) == (ReferralState.ACCEPTED, KELA)
    assert taken.answered_at == T0 + HOUR
    assert taken.next_escalation_at is None


def test_rejection_hands_the_responsibility_back_with_the_reason() -> None:
    declined = answered(answer_referral(rejected(reason="Ei kuntoutustarvetta"), referral()))
    assert (declined.state, declined.responsible) == (ReferralState.REJECTED, SOTE)
    assert declined.reason == "Ei kuntoutustarvetta"
    assert declined.next_escalation_at is None


def test_completion_of_an_accepted_referral_keeps_the_receiver_responsible() -> None:
    done = answered(answer_referral(completed(at=T0 + 3 * DAY), accepted_referral()))
    assert (done.state, done.responsible) == (ReferralState.COMPLETED, KELA)
    assert done.completed_at == T0 + 3 * DAY


def test_expiry_leaves_the_requester_responsible() -> None:
    lapsed = expired_referral()
    assert (lapsed.state, lapsed.responsible) == (ReferralState.EXPIRED, SOTE)


# --- refusals ----------------------------------------------------------------------------


def test_the_same_referral_id_requested_twice_is_refused() -> None:
    reason = refusal(
        request_referral(requested(), PSEUDONYM, referral(), CLOCK, registered=REGISTERED)
    )
    assert "referral R-1 of" in reason
    assert "was already requested" in reason
    assert "needs a new referral id" in reason


def test_a_referral_id_requested_for_another_client_is_refused_naming_the_id() -> None:
    elsewhere = replace(referral(), client="another-client")
    reason = refusal(
        request_referral(requested(), PSEUDONYM, elsewhere, CLOCK, registered=REGISTERED)
    )
    assert f"referral id R-1 of {SOTE} was already requested for another client" in reason
    assert str(elsewhere.requested_event_id) in reason
    assert "new referral id" in reason


def test_a_referral_id_claimed_for_another_client_and_not_yet_stored_is_refused() -> None:
    theirs = replace(referral(), client="another-client").claim
    reason = refusal(
        request_referral(requested(), PSEUDONYM, None, CLOCK, registered=REGISTERED, claimed=theirs)
    )
    assert f"referral id R-1 of {SOTE} was already requested for another client" in reason
    assert str(theirs.requested_event_id) in reason


def test_a_referral_id_claimed_for_the_same_client_by_this_request_is_made() -> None:
    ours = referral().claim  # claimed when first routed; routed again after a crash
    made = request_referral(
        requested(), PSEUDONYM, None, CLOCK, registered=REGISTERED, claimed=ours
    )
    assert isinstance(made, Referral)


def test_a_referral_to_an_unregistered_receiver_is_refused_naming_its_oid() -> None:
    unknown = requested(receiver="1.2.246.10.99999999")
    reason = refusal(request_referral(unknown, PSEUDONYM, None, CLOCK, registered=REGISTERED))
    assert "the receiver 1.2.246.10.99999999 of referral R-1 is not an organisation" in reason
    assert "registered in Saattaja" in reason


def test_a_referral_to_its_own_requester_is_refused() -> None:
    to_itself = requested(receiver=SOTE)
    reason = refusal(request_referral(to_itself, PSEUDONYM, None, CLOCK, registered=REGISTERED))
    assert f"referral R-1 names its requester {SOTE} as its receiver" in reason


def test_an_answer_to_an_unknown_referral_is_refused() -> None:
    reason = refusal(answer_referral(accepted("R-9"), None))
    assert reason.startswith(f"no referral R-9 of {SOTE} is known to Saattaja")


def test_an_answer_by_another_organisation_is_refused() -> None:
    reason = refusal(answer_referral(accepted(by=JARJESTO), referral()))
    assert f"can be answered only by its receiver {KELA}, not by {JARJESTO}" in reason


def test_accepting_twice_is_refused() -> None:
    reason = refusal(answer_referral(accepted(), accepted_referral()))
    assert "is accepted already: only a requested referral can be accepted" in reason


def test_rejecting_after_acceptance_is_refused() -> None:
    reason = refusal(answer_referral(rejected(), accepted_referral()))
    assert "is accepted already: only a requested referral can be rejected" in reason


def test_completing_an_unaccepted_referral_is_refused() -> None:
    reason = refusal(answer_referral(completed(), referral()))
    assert "is requested: only an accepted referral can be completed" in reason


def test_accepting_an_expired_referral_is_refused() -> None:
    reason = refusal(answer_referral(accepted(), expired_referral()))
    assert "is expired already: only a requested referral can be accepted" in reason


# --- escalation --------------------------------------------------------------------------


def test_nothing_is_escalated_before_the_referral_is_due() -> None:
    made = referral()
    assert escalate(made, made.due_at - HOUR, CLOCK) is None


def test_the_first_overdue_notice_is_due_when_the_answer_is() -> None:
    made = referral()
    step = escalate(made, made.due_at, CLOCK)
    assert step is not None
    assert not step.expired
    assert step.referral.escalations == 1
    assert step.referral.state is ReferralState.REQUESTED
    assert step.referral.next_escalation_at == CLOCK.next_escalation(made.due_at)


def test_nothing_is_escalated_again_before_the_repeat_interval() -> None:
    made = referral()
    first = escalate(made, made.due_at, CLOCK)
    assert first is not None
    again = first.referral.next_escalation_at
    assert again is not None
    assert escalate(first.referral, again - HOUR, CLOCK) is None


def test_the_second_overdue_notice_is_due_after_the_repeat_interval() -> None:
    made = referral()
    first = escalate(made, made.due_at, CLOCK)
    assert first is not None
    again = first.referral.next_escalation_at
    assert again is not None
    second = escalate(first.referral, again, CLOCK)
    assert second is not None
    assert (second.expired, second.referral.escalations) == (False, 2)


def test_an_unanswered_referral_expires_at_its_expiry() -> None:
    made = referral()
    step = escalate(made, made.expires_at, CLOCK)
    assert step is not None
    assert step.expired
    assert step.referral.state is ReferralState.EXPIRED
    assert step.referral.answered_at == made.expires_at
    assert step.referral.next_escalation_at is None


def test_expiry_comes_before_a_notice_that_is_also_due() -> None:
    made = replace(referral(), next_escalation_at=T0)
    step = escalate(made, made.expires_at, CLOCK)
    assert step is not None
    assert step.expired


@pytest.mark.parametrize(
    "state", [ReferralState.ACCEPTED, ReferralState.REJECTED, ReferralState.COMPLETED]
)
def test_an_answered_referral_is_never_escalated(state: ReferralState) -> None:
    answered_one = replace(referral(), state=state)
    assert escalate(answered_one, answered_one.expires_at + DAY, CLOCK) is None


def test_an_accepted_referral_is_not_escalated_at_its_due_time() -> None:
    taken = accepted_referral()
    assert escalate(taken, taken.due_at, CLOCK) is None


def test_an_expired_referral_is_not_escalated_again() -> None:
    lapsed = expired_referral()
    assert escalate(lapsed, lapsed.expires_at + DAY, CLOCK) is None
