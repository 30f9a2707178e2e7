"""Every event survives the wire: model -> Kafka record (key, headers, bytes) -> equal model."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import (
    EVENT_TYPES,
    AssessmentAvailable,
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
    EventCodec,
    HandoverItem,
    HandoverPackage,
    HandoverTrigger,
    HintMoment,
    KafkaRecord,
    KykyviisariResult,
    OrganisationKind,
    OverdueRole,
    PlanActivity,
    PlanBasis,
    PlanCreated,
    PlanType,
    PlanUpdated,
    ProfessionalAssessment,
    Pseudonymiser,
    Recipient,
    ReferralAccepted,
    ReferralCompleted,
    ReferralExpired,
    ReferralOverdue,
    ReferralRejected,
    ReferralRequested,
    RevocationUnmatched,
    synthetic_identity_code,
)

CODEC: Final = EventCodec(Pseudonymiser(b"tests-pseudonym-secret-0123456789abcdef"))

CLIENT: Final = "150388-9127"
SOTE: Final = "1.2.246.10.32213051.10.1"
KELA: Final = "1.2.246.10.2462460"
TYOLLISYYS: Final = "1.2.246.10.1621932"
TYP: Final = "1.2.246.10.1621932.10.7"
JARJESTO: Final = "1.2.246.10.31234568"

WINTER: Final = timezone(timedelta(hours=2))
SUMMER: Final = timezone(timedelta(hours=3))
AT: Final = datetime(2026, 3, 2, 14, 30, tzinfo=WINTER)

KYKYVIISARI: Final = KykyviisariResult(
    overall=5,
    mental_wellbeing=4,
    social_participation=6,
    physical_functioning=0,
    competence=10,
    everyday_life=6,
)
BASIS: Final = (
    PlanBasis(
        assessment_id="EKHVA-TT-2026-1188",
        recorded_by=SOTE,
        recorded_at=datetime(2026, 2, 3, 10, 15, tzinfo=WINTER),
        assessment=ProfessionalAssessment(
            domain="health",
            kind=AssessmentKind.HEALTH_CHECK,
            title="Työttömän terveystarkastus",
            conclusion="Selkävaivat rajoittavat raskasta työtä.",
            work_ability=5,
        ),
    ),
    PlanBasis(
        assessment_id="EKHVA-PTA-2026-0042",
        recorded_by=SOTE,
        recorded_at=datetime(2026, 2, 5, 9, 0, tzinfo=WINTER),
        assessment=ProfessionalAssessment(
            domain="social",
            kind=AssessmentKind.SERVICE_NEED,
            title="Palvelutarpeen arvio",
            conclusion="Tarvitsee tukea asumiseen.",
        ),
    ),
)
ACTIVITIES: Final = (
    PlanActivity(description="Kuntoutustarpeen selvitys", performer=KELA, status="in-progress"),
    PlanActivity(
        description="Uravalmennus",
        performer=TYOLLISYYS,
        status="completed",
        start=datetime(2026, 3, 16, 9, 0, tzinfo=WINTER),
        end=datetime(2026, 4, 3, 15, 0, tzinfo=SUMMER),
    ),
    PlanActivity(
        description="Kuntouttava työtoiminta, 3 päivää viikossa",
        performer=JARJESTO,
        status="scheduled",
        start=datetime(2026, 4, 13, 8, 0, tzinfo=SUMMER),
    ),
    PlanActivity(
        description="Fysioterapia", performer=SOTE, end=datetime(2026, 6, 1, tzinfo=SUMMER)
    ),
)

CASES: Final[dict[str, Event]] = {
    "referral requested with a note": ReferralRequested(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        referral_id="EKHVA-LAH-2026-00412",
        receiver=KELA,
        service="Kelan ammatillinen kuntoutus",
        reason="Työkyky heikentynyt",
        note="Asiakas toivoo yhteydenottoa aamupäivisin.",
    ),
    "referral requested without a note": ReferralRequested(
        occurred_at=AT,
        sender=TYOLLISYYS,
        client="020516C903K",
        referral_id="R-1",
        receiver=TYP,
        service="Monialainen palvelutarpeen arvio",
        reason="Pitkäaikaistyöttömyys",
    ),
    "referral accepted": ReferralAccepted(
        occurred_at=AT,
        sender=KELA,
        client=CLIENT,
        referral_id="EKHVA-LAH-2026-00412",
        requester=SOTE,
        note="Kuntoutusasiantuntija ottaa yhteyttä.",
    ),
    "referral rejected with a reason": ReferralRejected(
        occurred_at=AT,
        sender=KELA,
        client=CLIENT,
        referral_id="EKHVA-LAH-2026-00412",
        requester=SOTE,
        reason="Ei ammatillisen kuntoutuksen edellytyksiä; ohjataan TYP:iin.",
    ),
    "referral completed without a note": ReferralCompleted(
        occurred_at=AT, sender=KELA, client=CLIENT, referral_id="R-1", requester=SOTE
    ),
    "kykyviisari self-assessment": AssessmentRecorded(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        assessment_id="EKHVA-KV-2026-0533",
        assessment=KYKYVIISARI,
    ),
    "professional health assessment with a work-ability estimate": AssessmentRecorded(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        assessment_id="EKHVA-TT-2026-1188",
        assessment=ProfessionalAssessment(
            domain="health",
            kind=AssessmentKind.HEALTH_CHECK,
            title="Työttömän terveystarkastus",
            conclusion="Selkävaivat rajoittavat fyysisesti raskasta työtä.",
            work_ability=5,
        ),
    ),
    "professional social assessment without a work-ability estimate": AssessmentRecorded(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        assessment_id="EKHVA-PTA-2026-0042",
        assessment=ProfessionalAssessment(
            domain="social",
            kind=AssessmentKind.SERVICE_NEED,
            title="Palvelutarpeen arvio",
            conclusion="Tarvitsee tukea asumiseen ja raha-asioihin.",
        ),
    ),
    "plan created with a period and activities of several organisations": PlanCreated(
        occurred_at=AT,
        sender=TYP,
        client=CLIENT,
        plan_id="TYP-EK-2026-0077",
        plan_type=PlanType.MULTI_SECTORAL_EMPLOYMENT,
        title="Monialainen työllistymissuunnitelma",
        description="Tavoite: koulutukseen tai työhön.",
        start=datetime(2026, 3, 2, tzinfo=WINTER),
        end=datetime(2026, 12, 31, tzinfo=WINTER),
        activities=ACTIVITIES,
    ),
    "plan resting on a health and a social assessment": PlanCreated(
        occurred_at=AT,
        sender=TYP,
        client=CLIENT,
        plan_id="TYP-EK-2026-0078",
        plan_type=PlanType.MULTI_SECTORAL_EMPLOYMENT,
        title="Monialainen työllistymissuunnitelma",
        activities=ACTIVITIES,
        basis=BASIS,
    ),
    "plan created without period, description or activities": PlanCreated(
        occurred_at=AT,
        sender=TYOLLISYYS,
        client=CLIENT,
        plan_id="LPR-AKT-2026-0001",
        plan_type=PlanType.ACTIVATION,
        title="Aktivointisuunnitelma",
    ),
    "plan updated with an open-ended period, completed": PlanUpdated(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        plan_id="EKHVA-TTS-2026-0003",
        plan_type=PlanType.WORK_ABILITY_SUPPORT,
        title="Työkyvyn tuen suunnitelma",
        status="completed",
        start=datetime(2026, 1, 5, tzinfo=WINTER),
        activities=ACTIVITIES[:1],
    ),
    "case manager assigned with a team": CaseManagerAssigned(
        occurred_at=AT,
        sender=TYP,
        client=CLIENT,
        episode_id="TYP-EK-EPI-2026-0031",
        case_manager_name="Sanna Esimerkki",
        case_manager_role=CaseManagerRole.ASIAKASVASTAAVA,
        case_manager_organisation=TYP,
        team=(SOTE, KELA, TYOLLISYYS),
    ),
    "case manager of another organisation, without a team": CaseManagerAssigned(
        occurred_at=AT,
        sender=TYP,
        client=CLIENT,
        episode_id="TYP-EK-EPI-2026-0032",
        case_manager_name="Matti Meikäläinen",
        case_manager_role=CaseManagerRole.TYOKYKYKOORDINAATTORI,
        case_manager_organisation=SOTE,
    ),
    "episode closed with a note": EpisodeClosed(
        occurred_at=AT,
        sender=TYP,
        client=CLIENT,
        episode_id="TYP-EK-EPI-2026-0031",
        outcome=EpisodeOutcome.EDUCATION,
        note="Aloittaa ammattitutkinnon elokuussa.",
    ),
    "episode closed without a note": EpisodeClosed(
        occurred_at=AT,
        sender=TYP,
        client=CLIENT,
        episode_id="TYP-EK-EPI-2026-0032",
        outcome=EpisodeOutcome.UNKNOWN,
    ),
    "consent to organisation kinds, with a refused category and a period": ConsentGranted(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        consent_id="EKHVA-SUO-2026-0904",
        scope=ConsentRule(
            recipients=(
                Recipient(kind=OrganisationKind.KELA),
                Recipient(kind=OrganisationKind.TYP),
            ),
            categories=(DataCategory.REFERRAL, DataCategory.ASSESSMENT_HEALTH, DataCategory.PLAN),
        ),
        exceptions=(
            ConsentRule(
                recipients=(Recipient(kind=OrganisationKind.TYP),),
                categories=(DataCategory.ASSESSMENT_HEALTH,),
            ),
        ),
        valid_from=AT,
        valid_until=datetime(2027, 3, 2, tzinfo=WINTER),
    ),
    "consent to one organisation for data from one source, open-ended": ConsentGranted(
        occurred_at=AT,
        sender=TYOLLISYYS,
        client=CLIENT,
        consent_id="LPR-TYO-SUO-2026-0219",
        scope=ConsentRule(
            recipients=(Recipient(organisation=JARJESTO),),
            sources=(TYOLLISYYS,),
            categories=(DataCategory.PLAN,),
        ),
        purpose="HOPERAT",
        valid_until=datetime(2026, 10, 31, tzinfo=SUMMER),
    ),
    "refusal of one organisation": ConsentGranted(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        consent_id="EKHVA-KIE-2026-0001",
        decision="deny",
        scope=ConsentRule(recipients=(Recipient(organisation=JARJESTO),)),
    ),
    "refusal of one document": ConsentGranted(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        consent_id="EKHVA-KIE-2026-0002",
        decision="deny",
        scope=ConsentRule(documents=("EKHVA-TT-2026-1188",)),
    ),
    "refusal of one service task": ConsentGranted(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        consent_id="EKHVA-KIE-2026-0003",
        decision="deny",
        scope=ConsentRule(service_tasks=("sosiaalihuolto",)),
    ),
    "refusal of data from one source organisation, except to one recipient": ConsentGranted(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        consent_id="EKHVA-KIE-2026-0004",
        decision="deny",
        scope=ConsentRule(sources=(SOTE,), categories=(DataCategory.ASSESSMENT_SOCIAL,)),
        exceptions=(ConsentRule(recipients=(Recipient(kind=OrganisationKind.KELA),)),),
    ),
    "consent revoked": ConsentRevoked(
        occurred_at=AT, sender=KELA, client=CLIENT, consent_id="EKHVA-SUO-2026-0904"
    ),
    "referral overdue, second notice, with a case manager": ReferralOverdue(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        referral_id="EKHVA-LAH-2026-00412",
        receiver=KELA,
        requested_at=datetime(2026, 2, 20, 9, 5, tzinfo=WINTER),
        due_at=datetime(2026, 2, 27, 9, 5, tzinfo=WINTER),
        escalation=2,
        case_manager_organisation=TYP,
    ),
    "referral overdue, first notice, without a case manager": ReferralOverdue(
        occurred_at=AT,
        sender=TYOLLISYYS,
        client=CLIENT,
        referral_id="R-1",
        receiver=TYP,
        requested_at=datetime(2026, 2, 20, 9, 5, tzinfo=WINTER),
        due_at=datetime(2026, 2, 27, 9, 5, tzinfo=WINTER),
        escalation=1,
    ),
    "referral overdue, the receiver's reminder": ReferralOverdue(
        occurred_at=AT,
        sender=TYOLLISYYS,
        client=CLIENT,
        referral_id="R-1",
        receiver=TYP,
        requested_at=datetime(2026, 2, 20, 9, 5, tzinfo=WINTER),
        due_at=datetime(2026, 2, 27, 9, 5, tzinfo=WINTER),
        escalation=1,
        role=OverdueRole.RECEIVER,
    ),
    "referral expired with a case manager": ReferralExpired(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        referral_id="EKHVA-LAH-2026-00412",
        receiver=KELA,
        requested_at=datetime(2026, 2, 2, 9, 5, tzinfo=WINTER),
        case_manager_organisation=TYP,
    ),
    "referral expired without a case manager": ReferralExpired(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        referral_id="R-1",
        receiver=KELA,
        requested_at=datetime(2026, 2, 2, 9, 5, tzinfo=WINTER),
    ),
    "handover package of records included and delivered earlier": HandoverPackage(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        recipient=KELA,
        trigger=HandoverTrigger.REFERRAL_ACCEPTED,
        trigger_document_id="EKHVA-LAH-2026-00412",
        items=(
            HandoverItem(
                event_id=uuid.UUID("0b7a4f64-5d0f-4a53-9a3e-1f2a3b4c5d6e"),
                event_type=AssessmentRecorded.ce_type(),
                sender=SOTE,
                category=DataCategory.ASSESSMENT_HEALTH,
                document_id="EKHVA-TT-2026-1188",
                occurred_at=datetime(2026, 2, 3, 10, 15, tzinfo=WINTER),
                included=True,
            ),
            HandoverItem(
                event_id=uuid.UUID("5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"),
                event_type=ReferralRequested.ce_type(),
                sender=SOTE,
                category=DataCategory.REFERRAL,
                document_id="EKHVA-LAH-2026-00412",
                occurred_at=datetime(2026, 2, 4, 9, 5, tzinfo=WINTER),
                included=False,
            ),
        ),
    ),
    "handover package to a care team member": HandoverPackage(
        occurred_at=AT,
        sender=TYP,
        client=CLIENT,
        recipient=TYOLLISYYS,
        trigger=HandoverTrigger.CARE_TEAM_JOINED,
        trigger_document_id="TYP-EK-EPI-2026-0031",
        items=(
            HandoverItem(
                event_id=uuid.UUID("7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b"),
                event_type=PlanCreated.ce_type(),
                sender=TYP,
                category=DataCategory.PLAN,
                document_id="TYP-EK-2026-0077",
                occurred_at=datetime(2026, 3, 2, 14, 30, tzinfo=WINTER),
                included=True,
            ),
        ),
    ),
    "kykyviisari available before assessing": AssessmentAvailable(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        recipient=TYP,
        assessment_event_id=uuid.UUID("2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"),
        assessment_id="EKHVA-KV-2026-0533",
        assessment_kind="kykyviisari",
        assessment_category=DataCategory.ASSESSMENT_SELF,
        recorded_at=datetime(2026, 2, 3, 11, 0, tzinfo=WINTER),
        moment=HintMoment.BEFORE_ASSESSING,
    ),
    "health check available after assessing again": AssessmentAvailable(
        occurred_at=AT,
        sender=SOTE,
        client=CLIENT,
        recipient=KELA,
        assessment_event_id=uuid.UUID("3b4c5d6e-7f8a-4b9c-8d1e-2f3a4b5c6d7e"),
        assessment_id="EKHVA-TT-2026-1188",
        assessment_kind=AssessmentKind.HEALTH_CHECK.value,
        assessment_category=DataCategory.ASSESSMENT_HEALTH,
        recorded_at=datetime(2026, 2, 3, 10, 15, tzinfo=WINTER),
        moment=HintMoment.AFTER_ASSESSING,
        duplicate_assessment_id="KELA-TT-2026-0099",
    ),
    "revocation under a consent id the client has none under": RevocationUnmatched(
        occurred_at=AT,
        sender=KELA,
        client=CLIENT,
        consent_id="KELA-SUO-2026-0042",
        revocation_event_id=uuid.UUID("4c5d6e7f-8a9b-4c0d-9e2f-3a4b5c6d7e8f"),
    ),
}


def over_the_wire(event: Event) -> Event:
    """Encode, copy the record's parts as a Kafka client would hand them over, decode."""
    record = CODEC.encode(event)
    received = KafkaRecord(
        key=bytes(record.key),
        headers=tuple((name, bytes(value)) for name, value in record.headers),
        value=bytes(record.value),
    )
    return CODEC.decode(received)


