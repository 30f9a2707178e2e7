"""The client journey the demo plays: one step per record an organisation's system hands over.

The story of ``schemas/examples/journey.py`` (from the seed documents), told with the
organisations of the registry and with times just before the demo starts: the router
decides at routing time, so consents must be valid now, not in the example's 2026.

The consents are split the way a client would give them at the health centre: one for
Kela, the TYP joint service and the health centre itself (which must hear back about its
own referral), one for the municipal employment services without health data. That lets
the client later revoke the employment services' consent alone and the demo show it.
Nothing is given to the NGO until the separate work-activity consent.

When Kela takes the catch, the health check and the Kykyviisari recorded before it follow
the client to Kela. Later the TYP refers the client to the employment services' career
guidance (as in the example's 09a) and nobody answers: the story lets five working days
pass (``TimePasses``), the router's clock moves on, and the overdue notice reaches the
TYP, which is still responsible, and a reminder the employment services, which must act.
Every step after that happens after the days passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from broker.pathway import ReferralClock
from broker.registry import Organisation, OrganisationRegistry
from schemas import (
    AssessmentKind,
    AssessmentRecorded,
    CaseManagerAssigned,
    CaseManagerRole,
    ConsentGranted,
    ConsentRevoked,
    ConsentRule,
    DataCategory,
    EpisodeClosed,
    EpisodeOutcome,
    Event,
    KykyviisariResult,
    OrganisationKind,
    PlanActivity,
    PlanBasis,
    PlanCreated,
    PlanType,
    PlanUpdated,
    ProfessionalAssessment,
    Recipient,
    ReferralAccepted,
    ReferralCompleted,
    ReferralRejected,
    ReferralRequested,
)

__all__ = ["DEMO_CLIENT", "JourneyStep", "Step", "TimePasses", "journey_steps"]

DEMO_CLIENT: Final = "150388-9127"
"""A test identity code (individual number 9xx), the client of the journey."""

_REFERRAL: Final = "EKHVA-LAH-2026-00412"
_GUIDANCE: Final = "TYP-EK-LAH-2026-0112"
_PLAN: Final = "TYP-EK-2026-0077"
_EPISODE: Final = "TYP-EK-EPI-2026-0031"
_HEALTH_CHECK: Final = "EKHVA-TT-2026-1188"
_SHARED_CONSENT: Final = "EKHVA-SUO-2026-0904"
_EMPLOYMENT_CONSENT: Final = "EKHVA-SUO-2026-0905"
_WORK_ACTIVITY_CONSENT: Final = "LPR-TYO-SUO-2026-0219"


@dataclass(frozen=True, slots=True)
class JourneyStep:
    """One record handed to one organisation's adapter, and what it means in the story."""

    title: str
    """What happens, in words."""
    source: Organisation
    """The organisation whose system hands the record over (and whose adapter publishes it)."""
    event: Event
    """The event the record becomes; its event id is the record's, end to end."""


@dataclass(frozen=True, slots=True)
class TimePasses:
    """Working days go by with nobody acting on a referral; the router's clock moves on."""

    title: str
    client: str
    """The client of the referral (identity code)."""
    waiting_for: Organisation
    """The organisation that has not answered."""
    referral_id: str
    requested_at: datetime
    due_at: datetime
    """When the answer was due, in working days as the router counts them."""
    until: datetime
    """What the router's clock reads afterwards: just past the due time."""


Step = JourneyStep | TimePasses


