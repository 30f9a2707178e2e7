"""The indicators of a generated population whose events went through the real router.

A thousand client paths are published to the outboxes of the embedded broker, routed,
and counted by ``compute_indicators``; every figure is checked against a count made here,
from the generated paths, by other means.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.indicators import PathwayIndicators, compute_indicators
from broker.kafka import KafkaConnection
from broker.registry import OrganisationRegistry
from broker.topics import outbox_topic
from schemas import (
    AssessmentRecorded,
    ConsentGranted,
    ConsentRule,
    DataCategory,
    EpisodeClosed,
    EpisodeOutcome,
    Event,
    KykyviisariResult,
    OrganisationKind,
    Recipient,
    ReferralAccepted,
    ReferralRejected,
    ReferralRequested,
    synthetic_identity_code,
)
from schemas.examples import EXAMPLE_ORGANISATIONS
from tests.router.harness import CODEC, Harness, ManualClock, running_router, wait_until_handled

_CLIENTS: Final = 1_000
_SEED: Final = 20261123
T0: Final = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
"""Monday 2 March 2026, 09:00 in Finland: no public holiday in the weeks the paths take."""
_PAIRS: Final = (
    (OrganisationKind.SOTE, OrganisationKind.KELA),
    (OrganisationKind.SOTE, OrganisationKind.TYP),
    (OrganisationKind.TYOLLISYYS, OrganisationKind.TYP),
    (OrganisationKind.TYP, OrganisationKind.JARJESTO),
)
_CATEGORIES: Final = (DataCategory.REFERRAL, DataCategory.ASSESSMENT_SELF)
_SINCE: Final = T0 - timedelta(days=30)
_UNTIL: Final = T0 + timedelta(days=90)
_AFTER_EVERYTHING: Final = T0 + timedelta(days=45)
"""Past the due time of the unanswered referrals (requested in week 5; Easter falls in their
five working days), before their expiry."""


@dataclass(slots=True)
class _Path:
    """One client's generated path, and what the indicators should make of it."""

    client: str
    requester: str
    receiver: str
    requested_at: datetime
    fate: str  # accepted, rejected or unanswered
    answered_at: datetime | None
    consent: bool
    assessed_before: bool
    assessed_again: bool
    outcome: EpisodeOutcome | None
    events: list[list[Event]] = field(default_factory=lambda: [[], [], []])
    """The events of each phase: an answer is published only after its referral is routed."""