def test_round_trip_cases_cover_every_event_type() -> None:
    assert {event.ce_type() for event in CASES.values()} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", CASES.values(), ids=CASES.keys())
def test_event_decodes_to_an_equal_model(event: Event) -> None:
    assert over_the_wire(event) == event


@pytest.mark.parametrize("event", CASES.values(), ids=CASES.keys())
def test_documentation_form_of_a_record_decodes_to_an_equal_model(event: Event) -> None:
    record = KafkaRecord.from_json(CODEC.encode(event).to_json())
    assert CODEC.decode(record) == event


@pytest.mark.parametrize("event", CASES.values(), ids=CASES.keys())
def test_encoding_an_event_twice_gives_the_same_bytes(event: Event) -> None:
    assert CODEC.encode(event) == CODEC.encode(event)


@pytest.mark.parametrize("event", CASES.values(), ids=CASES.keys())
def test_encoding_without_validation_gives_the_bytes_validation_passes(event: Event) -> None:
    # The router skips validating the shapes these cases pin: they must be the same bytes.
    unchecked = CODEC.encode(event, validate=False)
    assert unchecked == CODEC.encode(event)
    assert CODEC.decode(unchecked) == event


@pytest.mark.parametrize("event", CASES.values(), ids=CASES.keys())
def test_the_value_is_compact_utf8_json_as_the_standard_library_writes_it(event: Event) -> None:
    value = CODEC.encode(event).value
    standard = json.dumps(json.loads(value), ensure_ascii=False, separators=(",", ":"))
    assert value == standard.encode()


