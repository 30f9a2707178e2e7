"""Other clients' short paths, so that the demo's indicators have figures worth showing.

With one client every cell of the indicators is hidden (fewer than five clients), so the
demo adds a few dozen synthetic clients (test identity codes) with the paths the seed
documents describe most often: a Kykyviisari, a referral, an acceptance or a rejection,
sometimes the receiver's own Kykyviisari again (a duplicate), the referral completed and
the episode closed with an outcome. Their referrals are all answered before they are due:
the demo's overdue referral stays the one the journey tells.

The events are built here; ``JourneyPlayer.publish`` sends them, wave by wave, because
the router keeps one client's events in order only within one organisation's outbox.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from broker.pathway import ReferralClock
from broker.registry import Organisation, OrganisationRegistry
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
    ReferralCompleted,
    ReferralRejected,
    ReferralRequested,
    synthetic_identity_code,
)

__all__ = ["Population", "synthetic_population"]

# (requester kind, receiver kind, clients): the transitions the seed documents name most.
_PAIRS: Final = (
    (OrganisationKind.SOTE, OrganisationKind.KELA, 16),
    (OrganisationKind.SOTE, OrganisationKind.TYP, 12),
    (OrganisationKind.TYP, OrganisationKind.TYOLLISYYS, 10),
    (OrganisationKind.TYOLLISYYS, OrganisationKind.JARJESTO, 6),
)
_OUTCOMES: Final = (
    (EpisodeOutcome.WORK, 8),
    (EpisodeOutcome.EDUCATION, 7),
    (EpisodeOutcome.REHABILITATION, 6),
    (EpisodeOutcome.OTHER_SERVICE, 3),
    (EpisodeOutcome.PENSION, 1),
    (EpisodeOutcome.MOVED, 1),
)
_SEED: Final = 5
# Test identity codes 950-999: apart from the journey's client (912).
_FIRST_INDIVIDUAL: Final = 950
_ACCEPTED_SHARE: Final = 0.8
_ASSESSED_AGAIN_SHARE: Final = 0.3
_CLOSED_SHARE: Final = 0.75
_LONGEST_ANSWER: Final = timedelta(hours=72)
_SHORTEST_ANSWER: Final = timedelta(hours=1)
# Room after the answer for the receiver's own events, before the router's clock.
_AFTER_ANSWER: Final = timedelta(hours=3)
_DRAWS: Final = 1_000


@dataclass(frozen=True, slots=True)
class Population:
    """The synthetic clients' events, in waves that must be routed one after another."""

    clients: int
    waves: tuple[tuple[Event, ...], ...]
    """Consents; assessments and referrals; answers; the receivers' assessments, referrals
    completed and episodes closed."""

    @property
    def events(self) -> int:
        """How many events in all."""
        return sum(len(wave) for wave in self.waves)


def synthetic_population(
    registry: OrganisationRegistry, *, since: datetime, until: datetime, referrals: ReferralClock
) -> Population:
    """Paths of synthetic clients whose referrals are requested in [since, until).

    Every referral is answered before it is due by ``referrals``, and every event happens
    before ``until``, the router's clock, so that the router meets nothing from its future.
    """
    rng = random.Random(_SEED)  # noqa: S311 - synthetic figures, not secrets
    kinds = {organisation.kind: organisation for organisation in registry}
    outcomes = [outcome for outcome, weight in _OUTCOMES for _ in range(weight)]
    waves: tuple[list[Event], ...] = ([], [], [], [])
    number = 0
    for requester_kind, receiver_kind, clients in _PAIRS:
        requester, receiver = kinds[requester_kind], kinds[receiver_kind]
        for _ in range(clients):
            path = _Path(number, requester, receiver, kinds[OrganisationKind.SOTE], rng)
            requested_at = _requested_at(rng, since, until, referrals)
            latest = min(_LONGEST_ANSWER, until - _AFTER_ANSWER - requested_at)
            answered_at = (
                requested_at + _SHORTEST_ANSWER + (latest - _SHORTEST_ANSWER) * rng.random()
            )
            waves[0].append(path.consent(requested_at - timedelta(hours=2), until))
            waves[1].append(path.kykyviisari(requester, requested_at - timedelta(hours=1)))
            waves[1].append(path.referral(requested_at))
            accepted = rng.random() < _ACCEPTED_SHARE
            waves[2].append(path.answer(answered_at, accepted=accepted))
            if accepted:
                if rng.random() < _ASSESSED_AGAIN_SHARE:
                    waves[3].append(path.kykyviisari(receiver, answered_at + timedelta(minutes=30)))
                if rng.random() < _CLOSED_SHARE:
                    waves[3].extend(
                        path.closed(answered_at + timedelta(hours=1), rng.choice(outcomes))
                    )
            number += 1
    return Population(number, tuple(tuple(wave) for wave in waves))


