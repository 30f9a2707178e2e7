"""A seeded, generated population of client paths through the five example organisations.

Each client starts at one organisation, is referred on one to four times (accepted, rejected,
expiring, left open; some overdue), is assessed along the way (some assessments repeat
another organisation's: flagged duplicates), gets hints, handovers, and mostly an episode
outcome. Times spread from before the period to after it, so that boundaries matter. Two
cells are kept small on purpose: referrals jarjesto -> kela and the outcome "moved".
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from tests.indicators.rows import (
    JARJESTO,
    KELA,
    ORGANISATIONS,
    SINCE,
    SOTE,
    TYOLLISYYS,
    TYP,
    UNTIL,
    Row,
    assessment,
    client,
    episode,
    handover,
    hint,
    referral,
)

_START: Final = SINCE - timedelta(days=45)
_SPAN_SECONDS: Final = int((UNTIL + timedelta(days=20) - _START).total_seconds())
_DUPLICATE_WINDOW: Final = timedelta(days=90)
KINDS: Final = ("kykyviisari", "tyokyvyn-arvio", "palvelutarpeen-arvio", "terveystarkastus")
_FIRST: Final = {SOTE: 40, TYOLLISYYS: 30, KELA: 15, TYP: 10, JARJESTO: 5}
_STATES: Final = {
    "accepted": 50,
    "completed": 12,
    "rejected": 15,
    "expired": 8,
    "requested": 15,
}
_OUTCOMES: Final = {
    "work": 30,
    "education": 12,
    "rehabilitation": 20,
    "pension": 8,
    "other-service": 15,
    "unknown": 10,
}
SMALL_PAIR: Final = (JARJESTO, KELA)
SMALL_PAIR_CLIENTS: Final = 3
SMALL_OUTCOME: Final = "moved"
SMALL_OUTCOME_CLIENTS: Final = 2


@dataclass
class Population:
    """The rows of each pathway table."""

    referrals: list[Row] = field(default_factory=list)
    assessments: list[Row] = field(default_factory=list)
    hints: list[Row] = field(default_factory=list)
    handovers: list[Row] = field(default_factory=list)
    episodes: list[Row] = field(default_factory=list)


def generate(clients: int, seed: int) -> Population:
    """``clients`` generated paths, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311  # test data, and it must repeat
    population = Population()
    for number in range(clients):
        _path(rng, population, client(f"population-{seed}-{number}"))
    for number in range(SMALL_PAIR_CLIENTS):
        who = client(f"small-pair-{number}")
        for day in (3, 10):
            population.referrals.append(
                referral(
                    who,
                    requester=SMALL_PAIR[0],
                    receiver=SMALL_PAIR[1],
                    requested_at=SINCE + timedelta(days=day + number),
                )
            )
    for number in range(SMALL_OUTCOME_CLIENTS):
        population.episodes.append(
            episode(
                client(f"small-outcome-{number}"),
                outcome=SMALL_OUTCOME,
                closed_at=SINCE + timedelta(days=20 + number),
            )
        )
    return population


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _seconds(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    return timedelta(seconds=rng.randint(int(low.total_seconds()), int(high.total_seconds())))


def _path(rng: random.Random, population: Population, who: str) -> None:
    at = _START + timedelta(seconds=rng.randrange(_SPAN_SECONDS))
    here = _pick(rng, _FIRST)
    mine: list[Row] = []  # this client's assessments, so that each path is looked at alone
    if rng.random() < 0.6:
        _assess(population, mine, who=who, organisation=here, kind=rng.choice(KINDS), at=at)
    for _step in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        at += _seconds(rng, timedelta(hours=1), timedelta(days=20))
        receiver = rng.choice([org for org in ORGANISATIONS if org != here])
        if (here, receiver) == SMALL_PAIR:
            receiver = SOTE
        state = _pick(rng, _STATES)
        delay = _seconds(rng, timedelta(minutes=30), timedelta(days=12))
        answered_at = None if state == "requested" else at + delay
        if state == "expired":
            answered_at = at + timedelta(days=14)
        overdue = state == "expired" or delay > timedelta(days=5) or rng.random() < 0.05
        population.referrals.append(
            referral(
                who,
                requester=here,
                receiver=receiver,
                state=state,
                requested_at=at,
                answered_at=answered_at,
                escalations=rng.randint(1, 3) if overdue else 0,
            )
        )
        if state not in ("accepted", "completed") or answered_at is None:
            continue
        population.handovers.append(
            handover(who, sender=here, recipient=receiver, handed_over_at=answered_at)
        )
        _before_assessing(rng, population, mine, who=who, receiver=receiver, at=answered_at)
        if rng.random() < 0.2:
            team = rng.choice([org for org in ORGANISATIONS if org not in (here, receiver)])
            population.handovers.append(
                handover(
                    who,
                    sender=receiver,
                    recipient=team,
                    trigger="care-team-joined",
                    handed_over_at=answered_at + timedelta(days=2),
                )
            )
        here, at = receiver, answered_at
    if rng.random() < 0.75:
        population.episodes.append(
            episode(
                who,
                organisation=here,
                outcome=_pick(rng, _OUTCOMES),
                closed_at=at + _seconds(rng, timedelta(days=1), timedelta(days=60)),
            )
        )


def _before_assessing(
    rng: random.Random,
    population: Population,
    mine: list[Row],
    *,
    who: str,
    receiver: str,
    at: datetime,
) -> None:
    """On acceptance: a hint of another organisation's assessment, heeded or not."""
    elsewhere = [
        row for row in mine if row["organisation"] != receiver and row["recorded_at"] <= at
    ]
    if elsewhere:
        kind = rng.choice(elsewhere)["kind"]
        population.hints.append(hint(who, recipient=receiver, kind=kind, sent_at=at))
        if rng.random() < 0.4:
            later = at + _seconds(rng, timedelta(0), timedelta(days=40))
            _assess(population, mine, who=who, organisation=receiver, kind=kind, at=later)
    elif rng.random() < 0.5:
        _assess(
            population,
            mine,
            who=who,
            organisation=receiver,
            kind=rng.choice(KINDS),
            at=at + timedelta(days=1),
        )


def _assess(
    population: Population, mine: list[Row], *, who: str, organisation: str, kind: str, at: datetime
) -> None:
    """Record an assessment; flag it when another organisation did the same one recently."""
    earlier = [
        row
        for row in mine
        if row["kind"] == kind
        and row["organisation"] != organisation
        and timedelta(0) <= at - row["recorded_at"] <= _DUPLICATE_WINDOW
    ]
    duplicate_of = earlier[-1]["event_id"] if earlier else None
    row = assessment(
        who, organisation=organisation, kind=kind, recorded_at=at, duplicate_of=duplicate_of
    )
    mine.append(row)
    population.assessments.append(row)
    if duplicate_of is not None:
        population.hints.append(
            hint(who, recipient=organisation, kind=kind, moment="after-assessing", sent_at=at)
        )