@pytest.mark.parametrize("event", CASES.values(), ids=CASES.keys())
def test_decoded_event_keeps_its_data_category(event: Event) -> None:
    assert over_the_wire(event).category == event.category


def test_assessment_categories_follow_who_assessed_and_in_which_domain() -> None:
    assert [
        CASES[name].category
        for name in (
            "kykyviisari self-assessment",
            "professional health assessment with a work-ability estimate",
            "professional social assessment without a work-ability estimate",
        )
    ] == [
        DataCategory.ASSESSMENT_SELF,
        DataCategory.ASSESSMENT_HEALTH,
        DataCategory.ASSESSMENT_SOCIAL,
    ]


# Property tests: what a sender may put into an event survives the wire unchanged.

_CENTURY_SIGNS: Final = {18: "+", 19: "-UVWXY", 20: "ABCDEF"}


@st.composite
def identity_codes(draw: st.DrawFn) -> str:
    """Valid identity codes of every century sign, with a test individual number 900-999."""
    born = draw(st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31)))
    sign = draw(st.sampled_from(_CENTURY_SIGNS[born.year // 100]))
    individual = draw(st.integers(min_value=900, max_value=999))
    return synthetic_identity_code(born, individual, sign)


# FHIR dateTime offsets are whole minutes from -14:00 to +14:00.
utc_offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=utc_offsets
)
# FHIR strings need one character that is a space, tab, line break or not whitespace, and may
# hold no control character but tab, carriage return and line feed; other text (a lone
# no-break space, a NUL) is refused at encoding, see test_codec_errors.
free_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=["Cc"]),
        st.sampled_from("äöåÄÖÅšž€😀🧑‍🦽👍🏽\n\t\r "),
    ),
    min_size=1,
    max_size=300,
).filter(lambda text: re.search(r"[ \r\n\t\S]", text) is not None)
organisations = st.sampled_from([SOTE, KELA, TYOLLISYYS, TYP, JARJESTO])

