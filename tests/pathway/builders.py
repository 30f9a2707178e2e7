"""Events of one client's pathway, their Kafka records, and a pathway to apply them to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from broker.pathway import (
    ClientPathway,
    DuplicateWindows,
    PathwayChanges,
    PathwayRules,
    ReferralClock,
    StepOutcome,
    WorkingCalendar,
    apply_event,
)
from schemas import (
    AssessmentKind,
    AssessmentRecorded,
    CaseManagerAssigned,
    CaseManagerRole,
    EpisodeClosed,
    EpisodeOutcome,
    Event,
    EventCodec,
    KafkaRecord,
    KykyviisariResult,
    OrganisationKind,
    PlanCreated,
    PlanType,
    PlanUpdated,
    ProfessionalAssessment,
    Pseudonymiser,
    ReferralAccepted,
    ReferralCompleted,
    ReferralRejected,
    ReferralRequested,
)
from schemas.examples import EXAMPLE_ORGANISATIONS

SOTE: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.SOTE]
KELA: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.KELA]
TYOLLISYYS: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.TYOLLISYYS]
TYP: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.TYP]
JARJESTO: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.JARJESTO]

CLIENT: Final = "150388-9127"
CODEC: Final = EventCodec(Pseudonymiser(b"pathway-tests-pseudonym-secret-0123456789"))
PSEUDONYM: Final = CODEC.pseudonymiser.pseudonym(CLIENT)

T0: Final = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
"""Monday 2 March 2026, 09:00 in Finland: no holiday in the five weeks that follow."""
HOUR: Final = timedelta(hours=1)
DAY: Final = timedelta(days=1)

CLOCK: Final = ReferralClock(
    calendar=WorkingCalendar(), due_working_days=5, repeat_working_days=1, expiry_working_days=20
)
WINDOW: Final = timedelta(days=183)
RULES: Final = PathwayRules(
    clock=CLOCK,
    duplicates=DuplicateWindows(default=WINDOW),
    document_retention=timedelta(days=365),
)
REGISTERED: Final = frozenset(EXAMPLE_ORGANISATIONS.values())
"""The OIDs of the organisations in the registry."""


def requested(
    referral_id: str = "R-1", *, sender: str = SOTE, receiver: str = KELA, at: datetime = T0
) -> ReferralRequested:
    """A referral from ``sender`` to ``receiver``."""
    return ReferralRequested(
        occurred_at=at,
        sender=sender,
        client=CLIENT,
        referral_id=referral_id,
        receiver=receiver,
        service="Kelan ammatillinen kuntoutus",
        reason="Työkyky heikentynyt",
    )


def accepted(
    referral_id: str = "R-1", *, by: str = KELA, requester: str = SOTE, at: datetime = T0 + HOUR
) -> ReferralAccepted:
    """The receiver takes the catch."""
    return ReferralAccepted(
        occurred_at=at, sender=by, client=CLIENT, referral_id=referral_id, requester=requester
    )


def rejected(
    referral_id: str = "R-1",
    *,
    by: str = KELA,
    requester: str = SOTE,
    reason: str = "Asiakas ei täytä kuntoutuksen edellytyksiä",
    at: datetime = T0 + HOUR,
) -> ReferralRejected:
    """The receiver declines, saying why."""
    return ReferralRejected(
        occurred_at=at,
        sender=by,
        client=CLIENT,
        referral_id=referral_id,
        requester=requester,
        reason=reason,
    )


def completed(
    referral_id: str = "R-1", *, by: str = KELA, requester: str = SOTE, at: datetime = T0 + DAY
) -> ReferralCompleted:
    """The service the referral asked for has been given."""
    return ReferralCompleted(
        occurred_at=at, sender=by, client=CLIENT, referral_id=referral_id, requester=requester
    )


def assessment(
    assessment_id: str,
    *,
    sender: str = SOTE,
    kind: AssessmentKind | Literal["kykyviisari"] = AssessmentKind.HEALTH_CHECK,
    at: datetime = T0,
) -> AssessmentRecorded:
    """A professional assessment of ``kind``, or the client's own Kykyviisari."""
    result: KykyviisariResult | ProfessionalAssessment
    if kind == "kykyviisari":
        result = KykyviisariResult(
            overall=5,
            mental_wellbeing=4,
            social_participation=6,
            physical_functioning=4,
            competence=7,
            everyday_life=6,
        )
    else:
        result = ProfessionalAssessment(
            domain="health", kind=kind, title="Arvio", conclusion="Työkyky osittain heikentynyt."
        )
    return AssessmentRecorded(
        occurred_at=at, sender=sender, client=CLIENT, assessment_id=assessment_id, assessment=result
    )


def plan(
    plan_id: str = "P-1",
    *,
    sender: str = TYP,
    status: Literal["active", "completed", "revoked"] = "active",
    updated: bool = False,
    at: datetime = T0,
) -> PlanCreated | PlanUpdated:
    """A plan of ``sender``, as created or as a later whole version."""
    kind = PlanUpdated if updated else PlanCreated
    return kind(
        occurred_at=at,
        sender=sender,
        client=CLIENT,
        plan_id=plan_id,
        plan_type=PlanType.MULTI_SECTORAL_EMPLOYMENT,
        title="Monialainen työllistymissuunnitelma",
        status=status,
    )


def case_manager(
    *,
    sender: str = TYP,
    organisation: str = TYP,
    team: tuple[str, ...] = (),
    episode_id: str = "E-1",
    at: datetime = T0 + DAY,
) -> CaseManagerAssigned:
    """A named case manager at ``organisation``, with a team of organisations."""
    return CaseManagerAssigned(
        occurred_at=at,
        sender=sender,
        client=CLIENT,
        episode_id=episode_id,
        case_manager_name="Maija Meikäläinen",
        case_manager_role=CaseManagerRole.TYOKYKYKOORDINAATTORI,
        case_manager_organisation=organisation,
        team=team,
    )


def episode_closed(
    *, sender: str = TYP, episode_id: str = "E-1", at: datetime = T0 + 30 * DAY
) -> EpisodeClosed:
    """The episode ended: the client found work."""
    return EpisodeClosed(
        occurred_at=at,
        sender=sender,
        client=CLIENT,
        episode_id=episode_id,
        outcome=EpisodeOutcome.WORK,
    )


def record(event: Event) -> KafkaRecord:
    """The event as it travels."""
    return CODEC.encode(event)


@dataclass(slots=True)
class Walk:
    """One client's pathway, and the writes its events asked for."""

    rules: PathwayRules = RULES
    pathway: ClientPathway = field(default_factory=lambda: ClientPathway(PSEUDONYM))
    changes: PathwayChanges = field(default_factory=PathwayChanges)

    def apply(self, event: Event, network: frozenset[str] = frozenset()) -> StepOutcome:
        """Apply ``event`` as the router would, with ``network`` the client's care network."""
        return apply_event(
            event,
            record(event),
            self.pathway,
            network,
            rules=self.rules,
            changes=self.changes,
            registered=REGISTERED,
        )

    def through(self, *events: Event) -> Walk:
        """Apply each of ``events`` in turn."""
        for event in events:
            self.apply(event)
        return self
