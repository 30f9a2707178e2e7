"""The consent matrix on the pure decision: one rule of "Consent decision" per test."""

from __future__ import annotations

import pytest

from consent.decisions import (
    Decision,
    DisclosurePart,
    ReasonCode,
    Verdict,
    decide,
    service_task_of,
)
from consent.legal_bases import LegalBases, LegalBasis
from schemas import (
    ConsentGranted,
    ConsentRevoked,
    ConsentRule,
    DataCategory,
    OrganisationKind,
    Recipient,
)
from tests.consent.builders import (
    CLIENT,
    DAY,
    HOUR,
    JARJESTO,
    KELA,
    OTHER_CLIENT,
    PSEUDONYM,
    PSEUDONYMS,
    SOTE,
    T0,
    TYOLLISYYS,
    TYP,
    Applied,
    consents,
    disclosure,
    grant,
    party,
    refusal,
    revocation,
)

NONE = LegalBases.none()
HEALTH = DataCategory.ASSESSMENT_HEALTH
SOCIAL = DataCategory.ASSESSMENT_SOCIAL
PLAN = DataCategory.PLAN
KIND_KELA = Recipient(kind=OrganisationKind.KELA)
KIND_TYOLLISYYS = Recipient(kind=OrganisationKind.TYOLLISYYS)


def basis(*, overrides_refusal: bool, categories: tuple[DataCategory, ...] = (PLAN,)) -> LegalBases:
    """One statutory basis: sote may send ``categories`` to kela."""
    return LegalBases(
        [
            LegalBasis(
                id="kela-566-2005-41",
                law="Laki Kansaneläkelaitoksen kuntoutusetuuksista 566/2005, 41 §",
                sender_kind=OrganisationKind.SOTE,
                recipient_kind=OrganisationKind.KELA,
                categories=categories,
                overrides_refusal=overrides_refusal,
            )
        ]
    )


def assert_denied(decision: Decision, reason: ReasonCode) -> None:
    assert (decision.verdict, decision.reason) == (Verdict.DENY, reason), decision.explanation
    assert decision.removed == ()


# --- consents ---------------------------------------------------------------------------


def test_consent_permits_its_recipient_and_category_and_names_itself() -> None:
    decision = decide(disclosure(KELA, PLAN), consents((grant("C-1"), T0)), NONE)
    assert (decision.verdict, decision.reason, decision.basis) == (
        Verdict.PERMIT,
        ReasonCode.CONSENT,
        "C-1",
    )
    assert "C-1" in decision.explanation
    assert "plan" in decision.explanation
    assert KELA in decision.explanation


def test_without_any_consent_the_default_is_deny() -> None:
    decision = decide(disclosure(KELA, PLAN), consents(), NONE)
    assert_denied(decision, ReasonCode.NO_CONSENT)
    assert decision.basis is None


def test_consent_for_another_recipient_denies() -> None:
    decision = decide(disclosure(TYOLLISYYS, PLAN), consents((grant("C-1"), T0)), NONE)
    assert_denied(decision, ReasonCode.RECIPIENT_NOT_COVERED)
    assert "C-1" in decision.explanation


def test_consent_naming_the_organisation_covers_it_as_well_as_one_naming_its_kind() -> None:
    by_oid = consents((grant("C-1", recipients=(Recipient(organisation=KELA),)), T0))
    assert decide(disclosure(KELA, PLAN), by_oid, NONE).verdict is Verdict.PERMIT
    assert decide(disclosure(TYP, PLAN), by_oid, NONE).verdict is Verdict.DENY


def test_consent_for_another_category_denies() -> None:
    decision = decide(disclosure(KELA, HEALTH), consents((grant("C-1"), T0)), NONE)
    assert_denied(decision, ReasonCode.CATEGORY_NOT_COVERED)
    assert "plan" in decision.explanation


def test_expired_consent_denies() -> None:
    expired = grant("C-1", valid_until=T0 + HOUR)
    decision = decide(disclosure(KELA, PLAN, at=T0 + 2 * HOUR), consents((expired, T0)), NONE)
    assert_denied(decision, ReasonCode.CONSENT_EXPIRED)


def test_consent_not_yet_valid_denies_until_its_period_starts() -> None:
    later = consents((grant("C-1", valid_from=T0 + DAY), T0))
    assert_denied(
        decide(disclosure(KELA, PLAN, at=T0 + HOUR), later, NONE),
        ReasonCode.CONSENT_NOT_YET_VALID,
    )
    assert decide(disclosure(KELA, PLAN, at=T0 + DAY), later, NONE).verdict is Verdict.PERMIT