def _requested_at(
    rng: random.Random, since: datetime, until: datetime, referrals: ReferralClock
) -> datetime:
    latest = until - _AFTER_ANSWER - _SHORTEST_ANSWER
    if latest <= since:
        raise ValueError(f"no room for a referral between {since} and {until}")
    for _ in range(_DRAWS):
        moment = since + (latest - since) * rng.random()
        # Due only after the router's clock: answered in time, never overdue in the demo.
        if referrals.due(moment) > until + timedelta(hours=1):
            return moment
    raise ValueError(
        f"no moment between {since} and {until} leaves a referral due after {until}: "
        "give a later since"
    )


class _Path:
    """One synthetic client's events between two organisations."""

    def __init__(
        self,
        number: int,
        requester: Organisation,
        receiver: Organisation,
        health_centre: Organisation,
        rng: random.Random,
    ) -> None:
        born = date(1965, 1, 1) + timedelta(days=rng.randrange(35 * 365))
        self.client = synthetic_identity_code(born, _FIRST_INDIVIDUAL + number)
        self.number = number
        self.requester = requester
        self.receiver = receiver
        self.health_centre = health_centre
        self.rng = rng
        self.referral_id = f"SYN-{requester.id.upper()}-{number:03d}"

    def consent(self, at: datetime, until: datetime) -> Event:
        """Given at the health centre, for every organisation of the path."""
        return ConsentGranted(
            sender=self.health_centre.oid,
            occurred_at=at,
            consent_id=f"SYN-SUO-{self.number:03d}",
            scope=ConsentRule(
                recipients=tuple(
                    Recipient(kind=kind)
                    for kind in (
                        OrganisationKind.SOTE,
                        OrganisationKind.KELA,
                        OrganisationKind.TYP,
                        OrganisationKind.TYOLLISYYS,
                        OrganisationKind.JARJESTO,
                    )
                ),
                categories=(
                    DataCategory.REFERRAL,
                    DataCategory.ASSESSMENT_SELF,
                    DataCategory.PLAN,
                    DataCategory.CASE,
                    DataCategory.OUTCOME,
                ),
            ),
            valid_from=at,
            valid_until=until + timedelta(days=365),
            client=self.client,
        )

    def kykyviisari(self, by: Organisation, at: datetime) -> Event:
        """The client's Kykyviisari, filled in at ``by``."""
        score = self.rng.randint(2, 8)
        return AssessmentRecorded(
            sender=by.oid,
            occurred_at=at,
            assessment_id=f"SYN-KV-{by.id.upper()}-{self.number:03d}",
            assessment=KykyviisariResult(
                overall=score,
                mental_wellbeing=self.rng.randint(2, 8),
                social_participation=self.rng.randint(2, 8),
                physical_functioning=self.rng.randint(2, 8),
                competence=self.rng.randint(2, 8),
                everyday_life=self.rng.randint(2, 8),
            ),
            client=self.client,
        )

    def referral(self, at: datetime) -> Event:
        """The requester refers the client to the receiver."""
        return ReferralRequested(
            sender=self.requester.oid,
            occurred_at=at,
            referral_id=self.referral_id,
            receiver=self.receiver.oid,
            service="Työkyvyn tuki",
            reason="Työkyky heikentynyt",
            client=self.client,
        )

    def answer(self, at: datetime, *, accepted: bool) -> Event:
        """The receiver takes the catch, or rejects."""
        if accepted:
            return ReferralAccepted(
                sender=self.receiver.oid,
                occurred_at=at,
                referral_id=self.referral_id,
                requester=self.requester.oid,
                client=self.client,
            )
        return ReferralRejected(
            sender=self.receiver.oid,
            occurred_at=at,
            referral_id=self.referral_id,
            requester=self.requester.oid,
            reason="Palvelu ei vastaa asiakkaan tämänhetkistä tarvetta.",
            client=self.client,
        )

    def closed(self, at: datetime, outcome: EpisodeOutcome) -> list[Event]:
        """The receiver completes the referral and closes the episode with ``outcome``."""
        return [
            ReferralCompleted(
                sender=self.receiver.oid,
                occurred_at=at,
                referral_id=self.referral_id,
                requester=self.requester.oid,
                client=self.client,
            ),
            EpisodeClosed(
                sender=self.receiver.oid,
                occurred_at=at + timedelta(minutes=30),
                episode_id=f"SYN-EPI-{self.number:03d}",
                outcome=outcome,
                client=self.client,
            ),
        ]