referrals = st.builds(
    ReferralRequested,
    occurred_at=moments,
    sender=organisations,
    client=identity_codes(),
    referral_id=st.just("R-1"),
    receiver=organisations,
    service=free_text,
    reason=free_text,
    note=st.none() | free_text,
)
plans = st.builds(
    PlanCreated,
    occurred_at=moments,
    sender=organisations,
    client=identity_codes(),
    plan_id=st.just("P-1"),
    plan_type=st.sampled_from(PlanType),
    title=free_text,
    description=st.none() | free_text,
    start=st.none() | moments,
    end=st.none() | moments,
    activities=st.lists(
        st.builds(
            PlanActivity,
            description=free_text,
            performer=organisations,
            status=st.sampled_from(
                ["not-started", "scheduled", "in-progress", "completed", "cancelled"]
            ),
            start=st.none() | moments,
            end=st.none() | moments,
        ),
        max_size=4,
    ).map(tuple),
)


def utc_offsets_of(event: ReferralRequested | PlanCreated) -> list[timedelta | None]:
    """The offset of every moment in the event, in a fixed order."""
    instants: list[datetime | None] = [event.occurred_at]
    if isinstance(event, PlanCreated):
        instants += [event.start, event.end]
        instants += [moment for a in event.activities for moment in (a.start, a.end)]
    return [None if moment is None else moment.utcoffset() for moment in instants]


@settings(deadline=None, max_examples=60)
@given(event=referrals)
def test_any_referral_round_trips_keeping_text_and_local_time(event: ReferralRequested) -> None:
    decoded = over_the_wire(event)
    assert decoded == event
    assert isinstance(decoded, ReferralRequested)
    assert utc_offsets_of(decoded) == utc_offsets_of(event)


@settings(deadline=None, max_examples=60)
@given(event=plans)
def test_any_plan_round_trips_keeping_text_and_local_times(event: PlanCreated) -> None:
    decoded = over_the_wire(event)
    assert decoded == event
    assert isinstance(decoded, PlanCreated)
    assert utc_offsets_of(decoded) == utc_offsets_of(event)
