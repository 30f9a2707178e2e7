"""Events of the router tests: one client's consents, referrals, assessments and plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from schemas import (
    AssessmentKind,
    AssessmentRecorded,
    ConsentGranted,
    ConsentRevoked,
    ConsentRule,
    DataCategory,
    KykyviisariResult,
    OrganisationKind,
    PlanActivity,
    PlanBasis,
    PlanCreated,
    PlanType,
    ProfessionalAssessment,
    Recipient,
    ReferralAccepted,
    ReferralRequested,
)
from schemas.examples import EXAMPLE_ORGANISATIONS

SOTE: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.SOTE]
KELA: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.KELA]
TYOLLISYYS: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.TYOLLISYYS]
TYP: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.TYP]
JARJESTO: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.JARJESTO]
CLIENT: Final = "150388-9127"
START: Final = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)

HEALTH_CHECK: Final = ProfessionalAssessment(
    domain="health",
    kind=AssessmentKind.HEALTH_CHECK,
    title="Työttömän terveystarkastus",
    conclusion="Selkävaivat rajoittavat raskasta työtä.",
    work_ability=5,
)


def consent(
    consent_id: str,
    recipients: tuple[Recipient, ...],
    categories: tuple[DataCategory, ...],
    *,
    sender: str = SOTE,
    client: str = CLIENT,
    exceptions: tuple[ConsentRule, ...] = (),
) -> ConsentGranted:
    """A consent recorded at the health centre, valid from START onwards."""
    return ConsentGranted(
        occurred_at=START,
        sender=sender,
        client=client,
        consent_id=consent_id,
        scope=ConsentRule(recipients=recipients, categories=categories),
        exceptions=exceptions,
        valid_from=START - timedelta(days=1),
    )


def revocation(consent_id: str, *, sender: str = SOTE, client: str = CLIENT) -> ConsentRevoked:
    """The client withdraws a consent."""
    return ConsentRevoked(
        occurred_at=START + timedelta(days=1), sender=sender, client=client, consent_id=consent_id
    )


def referral(referral_id: str, receiver: str = KELA, *, client: str = CLIENT) -> ReferralRequested:
    """A referral from the health centre."""
    return ReferralRequested(
        occurred_at=START + timedelta(hours=1),
        sender=SOTE,
        client=client,
        referral_id=referral_id,
        receiver=receiver,
        service="Kelan ammatillinen kuntoutus",
        reason="Työkyky heikentynyt",
    )


def acceptance(referral_id: str, by: str = KELA, *, client: str = CLIENT) -> ReferralAccepted:
    """The receiver takes the catch."""
    return ReferralAccepted(
        occurred_at=START + timedelta(hours=2),
        sender=by,
        client=client,
        referral_id=referral_id,
        requester=SOTE,
    )


def kykyviisari(assessment_id: str, *, client: str = CLIENT) -> AssessmentRecorded:
    """A self-assessment recorded at the health centre, addressed to nobody."""
    return AssessmentRecorded(
        occurred_at=START + timedelta(hours=3),
        sender=SOTE,
        client=client,
        assessment_id=assessment_id,
        assessment=KykyviisariResult(
            overall=5,
            mental_wellbeing=4,
            social_participation=6,
            physical_functioning=4,
            competence=7,
            everyday_life=6,
        ),
    )


def shared_plan(plan_id: str, performers: tuple[str, ...], *, client: str = CLIENT) -> PlanCreated:
    """A TYP plan resting on the health check, with an activity per performer."""
    return PlanCreated(
        occurred_at=START + timedelta(hours=4),
        sender=TYP,
        client=client,
        plan_id=plan_id,
        plan_type=PlanType.MULTI_SECTORAL_EMPLOYMENT,
        title="Monialainen työllistymissuunnitelma",
        activities=tuple(
            PlanActivity(description=f"Toimenpide {index}", performer=performer)
            for index, performer in enumerate(performers)
        ),
        basis=(
            PlanBasis(
                assessment_id="EKHVA-TT-1",
                recorded_by=SOTE,
                recorded_at=START,
                assessment=HEALTH_CHECK,
            ),
        ),
    )
