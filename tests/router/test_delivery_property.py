"""For random consents and events, each inbox receives exactly what an independent reference allows.

The reference below is written from the rules in ARCHITECTURE.md, not from consent/: a
consent of the client permits a recipient (by organisation or kind) a set of categories
until it is revoked; candidates are the organisations an event names plus the client's
care network (organisations that accepted a referral, and the referral's sender); a plan's
supporting assessment is removed for a recipient whose consents do not cover its category.
A referral is accepted once; the organisation that accepts it receives the client's other
documents (the latest assessment of each kind, every plan, the referrals still open) that
it may receive then, unless it was decided about them before. An event published again
changes nothing, and no inbox receives an event twice. The router's own notices (the
handover package, the hints) are left out of the comparison of inboxes.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.registry import OrganisationRegistry
from consent.database import upgrade_database
from schemas import (
    AssessmentKind,
    AssessmentRecorded,
    ConsentGranted,
    ConsentRevoked,
    DataCategory,
    Event,
    KafkaRecord,
    OrganisationKind,
    PlanCreated,
    ProfessionalAssessment,
    Recipient,
    ReferralAccepted,
    ReferralRequested,
    assessment_kind_of,
)
from schemas.examples import EXAMPLE_ORGANISATIONS
from tests.router.events import (
    START,
    acceptance,
    consent,
    kykyviisari,
    referral,
    revocation,
    shared_plan,
)
from tests.router.harness import CODEC, running_router, wait_until_handled

pytestmark = pytest.mark.kafka

CLIENTS: Final = ("150388-9127", "240795-934S", "010170-987B")
ORGANISATIONS: Final = dict(EXAMPLE_ORGANISATIONS)  # kind -> OID
KIND_OF: Final = {oid: kind for kind, oid in ORGANISATIONS.items()}
SOTE: Final = ORGANISATIONS[OrganisationKind.SOTE]
CATEGORIES: Final = (
    DataCategory.REFERRAL,
    DataCategory.ASSESSMENT_SELF,
    DataCategory.ASSESSMENT_SOCIAL,
    DataCategory.ASSESSMENT_HEALTH,
    DataCategory.PLAN,
)


@dataclass(frozen=True)
class GiveConsent:
    recipients: tuple[Recipient, ...]
    categories: tuple[DataCategory, ...]


@dataclass(frozen=True)
class Revoke:
    which: int


@dataclass(frozen=True)
class Refer:
    receiver: str


@dataclass(frozen=True)
class Accept:
    which: int


@dataclass(frozen=True)
class SelfAssess:
    pass


@dataclass(frozen=True)
class SocialAssess:
    pass


@dataclass(frozen=True)
class Plan:
    performers: tuple[str, ...]


@dataclass(frozen=True)
class Repeat:
    """An adapter publishing one of the client's events again, as after its own crash."""

    which: int


Step = GiveConsent | Revoke | Refer | Accept | SelfAssess | SocialAssess | Plan | Repeat
Scenario = dict[str, list[Step]]

OIDS: Final = sorted(ORGANISATIONS.values())
recipients = st.one_of(
    st.sampled_from(OIDS).map(lambda oid: Recipient(organisation=oid)),
    st.sampled_from(sorted(OrganisationKind)).map(lambda kind: Recipient(kind=kind)),
)
steps: st.SearchStrategy[Step] = st.one_of(
    st.builds(
        GiveConsent,
        recipients=st.lists(recipients, min_size=1, max_size=2, unique=True).map(tuple),
        categories=st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3, unique=True).map(
            tuple
        ),
    ),
    st.builds(Revoke, which=st.integers(0, 5)),
    st.builds(Refer, receiver=st.sampled_from(sorted(set(OIDS) - {SOTE}))),
    st.builds(Accept, which=st.integers(0, 5)),
    st.just(SelfAssess()),
    st.just(SocialAssess()),
    st.builds(
        Plan,
        performers=st.lists(st.sampled_from(OIDS), min_size=1, max_size=3, unique=True).map(tuple),
    ),
    st.builds(Repeat, which=st.integers(0, 7)),
)
scenarios = st.dictionaries(
    st.sampled_from(CLIENTS), st.lists(steps, min_size=1, max_size=8), min_size=1, max_size=3
)


def _social(assessment_id: str, client: str) -> AssessmentRecorded:
    return AssessmentRecorded(
        occurred_at=START,
        sender=SOTE,
        client=client,
        assessment_id=assessment_id,
        assessment=ProfessionalAssessment(
            domain="social",
            kind=AssessmentKind.SERVICE_NEED,
            title="Palvelutarpeen arvio",
            conclusion="Tarvitsee tukea.",
        ),
    )