def test_consent_for_another_purpose_denies() -> None:
    research = consents((grant("C-1", purpose="HRESCH"), T0))
    assert_denied(decide(disclosure(KELA, PLAN), research, NONE), ReasonCode.PURPOSE_NOT_COVERED)


def test_consent_applied_after_the_routing_time_does_not_count() -> None:
    decision = decide(disclosure(KELA, PLAN, at=T0), consents((grant("C-1"), T0 + HOUR)), NONE)
    assert_denied(decision, ReasonCode.NO_CONSENT)


def test_several_permitting_consents_name_the_first_applied() -> None:
    history = consents((grant("C-2"), T0 + HOUR), (grant("C-1"), T0 + 2 * HOUR))
    decision = decide(disclosure(KELA, PLAN, at=T0 + 3 * HOUR), history, NONE)
    assert decision.basis == "C-2"


def test_later_version_of_a_consent_replaces_the_earlier_from_when_applied() -> None:
    narrowed = grant("C-1", categories=(DataCategory.REFERRAL,), occurred_at=T0 + DAY)
    history = consents((grant("C-1"), T0), (narrowed, T0 + DAY))
    assert decide(disclosure(KELA, PLAN, at=T0 + HOUR), history, NONE).verdict is Verdict.PERMIT
    assert_denied(
        decide(disclosure(KELA, PLAN, at=T0 + 2 * DAY), history, NONE),
        ReasonCode.CATEGORY_NOT_COVERED,
    )


# --- revocations ------------------------------------------------------------------------


def test_consent_revoked_before_the_event_denies() -> None:
    history = consents((grant("C-1"), T0), (revocation("C-1"), T0 + HOUR))
    decision = decide(disclosure(KELA, PLAN, at=T0 + 2 * HOUR), history, NONE)
    assert_denied(decision, ReasonCode.CONSENT_REVOKED)
    assert "C-1" in decision.explanation


@pytest.mark.parametrize(
    ("history", "reason"),
    [
        ((grant("C-1"), revocation("C-1")), ReasonCode.CONSENT_REVOKED),
        ((grant("C-1", valid_until=T0 + HOUR),), ReasonCode.CONSENT_EXPIRED),
        ((grant("C-1", valid_from=T0 + 2 * DAY),), ReasonCode.CONSENT_NOT_YET_VALID),
        ((grant("C-1", categories=(DataCategory.REFERRAL,)),), ReasonCode.CATEGORY_NOT_COVERED),
    ],
    ids=["revoked", "expired", "not-yet-valid", "other-category"],
)
def test_denial_by_the_consent_that_came_nearest_names_it_as_its_basis(
    history: tuple[ConsentGranted | ConsentRevoked, ...], reason: ReasonCode
) -> None:
    recorded = consents(*((event, T0) for event in history))
    decision = decide(disclosure(KELA, PLAN, at=T0 + DAY), recorded, NONE)
    assert_denied(decision, reason)
    assert decision.basis == "C-1"


def test_consent_revoked_after_the_event_still_permits_at_the_earlier_time() -> None:
    history = consents((grant("C-1"), T0), (revocation("C-1"), T0 + 2 * HOUR))
    assert decide(disclosure(KELA, PLAN, at=T0 + HOUR), history, NONE).verdict is Verdict.PERMIT


@pytest.mark.parametrize(("granted_at", "revoked_at"), [(SOTE, KELA), (KELA, TYP)])
def test_revocation_recorded_by_another_organisation_ends_the_consent_for_all(
    granted_at: str, revoked_at: str
) -> None:
    history = consents(
        (grant("C-1", sender=granted_at, recipients=(KIND_KELA, KIND_TYOLLISYYS)), T0),
        (revocation("C-1", sender=revoked_at), T0 + HOUR),
    )
    for recipient in (KELA, TYOLLISYYS):
        decision = decide(disclosure(recipient, PLAN, at=T0 + 2 * HOUR), history, NONE)
        assert_denied(decision, ReasonCode.CONSENT_REVOKED)
        assert f"by {revoked_at}" in decision.explanation


def test_revocation_applied_before_the_consent_arrives_still_ends_it() -> None:
    # The two events came through different outboxes, so the revocation overtook the grant.
    history = consents((revocation("C-1", sender=KELA), T0), (grant("C-1"), T0 + HOUR))
    assert_denied(
        decide(disclosure(KELA, PLAN, at=T0 + 2 * HOUR), history, NONE), ReasonCode.CONSENT_REVOKED
    )


# --- refusals ---------------------------------------------------------------------------


