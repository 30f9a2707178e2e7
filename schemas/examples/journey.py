"""One client's work-ability journey in South Karelia, as the seed documents describe it.

A 37-year-old long-term unemployed client has an unemployed person's health check at
the health centre and fills in Kykyviisari. They consent to share with Kela and the
employment services, but not with the NGO. The health centre refers them to Kela's
vocational rehabilitation and Kela takes the catch. The TYP joint service names an
asiakasvastaava and draws up a shared multi-sectoral employment plan. Rehabilitative
work activity at the NGO needs a separate consent. In the end the client starts
vocational education.

The router speaks up along the way: it hands the health centre's earlier records to Kela
when Kela takes the catch, tells the TYP joint service that a Kykyviisari already exists,
and, when the employment services leave the TYP's career-guidance referral unanswered,
reminds the TYP (and once the employment services) and finally lets the referral expire;
and when the employment services revoke a consent under a mistyped id, it tells them that
no consent of the client has it.

The files in this folder are generated from these events by
``saattaja schemas examples schemas/examples`` and checked by the tests.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Final

from schemas.categories import DataCategory
from schemas.codec import EventCodec
from schemas.events import (
    AssessmentAvailable,
    AssessmentKind,
    AssessmentRecorded,
    CaseManagerAssigned,
    CaseManagerRole,
    ConsentGranted,
    ConsentRule,
    EpisodeClosed,
    EpisodeOutcome,
    Event,
    HandoverItem,
    HandoverPackage,
    HandoverTrigger,
    HintMoment,
    KykyviisariResult,
    OverdueRole,
    PlanActivity,
    PlanBasis,
    PlanCreated,
    PlanType,
    PlanUpdated,
    ProfessionalAssessment,
    Recipient,
    ReferralAccepted,
    ReferralCompleted,
    ReferralExpired,
    ReferralOverdue,
    ReferralRequested,
    RevocationUnmatched,
)
from schemas.identifiers import OrganisationKind, Pseudonymiser

__all__ = [
    "EXAMPLE_ORGANISATIONS",
    "EXAMPLE_PSEUDONYM_SECRET",
    "example_codec",
    "example_events",
    "journey_events",
    "router_events",
]

# Documentation only: every real deployment sets its own SAATTAJA_PSEUDONYM_SECRET.
EXAMPLE_PSEUDONYM_SECRET: Final = b"saattaja-example-pseudonym-secret-documentation-only"

# The same OIDs as deploy/organisations.yaml.
SOTE: Final = "1.2.246.10.32213051.10.1"
KELA: Final = "1.2.246.10.2462460"
TYOLLISYYS: Final = "1.2.246.10.1621933"
TYP: Final = "1.2.246.10.28645177"
JARJESTO: Final = "1.2.246.10.10274806"
EXAMPLE_ORGANISATIONS: Final = {
    OrganisationKind.SOTE: SOTE,
    OrganisationKind.KELA: KELA,
    OrganisationKind.TYOLLISYYS: TYOLLISYYS,
    OrganisationKind.TYP: TYP,
    OrganisationKind.JARJESTO: JARJESTO,
}

_CLIENT: Final = "150388-9127"  # a test identity code: individual number 9xx
_WINTER: Final = timezone(timedelta(hours=2))
_SUMMER: Final = timezone(timedelta(hours=3))
_IDS: Final = uuid.UUID("6f1c2a5e-5b7d-4a43-9a39-2f3d5c0e8b10")


def example_codec() -> EventCodec:
    """The codec the examples were encoded with."""
    return EventCodec(Pseudonymiser(EXAMPLE_PSEUDONYM_SECRET))


def _id(name: str) -> uuid.UUID:
    # Stable ids, so that regenerating the examples changes no file.
    return uuid.uuid5(_IDS, name)


def journey_events() -> list[tuple[str, Event]]:
    """What the organisations publish, as (file name, event), in the order it happens.

    The router's own events are left out: an organisation may not publish them, so tests
    and benchmarks that play the journey through outboxes use exactly this.
    """
    return [(name, event) for name, event in example_events() if not event.issued_by_router]


def router_events() -> list[tuple[str, Event]]:
    """The events the router issues itself along the journey, in the order they happen."""
    return [(name, event) for name, event in example_events() if event.issued_by_router]


def example_events() -> list[tuple[str, Event]]:
    """The whole journey as it travels, the router's events included: schemas/examples."""
    referral = "EKHVA-LAH-2026-00412"
    plan = "TYP-EK-2026-0077"
    episode = "TYP-EK-EPI-2026-0031"
    work_activity_start = datetime(2026, 4, 13, 8, 0, tzinfo=_SUMMER)
    health_check_id = "EKHVA-TT-2026-1188"
    health_check_at = datetime(2026, 2, 3, 10, 15, tzinfo=_WINTER)
    kykyviisari_id = "EKHVA-KV-2026-0533"
    kykyviisari_at = datetime(2026, 2, 3, 11, 0, tzinfo=_WINTER)
    referral_at = datetime(2026, 2, 4, 9, 5, tzinfo=_WINTER)
    guidance = "TYP-EK-LAH-2026-0112"
    guidance_at = datetime(2026, 4, 20, 10, 0, tzinfo=_SUMMER)
    health_check = ProfessionalAssessment(
        domain="health",
        kind=AssessmentKind.HEALTH_CHECK,
        title="Työttömän terveystarkastus",
        conclusion="Selkävaivat ja uupumus rajoittavat fyysisesti raskasta työtä. "
        "Suositellaan kuntoutustarpeen arviota ja ammatillista kuntoutusta.",
        work_ability=5,
    )
    events: list[tuple[str, Event]] = [
        (
            "01-health-check.json",
            AssessmentRecorded(
                event_id=_id("health-check"),
                occurred_at=health_check_at,
                sender=SOTE,
                client=_CLIENT,
                assessment_id=health_check_id,
                assessment=health_check,
            ),
        ),
        (
            "02-kykyviisari.json",
            AssessmentRecorded(
                event_id=_id("kykyviisari"),
                occurred_at=kykyviisari_at,
                sender=SOTE,
                client=_CLIENT,
                assessment_id=kykyviisari_id,
                assessment=KykyviisariResult(
                    overall=5,
                    mental_wellbeing=4,
                    social_participation=6,
                    physical_functioning=4,
                    competence=7,
                    everyday_life=6,
                ),
            ),
        ),
        (
            "03-consent-kela-employment.json",
            ConsentGranted(
                event_id=_id("consent-1"),
                occurred_at=datetime(2026, 2, 3, 11, 20, tzinfo=_WINTER),
                sender=SOTE,
                client=_CLIENT,
                consent_id="EKHVA-SUO-2026-0904",
                scope=ConsentRule(
                    recipients=(
                        Recipient(kind=OrganisationKind.KELA),
                        Recipient(kind=OrganisationKind.TYOLLISYYS),
                        Recipient(kind=OrganisationKind.TYP),
                    ),
                    categories=(
                        DataCategory.REFERRAL,
                        DataCategory.ASSESSMENT_HEALTH,
                        DataCategory.ASSESSMENT_SELF,
                        DataCategory.PLAN,
                        DataCategory.CASE,
                        DataCategory.OUTCOME,
                    ),
                ),
                exceptions=(
                    # The client does not want the health check shown to the employment services.
                    ConsentRule(
                        recipients=(Recipient(kind=OrganisationKind.TYOLLISYYS),),
                        categories=(DataCategory.ASSESSMENT_HEALTH,),
                    ),
                ),
                valid_from=datetime(2026, 2, 3, 11, 20, tzinfo=_WINTER),
                valid_until=datetime(2027, 2, 3, 0, 0, tzinfo=_WINTER),
            ),
        ),
        (
            "04-referral-to-kela.json",
            ReferralRequested(
                event_id=_id("referral"),
                occurred_at=referral_at,
                sender=SOTE,
                client=_CLIENT,
                referral_id=referral,
                receiver=KELA,
                service="Kelan ammatillinen kuntoutus: kuntoutustarpeen selvitys",
                reason="Työkyky heikentynyt, pitkäaikaistyöttömyys; työttömän terveystarkastuksen "
                "suositus",
                note="Asiakas toivoo yhteydenottoa puhelimitse aamupäivisin.",
            ),
        ),
        (
            "05-referral-accepted.json",
            ReferralAccepted(
                event_id=_id("referral-accepted"),
                occurred_at=datetime(2026, 2, 9, 13, 40, tzinfo=_WINTER),
                sender=KELA,
                client=_CLIENT,
                referral_id=referral,
                requester=SOTE,
                note="Kuntoutusasiantuntija ottaa yhteyttä viikolla 8.",
            ),
        ),
        (
            "05a-handover-to-kela.json",
            # Kela took the catch: the health centre's earlier records follow it. Kela
            # already has the referral itself, so only the assessments are sent again.
            HandoverPackage(
                event_id=_id("handover-to-kela"),
                occurred_at=datetime(2026, 2, 9, 13, 40, 5, tzinfo=_WINTER),
                sender=SOTE,
                client=_CLIENT,
                recipient=KELA,
                trigger=HandoverTrigger.REFERRAL_ACCEPTED,
                trigger_document_id=referral,
                items=(
                    HandoverItem(
                        event_id=_id("health-check"),
                        event_type=AssessmentRecorded.ce_type(),
                        sender=SOTE,
                        category=DataCategory.ASSESSMENT_HEALTH,
                        document_id=health_check_id,
                        occurred_at=health_check_at,
                        included=True,
                    ),
                    HandoverItem(
                        event_id=_id("kykyviisari"),
                        event_type=AssessmentRecorded.ce_type(),
                        sender=SOTE,
                        category=DataCategory.ASSESSMENT_SELF,
                        document_id=kykyviisari_id,
                        occurred_at=kykyviisari_at,
                        included=True,
                    ),
                    HandoverItem(
                        event_id=_id("referral"),
                        event_type=ReferralRequested.ce_type(),
                        sender=SOTE,
                        category=DataCategory.REFERRAL,
                        document_id=referral,
                        occurred_at=referral_at,
                        included=False,
                    ),
                ),
            ),
        ),
        (
            "06-case-manager.json",
            CaseManagerAssigned(
                event_id=_id("case-manager"),
                occurred_at=datetime(2026, 2, 16, 10, 0, tzinfo=_WINTER),
                sender=TYP,
                client=_CLIENT,
                episode_id=episode,
                case_manager_name="Sanna Esimerkki",
                case_manager_role=CaseManagerRole.ASIAKASVASTAAVA,
                case_manager_organisation=TYP,
                team=(SOTE, KELA, TYOLLISYYS),
            ),
        ),
        (
            "06a-kykyviisari-available.json",
            # The TYP's multi-sectoral assessment is next: the client need not fill in
            # Kykyviisari a second time.
            AssessmentAvailable(
                event_id=_id("kykyviisari-available"),
                occurred_at=datetime(2026, 2, 16, 10, 0, 5, tzinfo=_WINTER),
                sender=SOTE,
                client=_CLIENT,
                recipient=TYP,
                assessment_event_id=_id("kykyviisari"),
                assessment_id=kykyviisari_id,
                assessment_kind="kykyviisari",
                assessment_category=DataCategory.ASSESSMENT_SELF,
                recorded_at=kykyviisari_at,
                moment=HintMoment.BEFORE_ASSESSING,
            ),
        ),
        (
            "07-shared-plan.json",
            PlanCreated(
                event_id=_id("shared-plan"),
                occurred_at=datetime(2026, 3, 2, 14, 30, tzinfo=_WINTER),
                sender=TYP,
                client=_CLIENT,
                plan_id=plan,
                plan_type=PlanType.MULTI_SECTORAL_EMPLOYMENT,
                title="Monialainen työllistymissuunnitelma",
                description="Tavoite: koulutukseen tai työhön, jossa selän kuormitus on vähäistä.",
                start=datetime(2026, 3, 2, 0, 0, tzinfo=_WINTER),
                end=datetime(2026, 12, 31, 0, 0, tzinfo=_WINTER),
                # The health check travels with the plan; minimisation removes it for a
                # recipient whose consent does not cover health data.
                basis=(
                    PlanBasis(
                        assessment_id=health_check_id,
                        recorded_by=SOTE,
                        recorded_at=health_check_at,
                        assessment=health_check,
                    ),
                ),
                activities=(
                    PlanActivity(
                        description="Kuntoutustarpeen selvitys ja ammatillinen kuntoutus",
                        performer=KELA,
                        status="in-progress",
                    ),
                    PlanActivity(
                        description="Uravalmennus ja koulutusvaihtoehtojen kartoitus",
                        performer=TYOLLISYYS,
                        status="scheduled",
                        start=datetime(2026, 3, 16, 9, 0, tzinfo=_WINTER),
                    ),
                    PlanActivity(
                        description="Fysioterapeutin ohjaus selkävaivoihin",
                        performer=SOTE,
                        status="scheduled",
                    ),
                ),
            ),
        ),
        (
            "08-consent-work-activity.json",
            ConsentGranted(
                event_id=_id("consent-2"),
                occurred_at=datetime(2026, 4, 7, 9, 45, tzinfo=_SUMMER),
                sender=TYOLLISYYS,
                client=_CLIENT,
                consent_id="LPR-TYO-SUO-2026-0219",
                scope=ConsentRule(
                    recipients=(Recipient(organisation=JARJESTO),),
                    categories=(DataCategory.PLAN,),
                ),
                valid_from=datetime(2026, 4, 7, 9, 45, tzinfo=_SUMMER),
                valid_until=datetime(2026, 11, 1, 0, 0, tzinfo=_WINTER),
            ),
        ),
        (
            "09-work-activity-period.json",
            PlanUpdated(
                event_id=_id("work-activity"),
                occurred_at=datetime(2026, 4, 7, 10, 0, tzinfo=_SUMMER),
                sender=TYP,
                client=_CLIENT,
                plan_id=plan,
                plan_type=PlanType.MULTI_SECTORAL_EMPLOYMENT,
                title="Monialainen työllistymissuunnitelma",
                description="Tavoite: koulutukseen tai työhön, jossa selän kuormitus on vähäistä.",
                start=datetime(2026, 3, 2, 0, 0, tzinfo=_WINTER),
                end=datetime(2026, 12, 31, 0, 0, tzinfo=_WINTER),
                activities=(
                    PlanActivity(
                        description="Kuntoutustarpeen selvitys ja ammatillinen kuntoutus",
                        performer=KELA,
                        status="in-progress",
                    ),
                    PlanActivity(
                        description="Uravalmennus ja koulutusvaihtoehtojen kartoitus",
                        performer=TYOLLISYYS,
                        status="completed",
                        start=datetime(2026, 3, 16, 9, 0, tzinfo=_WINTER),
                        end=datetime(2026, 4, 3, 15, 0, tzinfo=_SUMMER),
                    ),
                    PlanActivity(
                        description="Kuntouttava työtoiminta, 3 päivää viikossa",
                        performer=JARJESTO,
                        status="scheduled",
                        start=work_activity_start,
                        end=work_activity_start + timedelta(weeks=12),
                    ),
                ),
            ),
        ),
        (
            "09a-referral-to-career-guidance.json",
            ReferralRequested(
                event_id=_id("guidance-referral"),
                occurred_at=guidance_at,
                sender=TYP,
                client=_CLIENT,
                referral_id=guidance,
                receiver=TYOLLISYYS,
                service="Ammatinvalinta- ja uraohjaus",
                reason="Koulutusvaihtoehtojen selvittäminen ennen ammatillista koulutusta",
            ),
        ),
        (
            "09b-referral-overdue.json",
            # Five working days without an answer: the TYP, still responsible, is reminded.
            ReferralOverdue(
                event_id=_id("guidance-overdue-1"),
                occurred_at=datetime(2026, 4, 27, 10, 0, tzinfo=_SUMMER),
                sender=TYP,
                client=_CLIENT,
                referral_id=guidance,
                receiver=TYOLLISYYS,
                requested_at=guidance_at,
                due_at=datetime(2026, 4, 27, 10, 0, tzinfo=_SUMMER),
                escalation=1,
                case_manager_organisation=TYP,
            ),
        ),
        (
            "09b-referral-overdue-receiver.json",
            # With the TYP's first notice, the employment services, who must act, are
            # reminded once that the referral waits for their answer.
            ReferralOverdue(
                event_id=_id("guidance-overdue-receiver"),
                occurred_at=datetime(2026, 4, 27, 10, 0, tzinfo=_SUMMER),
                sender=TYP,
                client=_CLIENT,
                referral_id=guidance,
                receiver=TYOLLISYYS,
                requested_at=guidance_at,
                due_at=datetime(2026, 4, 27, 10, 0, tzinfo=_SUMMER),
                escalation=1,
                role=OverdueRole.RECEIVER,
                case_manager_organisation=TYP,
            ),
        ),
        (
            "09c-referral-expired.json",
            ReferralExpired(
                event_id=_id("guidance-expired"),
                occurred_at=datetime(2026, 5, 12, 10, 0, tzinfo=_SUMMER),
                sender=TYP,
                client=_CLIENT,
                referral_id=guidance,
                receiver=TYOLLISYYS,
                requested_at=guidance_at,
                case_manager_organisation=TYP,
            ),
        ),
        (
            "10-referral-completed.json",
            ReferralCompleted(
                event_id=_id("referral-completed"),
                occurred_at=datetime(2026, 6, 22, 12, 0, tzinfo=_SUMMER),
                sender=KELA,
                client=_CLIENT,
                referral_id=referral,
                requester=SOTE,
                note="Ammatillinen kuntoutus myönnetty koulutuksena.",
            ),
        ),
        (
            "10a-revocation-unmatched.json",
            # The work activity over, the employment services record the client's withdrawal
            # of the NGO consent with two digits swapped (0291 for 0219). The revocation is
            # kept, to void a later consent under that id, and the router tells them that no
            # consent has it. The revocation itself is left out of these files: the benchmarks
            # play the organisations' events as a region's traffic, and it would add a consent
            # change per client to what they measure.
            RevocationUnmatched(
                event_id=_id("revocation-unmatched"),
                occurred_at=datetime(2026, 7, 8, 9, 0, 1, tzinfo=_SUMMER),
                sender=TYOLLISYYS,
                client=_CLIENT,
                consent_id="LPR-TYO-SUO-2026-0291",
                revocation_event_id=_id("mistyped-revocation"),
            ),
        ),
        (
            "11-outcome.json",
            EpisodeClosed(
                event_id=_id("outcome"),
                occurred_at=datetime(2026, 8, 14, 15, 0, tzinfo=_SUMMER),
                sender=TYP,
                client=_CLIENT,
                episode_id=episode,
                outcome=EpisodeOutcome.EDUCATION,
                note="Aloittaa logistiikan ammattitutkinnon elokuussa.",
            ),
        ),
    ]
    return events