def journey_steps(
    registry: OrganisationRegistry, *, start: datetime, referrals: ReferralClock
) -> list[Step]:
    """The journey, in order, for the registry's organisations (one of each kind).

    Steps up to the unanswered referral happen a minute apart just before ``start``; the
    days then pass by ``referrals``, the router's own referral clock, and the rest of the
    story happens a minute apart after the due time.
    """
    sote, kela, tyollisyys, typ, jarjesto = (
        _of_kind(registry, kind)
        for kind in (
            OrganisationKind.SOTE,
            OrganisationKind.KELA,
            OrganisationKind.TYOLLISYYS,
            OrganisationKind.TYP,
            OrganisationKind.JARJESTO,
        )
    )
    # Each step a minute after the previous one, the referral nobody answers a minute before
    # start: the router decides at its clock, so consents must be valid by then.
    moments = iter(start - timedelta(minutes=minutes) for minutes in range(11, 1, -1))
    guidance_at = start - timedelta(minutes=1)
    due_at = referrals.due(guidance_at)
    # Just past due, so that the overdue watch finds it, and long before the next notice.
    days_passed = due_at + timedelta(minutes=1)
    later = iter(days_passed + timedelta(minutes=minutes) for minutes in range(1, 5))
    health_check = ProfessionalAssessment(
        domain="health",
        kind=AssessmentKind.HEALTH_CHECK,
        title="Työttömän terveystarkastus",
        conclusion="Selkävaivat ja uupumus rajoittavat fyysisesti raskasta työtä. "
        "Suositellaan kuntoutustarpeen arviota ja ammatillista kuntoutusta.",
        work_ability=5,
    )
    health_check_at = next(moments)
    valid_until = start + timedelta(days=365)
    kela_activity = PlanActivity(
        description="Kuntoutustarpeen selvitys ja ammatillinen kuntoutus",
        performer=kela.oid,
        status="in-progress",
    )
    return [
        JourneyStep(
            "Unemployed person's health check at the health centre",
            sote,
            AssessmentRecorded(
                sender=sote.oid,
                occurred_at=health_check_at,
                assessment_id=_HEALTH_CHECK,
                assessment=health_check,
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "Kykyviisari work-ability self-assessment at the employment services",
            tyollisyys,
            AssessmentRecorded(
                sender=tyollisyys.oid,
                occurred_at=next(moments),
                assessment_id="LPR-TYO-KV-2026-0533",
                assessment=KykyviisariResult(
                    overall=5,
                    mental_wellbeing=4,
                    social_participation=6,
                    physical_functioning=4,
                    competence=7,
                    everyday_life=6,
                ),
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "The client consents to sharing between Kela, the TYP and the health centre",
            sote,
            ConsentGranted(
                sender=sote.oid,
                occurred_at=(granted := next(moments)),
                consent_id=_SHARED_CONSENT,
                scope=ConsentRule(
                    recipients=tuple(
                        Recipient(kind=kind)
                        for kind in (
                            OrganisationKind.KELA,
                            OrganisationKind.TYP,
                            OrganisationKind.SOTE,
                        )
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
                valid_from=granted,
                valid_until=valid_until,
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "The client consents to sharing with the employment services, without health data",
            sote,
            ConsentGranted(
                sender=sote.oid,
                occurred_at=(granted := next(moments)),
                consent_id=_EMPLOYMENT_CONSENT,
                scope=ConsentRule(
                    recipients=(Recipient(kind=OrganisationKind.TYOLLISYYS),),
                    categories=(
                        DataCategory.REFERRAL,
                        DataCategory.ASSESSMENT_SELF,
                        DataCategory.PLAN,
                        DataCategory.CASE,
                        DataCategory.OUTCOME,
                    ),
                ),
                valid_from=granted,
                valid_until=valid_until,
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "The health centre refers the client to Kela's vocational rehabilitation",
            sote,
            ReferralRequested(
                sender=sote.oid,
                occurred_at=next(moments),
                referral_id=_REFERRAL,
                receiver=kela.oid,
                service="Kelan ammatillinen kuntoutus: kuntoutustarpeen selvitys",
                reason="Työkyky heikentynyt, pitkäaikaistyöttömyys; työttömän "
                "terveystarkastuksen suositus",
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "Kela accepts the referral (kopin otto)",
            kela,
            ReferralAccepted(
                sender=kela.oid,
                occurred_at=next(moments),
                referral_id=_REFERRAL,
                requester=sote.oid,
                note="Kuntoutusasiantuntija ottaa yhteyttä viikolla 8.",
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "The TYP names the client's case manager (asiakasvastaava)",
            typ,
            CaseManagerAssigned(
                sender=typ.oid,
                occurred_at=next(moments),
                episode_id=_EPISODE,
                case_manager_name="Sanna Esimerkki",
                case_manager_role=CaseManagerRole.ASIAKASVASTAAVA,
                case_manager_organisation=typ.oid,
                team=(sote.oid, kela.oid, tyollisyys.oid),
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "The TYP draws up the shared multi-sectoral employment plan",
            typ,
            PlanCreated(
                sender=typ.oid,
                occurred_at=next(moments),
                plan_id=_PLAN,
                plan_type=PlanType.MULTI_SECTORAL_EMPLOYMENT,
                title="Monialainen työllistymissuunnitelma",
                description="Tavoite: koulutukseen tai työhön, jossa selän kuormitus on vähäistä.",
                # The health check travels with the plan; removed where no consent covers it.
                basis=(
                    PlanBasis(
                        assessment_id=_HEALTH_CHECK,
                        recorded_by=sote.oid,
                        recorded_at=health_check_at,
                        assessment=health_check,
                    ),
                ),
                activities=(
                    kela_activity,
                    PlanActivity(
                        description="Uravalmennus ja koulutusvaihtoehtojen kartoitus",
                        performer=tyollisyys.oid,
                        status="scheduled",
                    ),
                    PlanActivity(
                        description="Kuntouttava työtoiminta: sovitaan asiakkaan kanssa",
                        performer=jarjesto.oid,
                        status="not-started",
                    ),
                ),
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "The client consents, at the employment services, to the NGO's work activity",
            tyollisyys,
            ConsentGranted(
                sender=tyollisyys.oid,
                occurred_at=(granted := next(moments)),
                consent_id=_WORK_ACTIVITY_CONSENT,
                scope=ConsentRule(
                    recipients=(Recipient(organisation=jarjesto.oid),),
                    categories=(DataCategory.PLAN,),
                ),
                valid_from=granted,
                valid_until=valid_until,
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "The TYP updates the plan: a work-activity period at the NGO",
            typ,
            PlanUpdated(
                sender=typ.oid,
                occurred_at=next(moments),
                plan_id=_PLAN,
                plan_type=PlanType.MULTI_SECTORAL_EMPLOYMENT,
                title="Monialainen työllistymissuunnitelma",
                activities=(
                    kela_activity,
                    PlanActivity(
                        description="Uravalmennus ja koulutusvaihtoehtojen kartoitus",
                        performer=tyollisyys.oid,
                        status="completed",
                    ),
                    PlanActivity(
                        description="Kuntouttava työtoiminta, 3 päivää viikossa",
                        performer=jarjesto.oid,
                        status="scheduled",
                    ),
                ),
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "The TYP refers the client to the employment services' career guidance",
            typ,
            ReferralRequested(
                sender=typ.oid,
                occurred_at=guidance_at,
                referral_id=_GUIDANCE,
                receiver=tyollisyys.oid,
                service="Ammatinvalinta- ja uraohjaus",
                reason="Koulutusvaihtoehtojen selvittäminen ennen ammatillista koulutusta",
                client=DEMO_CLIENT,
            ),
        ),
        TimePasses(
            f"{referrals.due_working_days} working days pass: the employment services have "
            "not answered",
            DEMO_CLIENT,
            tyollisyys,
            _GUIDANCE,
            guidance_at,
            due_at,
            days_passed,
        ),
        JourneyStep(
            "The employment services answer at last: they reject the career-guidance referral",
            tyollisyys,
            ReferralRejected(
                sender=tyollisyys.oid,
                occurred_at=next(later),
                referral_id=_GUIDANCE,
                requester=typ.oid,
                reason="Koulutusvaihtoehdot selvitetään Kelan ammatillisen kuntoutuksen "
                "kuntoutustarpeen selvityksessä; uraohjaus ei ole nyt tarpeen.",
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "The client revokes, at the employment services, their consent to them",
            tyollisyys,
            ConsentRevoked(
                sender=tyollisyys.oid,
                occurred_at=next(later),
                consent_id=_EMPLOYMENT_CONSENT,
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "Kela completes the referral: vocational rehabilitation granted as education",
            kela,
            ReferralCompleted(
                sender=kela.oid,
                occurred_at=next(later),
                referral_id=_REFERRAL,
                requester=sote.oid,
                note="Ammatillinen kuntoutus myönnetty koulutuksena.",
                client=DEMO_CLIENT,
            ),
        ),
        JourneyStep(
            "The TYP closes the episode: the client starts vocational education",
            typ,
            EpisodeClosed(
                sender=typ.oid,
                occurred_at=next(later),
                episode_id=_EPISODE,
                outcome=EpisodeOutcome.EDUCATION,
                note="Aloittaa logistiikan ammattitutkinnon.",
                client=DEMO_CLIENT,
            ),
        ),
    ]


def _of_kind(registry: OrganisationRegistry, kind: OrganisationKind) -> Organisation:
    found = [organisation for organisation in registry if organisation.kind == kind]
    if not found:
        raise LookupError(f"the registry has no organisation of kind {kind.value}")
    return found[0]