def test_refusal_of_one_organisation_beside_a_broader_consent_denies_only_it() -> None:
    history = consents(
        (grant("C-1", recipients=(KIND_KELA, KIND_TYOLLISYYS)), T0),
        (refusal("R-1", ConsentRule(recipients=(Recipient(organisation=KELA),))), T0),
    )
    denied = decide(disclosure(KELA, PLAN), history, NONE)
    assert_denied(denied, ReasonCode.REFUSED)
    assert denied.basis == "R-1"
    assert decide(disclosure(TYOLLISYYS, PLAN), history, NONE).basis == "C-1"


def test_refusal_of_one_category_beside_a_broader_consent_denies_only_that_category() -> None:
    history = consents(
        (grant("C-1", categories=(PLAN, HEALTH)), T0),
        (refusal("R-1", ConsentRule(categories=(HEALTH,))), T0),
    )
    assert_denied(decide(disclosure(KELA, HEALTH), history, NONE), ReasonCode.REFUSED)
    assert decide(disclosure(KELA, PLAN), history, NONE).verdict is Verdict.PERMIT


def test_exception_inside_a_consent_excludes_what_it_names() -> None:
    history = consents(
        (
            grant(
                "C-1", categories=(PLAN, HEALTH), exceptions=(ConsentRule(categories=(HEALTH,)),)
            ),
            T0,
        )
    )
    decision = decide(disclosure(KELA, HEALTH), history, NONE)
    assert_denied(decision, ReasonCode.EXCLUDED_BY_CONSENT)
    assert decision.basis == "C-1"
    assert decide(disclosure(KELA, PLAN), history, NONE).verdict is Verdict.PERMIT


def test_exception_of_one_consent_does_not_limit_another_consent() -> None:
    history = consents(
        (
            grant(
                "C-1", categories=(PLAN, HEALTH), exceptions=(ConsentRule(categories=(HEALTH,)),)
            ),
            T0,
        ),
        (grant("C-2", categories=(HEALTH,)), T0 + HOUR),
    )
    assert decide(disclosure(KELA, HEALTH, at=T0 + 2 * HOUR), history, NONE).basis == "C-2"


def test_exception_inside_a_refusal_lets_through_what_it_names() -> None:
    consent = (grant("C-1", recipients=(KIND_KELA, Recipient(organisation=TYP))), T0)
    from_sote = ConsentRule(sources=(SOTE,))
    refused = consents(consent, (refusal("R-1", from_sote), T0))
    but_to_kela = consents(
        consent, (refusal("R-1", from_sote, exceptions=(ConsentRule(recipients=(KIND_KELA,)),)), T0)
    )
    assert_denied(decide(disclosure(KELA, PLAN), refused, NONE), ReasonCode.REFUSED)
    assert decide(disclosure(KELA, PLAN), but_to_kela, NONE).basis == "C-1"
    assert_denied(decide(disclosure(TYP, PLAN), but_to_kela, NONE), ReasonCode.REFUSED)


def test_refusal_of_one_document_denies_that_document_only() -> None:
    history = consents((grant("C-1"), T0), (refusal("R-1", ConsentRule(documents=("PLAN-7",))), T0))
    assert_denied(
        decide(disclosure(KELA, PLAN, document_id="PLAN-7"), history, NONE), ReasonCode.REFUSED
    )
    assert decide(disclosure(KELA, PLAN, document_id="PLAN-8"), history, NONE).basis == "C-1"


def test_refusal_of_one_service_task_denies_its_data_only() -> None:
    history = consents(
        (grant("C-1", categories=(HEALTH, SOCIAL)), T0),
        (refusal("R-1", ConsentRule(service_tasks=("terveydenhuolto",))), T0),
    )
    assert_denied(decide(disclosure(KELA, HEALTH), history, NONE), ReasonCode.REFUSED)
    assert decide(disclosure(KELA, SOCIAL), history, NONE).verdict is Verdict.PERMIT


def test_refusal_of_a_source_organisation_denies_data_from_it_only() -> None:
    history = consents((grant("C-1"), T0), (refusal("R-1", ConsentRule(sources=(SOTE,))), T0))
    assert_denied(decide(disclosure(KELA, PLAN, sender=SOTE), history, NONE), ReasonCode.REFUSED)
    assert decide(disclosure(KELA, PLAN, sender=TYP), history, NONE).verdict is Verdict.PERMIT


def test_revoked_refusal_no_longer_denies() -> None:
    history = consents(
        (grant("C-1"), T0),
        (refusal("R-1", ConsentRule(recipients=(KIND_KELA,))), T0),
        (revocation("R-1"), T0 + HOUR),
    )
    assert decide(disclosure(KELA, PLAN, at=T0 + 2 * HOUR), history, NONE).basis == "C-1"