def _population() -> list[_Path]:
    chance = random.Random(_SEED)  # noqa: S311 - a reproducible population, not a secret
    oids = EXAMPLE_ORGANISATIONS
    paths = []
    for number in range(_CLIENTS):
        requester_kind, receiver_kind = chance.choice(_PAIRS)
        fate = chance.choices(("accepted", "rejected", "unanswered"), (70, 15, 15))[0]
        if fate == "unanswered":
            requested_at = T0 + timedelta(days=28, minutes=chance.randrange(3 * 24 * 60))
            answered_at = None
        else:
            requested_at = T0 + timedelta(minutes=chance.randrange(28 * 24 * 60))
            answered_at = requested_at + timedelta(hours=chance.randint(1, 200))
        assessed_before = chance.random() < 0.4
        paths.append(
            _Path(
                client=synthetic_identity_code(
                    date(1960, 1, 1) + timedelta(days=number // 100), 900 + number % 100
                ),
                requester=oids[requester_kind],
                receiver=oids[receiver_kind],
                requested_at=requested_at,
                fate=fate,
                answered_at=answered_at,
                consent=chance.random() < 0.3,
                assessed_before=assessed_before,
                assessed_again=fate == "accepted" and chance.random() < 0.5,
                outcome=(
                    chance.choice(list(EpisodeOutcome))
                    if fate == "accepted" and chance.random() < 0.8
                    else None
                ),
            )
        )
    for path in paths:
        _events(path)
    return paths


def _kykyviisari(path: _Path, sender: str, at: datetime, suffix: str) -> AssessmentRecorded:
    return AssessmentRecorded(
        occurred_at=at,
        sender=sender,
        client=path.client,
        assessment_id=f"KV-{path.client}-{suffix}",
        assessment=KykyviisariResult(
            overall=6,
            mental_wellbeing=5,
            social_participation=6,
            physical_functioning=7,
            competence=6,
            everyday_life=7,
        ),
    )


def _events(path: _Path) -> None:
    referral_id = f"R-{path.client}"
    first, second, third = path.events
    if path.consent:
        first.append(
            ConsentGranted(
                occurred_at=path.requested_at - timedelta(days=11),
                sender=path.requester,
                client=path.client,
                consent_id=f"C-{path.client}",
                scope=ConsentRule(
                    recipients=(Recipient(organisation=path.receiver),), categories=_CATEGORIES
                ),
                valid_from=path.requested_at - timedelta(days=11),
            )
        )
    if path.assessed_before:
        at = path.requested_at - timedelta(days=10)
        first.append(_kykyviisari(path, path.requester, at, "1"))
    first.append(
        ReferralRequested(
            occurred_at=path.requested_at,
            sender=path.requester,
            client=path.client,
            referral_id=referral_id,
            receiver=path.receiver,
            service="Työkyvyn tuen palvelu",
            reason="Työkyky heikentynyt",
        )
    )
    answer: dict[str, object] = {
        "sender": path.receiver,
        "client": path.client,
        "referral_id": referral_id,
        "requester": path.requester,
    }
    if path.fate == "accepted":
        assert path.answered_at is not None
        second.append(ReferralAccepted.model_validate({**answer, "occurred_at": path.answered_at}))
        if path.assessed_again:
            at = path.answered_at + timedelta(hours=1)
            second.append(_kykyviisari(path, path.receiver, at, "2"))
        if path.outcome is not None:
            third.append(
                EpisodeClosed(
                    occurred_at=path.answered_at + timedelta(days=20),
                    sender=path.receiver,
                    client=path.client,
                    episode_id=f"E-{path.client}",
                    outcome=path.outcome,
                )
            )
    elif path.fate == "rejected":
        second.append(
            ReferralRejected.model_validate(
                {**answer, "occurred_at": path.answered_at, "reason": "Ei palvelun piirissä"}
            )
        )


async def _publish(bootstrap: str, harness: Harness, events: list[Event]) -> None:
    """Publish every event to its sender's outbox, letting the producer batch them."""
    producer = AIOKafkaProducer(
        **KafkaConnection(bootstrap).client_kwargs(), enable_idempotence=False, linger_ms=5
    )
    await producer.start()
    try:
        pending = []
        for event in events:
            record = CODEC.encode(event)
            topic = outbox_topic(harness.registry.by_oid(event.sender).id)
            pending.append(
                await producer.send(
                    topic, record.value, key=record.key, headers=list(record.headers)
                )
            )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
def population() -> list[_Path]:
    """The generated paths (the same on both databases)."""
    return _population()


@pytest.fixture(scope="module")
async def indicators(
    kafka_bootstrap: str,
    module_engine: AsyncEngine,
    registry: OrganisationRegistry,
    population: list[_Path],
) -> PathwayIndicators:
    """The population routed phase by phase, overdue notices sent, and the indicators."""
    clock = ManualClock(_AFTER_EVERYTHING)
    database_url = module_engine.url.render_as_string(hide_password=False)
    # Batches of 500 decoded in the router's event loop: a heartbeat may wait a second.
    async with running_router(
        kafka_bootstrap,
        database_url,
        registry,
        clock=clock,
        router_batch_size=500,
        router_session_timeout_ms=6_000,
    ) as (harness, service):
        handled = 0
        for phase in range(3):
            events = [event for path in population for event in path.events[phase]]
            await _publish(kafka_bootstrap, harness, events)
            handled += len(events)
            await wait_until_handled(service, handled)
        while await service.escalate_overdue():
            pass
    return await compute_indicators(module_engine, since=_SINCE, until=_UNTIL)


def _hours(path: _Path) -> float:
    assert path.answered_at is not None
    return (path.answered_at - path.requested_at).total_seconds() / 3600


async def test_each_pair_shows_its_referrals_acceptance_times_and_rates(
    indicators: PathwayIndicators, population: list[_Path]
) -> None:
    by_pair: dict[tuple[str, str], list[_Path]] = {}
    for path in population:
        by_pair.setdefault((path.requester, path.receiver), []).append(path)
    shown = {(row.requester.oid, row.receiver.oid): row for row in indicators.referral_pairs}
    assert shown.keys() == by_pair.keys()
    for pair, paths in by_pair.items():
        row = shown[pair]
        accepted = [_hours(path) for path in paths if path.fate == "accepted"]
        rejected = sum(path.fate == "rejected" for path in paths)
        unanswered = sum(path.fate == "unanswered" for path in paths)
        assert not row.suppressed
        assert row.referrals.value == len(paths)
        assert row.clients.value == len(paths)
        assert row.acceptance_median_hours.value == round(statistics.median(accepted))
        p90 = statistics.quantiles(accepted, n=10, method="inclusive")[8]
        assert row.acceptance_p90_hours.value == round(p90)
        assert row.rejection_rate.value == pytest.approx(rejected / (len(accepted) + rejected))
        assert row.overdue_rate.value == pytest.approx(unanswered / len(paths))
        assert row.expiry_rate.value == 0


async def test_client_paths_count_acceptances_per_client_and_the_handovers_sent(
    indicators: PathwayIndicators, population: list[_Path]
) -> None:
    paths = indicators.client_paths
    assert paths.clients.value == len(population)
    accepted = [float(path.fate == "accepted") for path in population]
    assert paths.accepted_referrals_median.value == statistics.median(accepted)
    # Something follows the client only where a consent lets their earlier assessment go.
    handed_over = sum(
        path.fate == "accepted" and path.consent and path.assessed_before for path in population
    )
    assert paths.handovers.value == handed_over


async def test_duplicates_are_flagged_and_hinted_where_consent_allows(
    indicators: PathwayIndicators, population: list[_Path]
) -> None:
    duplicates = indicators.duplicates
    repeated = [path for path in population if path.assessed_before and path.assessed_again]
    assert duplicates.flagged.value == len(repeated)
    assert {kind.name: kind.count.value for kind in duplicates.flagged_by_kind} == {
        "kykyviisari": len(repeated)
    }
    before = sum(
        path.fate == "accepted" and path.consent and path.assessed_before for path in population
    )
    after = sum(path.consent for path in repeated)
    moments = {moment.name: moment.count.value for moment in duplicates.hints_by_moment}
    assert moments == {"before-assessing": before, "after-assessing": after}
    # A before-assessing hint is avoided unless the organisation assessed again anyway.
    avoided = sum(
        path.fate == "accepted"
        and path.consent
        and path.assessed_before
        and not path.assessed_again
        for path in population
    )
    assert duplicates.avoided.value == avoided


async def test_episode_outcomes_count_the_clients_under_each_outcome(
    indicators: PathwayIndicators, population: list[_Path]
) -> None:
    expected = Counter(path.outcome.value for path in population if path.outcome is not None)
    shown = {outcome.name: outcome.count.value for outcome in indicators.outcomes.by_outcome}
    assert shown == {outcome.value: expected[outcome.value] for outcome in EpisodeOutcome}
    assert indicators.outcomes.clients.value == sum(expected.values())
