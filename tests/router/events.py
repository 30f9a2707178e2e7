"""Events of the router tests: one client's consents, referrals, assessments and plans."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Final

from schemas import (
    AssessmentKind,
    AssessmentRecorded,
    CaseManagerAssigned,
    CaseManagerRole,
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
    ReferralCompleted,
    ReferralRejected,
    ReferralRequested,
    synthetic_identity_code,
)
from schemas.examples import EXAMPLE_ORGANISATIONS

SOTE: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.SOTE]
KELA: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.KELA]
TYOLLISYYS: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.TYOLLISYYS]
TYP: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.TYP]
JARJESTO: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.JARJESTO]
KELA_KIND: Final = Recipient(kind=OrganisationKind.KELA)
"""Kela as a consent's recipient by kind, as most consents in these tests name it."""
CLIENT: Final = "150388-9127"
START: Final = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
_CLIENT_NUMBERS: Final = itertools.count()

HEALTH_CHECK: Final = ProfessionalAssessment(
    domain="health",
    kind=AssessmentKind.HEALTH_CHECK,
    title="Työttömän terveystarkastus",
    conclusion="Selkävaivat rajoittavat raskasta työtä.",
    work_ability=5,
)


def new_client() -> str:
    """A test identity code that no other call in this session returns."""
    number = next(_CLIENT_NUMBERS)
    born = date(1960, 1, 1) + timedelta(days=number // 100)
    return synthetic_identity_code(born, 900 + number % 100)


def consent(
    consent_id: str,
    recipients: tuple[Recipient, ...],
    categories: tuple[DataCategory, ...],
    *,
    sender: str = SOTE,
    client: str = CLIENT,
    exceptions: tuple[ConsentRule, ...] = (),
    sources: tuple[str, ...] = (),
) -> ConsentGranted:
    """A consent recorded at the health centre, valid from START onwards."""
    return ConsentGranted(
        occurred_at=START,
        sender=sender,
        client=client,
        consent_id=consent_id,
        scope=ConsentRule(recipients=recipients, categories=categories, sources=sources),
        exceptions=exceptions,
        valid_from=START - timedelta(days=1),
    )


def refusal(
    consent_id: str,
    documents: tuple[str, ...] = (),
    *,
    client: str = CLIENT,
    service_tasks: tuple[str, ...] = (),
) -> ConsentGranted:
    """The client refuses (kielto) the disclosure of these documents or service tasks to anyone."""
    return ConsentGranted(
        occurred_at=START,
        sender=SOTE,
        client=client,
        consent_id=consent_id,
        decision="deny",
        scope=ConsentRule(documents=documents, service_tasks=service_tasks),
        valid_from=START - timedelta(days=1),
    )


def revocation(consent_id: str, *, sender: str = SOTE, client: str = CLIENT) -> ConsentRevoked:
    """The client withdraws a consent."""
    return ConsentRevoked(
        occurred_at=START + timedelta(days=1), sender=sender, client=client, consent_id=consent_id
    )


def referral(
    referral_id: str,
    receiver: str = KELA,
    *,
    client: str = CLIENT,
    at: datetime = START + timedelta(hours=1),
) -> ReferralRequested:
    """A referral from the health centre."""
    return ReferralRequested(
        occurred_at=at,
        sender=SOTE,
        client=client,
        referral_id=referral_id,
        receiver=receiver,
        service="Kelan ammatillinen kuntoutus",
        reason="Työkyky heikentynyt",
    )


def acceptance(
    referral_id: str,
    by: str = KELA,
    *,
    client: str = CLIENT,
    at: datetime = START + timedelta(hours=2),
) -> ReferralAccepted:
    """The receiver takes the catch."""
    return ReferralAccepted(
        occurred_at=at, sender=by, client=client, referral_id=referral_id, requester=SOTE
    )


def rejection(
    referral_id: str,
    by: str = KELA,
    *,
    client: str = CLIENT,
    at: datetime = START + timedelta(hours=2),
) -> ReferralRejected:
    """The receiver declines the referral."""
    return ReferralRejected(
        occurred_at=at,
        sender=by,
        client=client,
        referral_id=referral_id,
        requester=SOTE,
        reason="Ei kuulu Kelan ammatillisen kuntoutuksen piiriin",
    )


def completion(
    referral_id: str,
    by: str = KELA,
    *,
    client: str = CLIENT,
    at: datetime = START + timedelta(days=30),
) -> ReferralCompleted:
    """The receiver has done what the referral asked."""
    return ReferralCompleted(
        occurred_at=at, sender=by, client=client, referral_id=referral_id, requester=SOTE
    )


def kykyviisari(
    assessment_id: str,
    *,
    client: str = CLIENT,
    sender: str = SOTE,
    at: datetime = START + timedelta(hours=3),
) -> AssessmentRecorded:
    """A self-assessment, by default recorded at the health centre, addressed to nobody."""
    return AssessmentRecorded(
        occurred_at=at,
        sender=sender,
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


def plan(
    plan_id: str,
    *,
    client: str = CLIENT,
    sender: str = TYP,
    performers: tuple[str, ...] = (),
    at: datetime = START + timedelta(hours=4),
) -> PlanCreated:
    """An activation plan resting on no assessment, addressed to its performers only."""
    return PlanCreated(
        occurred_at=at,
        sender=sender,
        client=client,
        plan_id=plan_id,
        plan_type=PlanType.ACTIVATION,
        title="Aktivointisuunnitelma",
        activities=tuple(
            PlanActivity(description=f"Toimenpide {index}", performer=performer)
            for index, performer in enumerate(performers)
        ),
    )


def case_manager(
    episode_id: str,
    organisation: str,
    team: tuple[str, ...] = (),
    *,
    client: str = CLIENT,
    sender: str = SOTE,
    at: datetime = START + timedelta(hours=5),
) -> CaseManagerAssigned:
    """A named coordinator at ``organisation`` walks beside the client, with ``team``."""
    return CaseManagerAssigned(
        occurred_at=at,
        sender=sender,
        client=client,
        episode_id=episode_id,
        case_manager_name="Tiina Työkykykoordinaattori",
        case_manager_role=CaseManagerRole.TYOKYKYKOORDINAATTORI,
        case_manager_organisation=organisation,
        team=team,
    )