# --- statutory bases --------------------------------------------------------------------


def test_statutory_basis_permits_without_consent_and_names_the_basis() -> None:
    decision = decide(disclosure(KELA, PLAN), consents(), basis(overrides_refusal=False))
    assert (decision.verdict, decision.reason, decision.basis) == (
        Verdict.PERMIT,
        ReasonCode.STATUTORY_BASIS,
        "kela-566-2005-41",
    )
    assert "566/2005, 41 §" in decision.explanation


def test_without_the_statutory_basis_the_same_disclosure_is_denied() -> None:
    assert_denied(decide(disclosure(KELA, PLAN), consents(), NONE), ReasonCode.NO_CONSENT)


def test_statutory_basis_covers_only_its_kinds_and_categories() -> None:
    bases = basis(overrides_refusal=False)
    assert decide(disclosure(KELA, HEALTH), consents(), bases).verdict is Verdict.DENY
    assert decide(disclosure(TYP, PLAN), consents(), bases).verdict is Verdict.DENY
    assert decide(disclosure(KELA, PLAN, sender=TYP), consents(), bases).verdict is Verdict.DENY


def test_statutory_basis_that_overrides_refusals_permits_despite_a_refusal() -> None:
    refused = consents((refusal("R-1", ConsentRule(recipients=(KIND_KELA,))), T0))
    decision = decide(disclosure(KELA, PLAN), refused, basis(overrides_refusal=True))
    assert (decision.verdict, decision.reason, decision.basis) == (
        Verdict.PERMIT,
        ReasonCode.STATUTORY_BASIS_OVERRIDES_REFUSAL,
        "kela-566-2005-41",
    )
    assert "R-1" in decision.explanation


def test_statutory_basis_that_does_not_override_refusals_yields_to_a_refusal() -> None:
    refused = consents((refusal("R-1", ConsentRule(recipients=(KIND_KELA,))), T0))
    decision = decide(disclosure(KELA, PLAN), refused, basis(overrides_refusal=False))
    assert_denied(decision, ReasonCode.REFUSED)
    assert decision.basis == "R-1"
    assert "kela-566-2005-41" in decision.explanation


# --- minimisation -----------------------------------------------------------------------

HEALTH_PART = DisclosurePart("HEALTH-CHECK-1", HEALTH)


def test_plan_reaches_a_plan_only_recipient_without_its_health_part() -> None:
    decision = decide(
        disclosure(KELA, PLAN, parts=(HEALTH_PART,)), consents((grant("C-1"), T0)), NONE
    )
    assert (decision.verdict, decision.basis) == (Verdict.PERMIT, "C-1")
    assert decision.removed == ("HEALTH-CHECK-1",)
    assert "HEALTH-CHECK-1" in decision.explanation


def test_plan_keeps_its_health_part_for_a_recipient_permitted_both() -> None:
    both = consents((grant("C-1"), T0), (grant("C-2", categories=(HEALTH,)), T0))
    decision = decide(disclosure(KELA, PLAN, parts=(HEALTH_PART,)), both, NONE)
    assert (decision.verdict, decision.removed) == (Verdict.PERMIT, ())


def test_refused_part_is_removed_even_when_its_category_is_permitted() -> None:
    history = consents(
        (grant("C-1", categories=(PLAN, HEALTH)), T0),
        (refusal("R-1", ConsentRule(documents=("HEALTH-CHECK-1",))), T0),
    )
    decision = decide(disclosure(KELA, PLAN, parts=(HEALTH_PART,)), history, NONE)
    assert decision.removed == ("HEALTH-CHECK-1",)


# The TYP's plan carrying the health centre's health check, as the router hands it over.
SOTE_HEALTH_PART = DisclosurePart("HEALTH-CHECK-1", HEALTH, custodian=party(SOTE))


@pytest.mark.parametrize(
    "refused",
    [ConsentRule(sources=(SOTE,)), ConsentRule(service_tasks=("terveydenhuolto",))],
    ids=["data-from-the-health-centre", "health-care-service-task"],
)
def test_refusal_of_the_custodians_data_removes_its_part_from_another_senders_event(
    refused: ConsentRule,
) -> None:
    history = consents((grant("C-1", categories=(PLAN, HEALTH)), T0), (refusal("R-1", refused), T0))
    decision = decide(disclosure(KELA, PLAN, sender=TYP, parts=(SOTE_HEALTH_PART,)), history, NONE)
    assert (decision.verdict, decision.basis) == (Verdict.PERMIT, "C-1")
    assert decision.removed == ("HEALTH-CHECK-1",)
    assert f"refused as data of {SOTE}" in decision.explanation