def build_events(scenario: Scenario) -> list[Event]:
    """Turn the generated steps into events, in publication order."""
    events: list[Event] = []
    for number, (client, client_steps) in enumerate(sorted(scenario.items())):
        consent_ids: list[str] = []
        published: list[Event] = []
        referrals: list[ReferralRequested] = []
        accepted: set[str] = set()
        for index, step in enumerate(client_steps):
            name = f"{number}-{index}"
            match step:
                case GiveConsent(chosen, categories):
                    consent_ids.append(f"C-{name}")
                    events.append(consent(f"C-{name}", chosen, categories, client=client))
                case Revoke(which) if consent_ids:
                    chosen_id = consent_ids[which % len(consent_ids)]
                    events.append(revocation(chosen_id, client=client))
                case Refer(receiver):
                    referrals.append(referral(f"R-{name}", receiver, client=client))
                    events.append(referrals[-1])
                case Accept(which) if referrals:
                    answered = referrals[which % len(referrals)]
                    if answered.referral_id not in accepted:  # a second one would be refused
                        accepted.add(answered.referral_id)
                        events.append(
                            acceptance(answered.referral_id, answered.receiver, client=client)
                        )
                case SelfAssess():
                    events.append(kykyviisari(f"KV-{name}", client=client))
                case SocialAssess():
                    events.append(_social(f"SA-{name}", client))
                case Plan(performers):
                    events.append(shared_plan(f"P-{name}", performers, client=client))
                case Repeat(which) if published:
                    events.append(published[which % len(published)])
            if events and events[-1].client == client and events[-1] not in published:
                published.append(events[-1])
    return events


@dataclass
class _Client:
    consents: dict[str, ConsentGranted] = field(default_factory=dict)
    network: set[str] = field(default_factory=set)
    documents: dict[str, Event] = field(default_factory=dict)
    """What follows the client to an organisation that takes over, by what it supersedes."""
    decided: dict[tuple[str, str], bool] = field(default_factory=dict)
    """(event id, recipient) -> permitted, for each decision made."""

    def permits(self, recipient: str, category: DataCategory) -> bool:
        return any(
            category in granted.scope.categories
            and any(
                r.organisation == recipient or r.kind == KIND_OF[recipient]
                for r in granted.scope.recipients
            )
            for granted in self.consents.values()
        )


def reference(events: list[Event]) -> dict[str, set[tuple[str, bool]]]:
    """Recipient OID -> {(event id, supporting assessment kept)} the rules allow."""
    clients: dict[str, _Client] = defaultdict(_Client)
    allowed: dict[str, set[tuple[str, bool]]] = defaultdict(set)
    seen: set[str] = set()
    for event in events:
        if str(event.event_id) in seen:  # published again: a replay changes nothing
            continue
        seen.add(str(event.event_id))
        state = clients[event.client]
        if isinstance(event, ConsentGranted):
            state.consents[event.consent_id] = event
            continue
        if isinstance(event, ConsentRevoked):
            state.consents.pop(event.consent_id, None)
            continue
        candidates = (set(event.destinations()) | state.network) - {event.sender}
        for recipient in candidates:
            _decide(state, event, recipient, allowed)
        if isinstance(event, ReferralAccepted):
            state.network |= {event.sender, event.requester}
            referral_slot = f"referral/{event.requester}/{event.referral_id}"
            for slot, document in state.documents.items():
                if slot != referral_slot and document.sender != event.sender:
                    _decide(state, document, event.sender, allowed)
        elif isinstance(event, AssessmentRecorded):
            state.documents[f"assessment/{assessment_kind_of(event)}/{event.sender}"] = event
        elif isinstance(event, PlanCreated):
            state.documents[f"plan/{event.sender}/{event.plan_id}"] = event
        elif isinstance(event, ReferralRequested):
            state.documents[f"referral/{event.sender}/{event.referral_id}"] = event
    return allowed


def _decide(
    state: _Client, event: Event, recipient: str, allowed: dict[str, set[tuple[str, bool]]]
) -> None:
    """Decide once per event and recipient: the first decision stands (the audit log's key)."""
    key = (str(event.event_id), recipient)
    if key not in state.decided:
        state.decided[key] = state.permits(recipient, event.category)
        if state.decided[key]:
            kept = isinstance(event, PlanCreated) and state.permits(
                recipient, DataCategory.ASSESSMENT_HEALTH
            )
            allowed[recipient].add((str(event.event_id), kept))


async def _run(
    events: list[Event], bootstrap: str, database_url: str, registry: OrganisationRegistry
) -> None:
    async with running_router(bootstrap, database_url, registry) as (harness, service):
        # One at a time: events from different outboxes have no order between them, and
        # the reference reads them in publication order.
        for handled, event in enumerate(events, start=1):
            await harness.publish(event)
            await wait_until_handled(service, handled)
        allowed = reference(events)
        permits = {
            (str(r.event_id), r.recipient)
            for r in await harness.audit_records()
            if r.decision == "permit"
        }
        delivered_pairs = set()
        for organisation in harness.registry:
            got = set()
            received: list[str] = []
            for record in await harness.inbox(organisation.id):
                event = CODEC.decode(KafkaRecord(record.key, tuple(record.headers), record.value))
                delivered_pairs.add((str(event.event_id), organisation.oid))
                received.append(str(event.event_id))
                if event.issued_by_router:
                    continue
                kept = isinstance(event, PlanCreated) and bool(event.basis)
                got.add((str(event.event_id), kept))
            assert got == allowed.get(organisation.oid, set()), organisation.id
            assert len(received) == len(set(received)), f"{organisation.id} got an event twice"
        assert delivered_pairs == permits


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios)
def test_each_inbox_receives_exactly_what_the_reference_allows(
    scenario: Scenario,
    kafka_bootstrap: str,
    registry: OrganisationRegistry,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    database = tmp_path_factory.mktemp("property") / "router.db"
    url = f"sqlite+aiosqlite:///{database}"
    events = build_events(scenario)

    async def scenario_run() -> None:
        await upgrade_database(url)
        await _run(events, kafka_bootstrap, url, registry)

    asyncio.run(scenario_run())