def test_consent_to_one_senders_data_does_not_carry_another_organisations_part() -> None:
    from_typ = ConsentRule(recipients=(KIND_KELA,), categories=(PLAN, HEALTH), sources=(TYP,))
    history = consents(
        (
            ConsentGranted(
                occurred_at=T0, sender=TYP, client=CLIENT, consent_id="C-1", scope=from_typ
            ),
            T0,
        )
    )
    decision = decide(disclosure(KELA, PLAN, sender=TYP, parts=(SOTE_HEALTH_PART,)), history, NONE)
    assert (decision.verdict, decision.removed) == (Verdict.PERMIT, ("HEALTH-CHECK-1",))


def test_part_going_back_to_the_organisation_that_recorded_it_is_not_refused_as_its_data() -> None:
    history = consents(
        (
            grant(
                "C-1",
                recipients=(Recipient(kind=OrganisationKind.SOTE),),
                categories=(PLAN, HEALTH),
            ),
            T0,
        ),
        (refusal("R-1", ConsentRule(sources=(SOTE,))), T0),
    )
    decision = decide(disclosure(SOTE, PLAN, sender=TYP, parts=(SOTE_HEALTH_PART,)), history, NONE)
    assert (decision.verdict, decision.removed) == (Verdict.PERMIT, ())


def test_denied_event_lists_nothing_to_remove() -> None:
    decision = decide(
        disclosure(TYP, PLAN, parts=(HEALTH_PART,)), consents((grant("C-1"), T0)), NONE
    )
    assert (decision.verdict, decision.removed) == (Verdict.DENY, ())


# --- properties of every decision -------------------------------------------------------


def test_same_inputs_give_the_same_decision_whatever_the_order_of_the_history() -> None:
    events: list[Applied] = [
        (grant("C-1"), T0),
        (grant("C-2", recipients=(KIND_KELA, KIND_TYOLLISYYS)), T0),
        (refusal("R-1", ConsentRule(categories=(HEALTH,))), T0),
        (revocation("C-1", sender=KELA), T0 + HOUR),
    ]
    asked = disclosure(KELA, PLAN, parts=(HEALTH_PART,), at=T0 + 2 * HOUR)
    decisions = {
        decide(asked, consents(*order), basis(overrides_refusal=False))
        for order in (events, events[::-1], events[1:] + events[:1])
    }
    assert len(decisions) == 1


def test_explanations_never_name_the_client() -> None:
    history = consents(
        (grant("C-1"), T0),
        (refusal("R-1", ConsentRule(categories=(HEALTH,))), T0),
        (revocation("C-1"), T0 + DAY),
    )
    for recipient in (KELA, TYP, JARJESTO):
        for category in DataCategory:
            for at in (T0 + HOUR, T0 + 2 * DAY):
                explanation = decide(
                    disclosure(recipient, category, at=at), history, NONE
                ).explanation
                assert CLIENT not in explanation
                assert PSEUDONYM not in explanation


def test_consents_of_another_client_are_refused_as_a_caller_error() -> None:
    others = consents(client=PSEUDONYMS.pseudonym(OTHER_CLIENT))
    with pytest.raises(ValueError, match="another client"):
        decide(disclosure(KELA, PLAN), others, NONE)


@pytest.mark.parametrize(
    ("sender_kind", "category", "task"),
    [
        (OrganisationKind.SOTE, HEALTH, "terveydenhuolto"),
        (OrganisationKind.SOTE, SOCIAL, "sosiaalihuolto"),
        (OrganisationKind.SOTE, PLAN, "sosiaalihuolto"),
        (OrganisationKind.KELA, HEALTH, "kela"),
        (OrganisationKind.TYOLLISYYS, PLAN, "tyollisyyspalvelut"),
        (OrganisationKind.TYP, PLAN, "typ"),
        (OrganisationKind.JARJESTO, SOCIAL, "jarjestopalvelut"),
    ],
)
def test_service_task_follows_the_sender_kind_and_category(
    sender_kind: OrganisationKind, category: DataCategory, task: str
) -> None:
    assert service_task_of(sender_kind, category) == task


def test_data_going_back_to_the_organisation_it_came_from_is_permitted_as_own_data() -> None:
    decision = decide(disclosure(sender=SOTE, recipient=SOTE), consents(), LegalBases.none())
    assert decision.permitted
    assert decision.reason is ReasonCode.OWN_DATA
