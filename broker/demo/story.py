"""The whole story ``saattaja demo`` tells: the journey, the other clients, the indicators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from broker.demo.journey import JourneyStep, journey_steps
from broker.demo.narration import Narrator
from broker.demo.player import JourneyPlayer, StepOutcome
from broker.demo.population import synthetic_population
from broker.demo.stack import DemoStack
from broker.indicators import (
    PathwayIndicators,
    ReportingPeriod,
    compute_indicators,
    indicators_table,
)
from broker.pathway import pathway_rules
from schemas.fhir import FINNISH_TIME

__all__ = ["Told", "tell"]


@dataclass(slots=True)
class Told:
    """What the story came to, as far as it got."""

    steps: list[StepOutcome] = field(default_factory=list)
    indicators: PathwayIndicators | None = None
    """None when stopped before the end."""


async def tell(
    stack: DemoStack,
    narrator: Narrator,
    *,
    start: datetime,
    stopped: Callable[[], bool] = lambda: False,
) -> Told:
    """Play the journey step by step, then the other clients' paths, then the indicators.

    ``start`` is the moment the journey leads up to; ``stopped`` is asked between the
    steps, so that Ctrl-C ends the story where it is.
    """
    referrals = pathway_rules(stack.settings).clock
    player = JourneyPlayer(stack)
    told = Told()
    steps = journey_steps(stack.registry, start=start, referrals=referrals)
    for number, step in enumerate(steps, start=1):
        if stopped():
            return told
        outcome = await player.play(step)
        narrator.step(number, outcome)
        told.steps.append(outcome)
    if stopped():
        return told
    population = synthetic_population(
        stack.registry, since=start, until=stack.clock(), referrals=referrals
    )
    rejected = await player.publish(population.waves)
    narrator.population(population, rejected)
    assert stack.engine is not None  # noqa: S101 - set by stack.start()
    first = min(s.event.occurred_at for s in steps if isinstance(s, JourneyStep))
    first_day, last_day = (
        moment.astimezone(FINNISH_TIME).date() for moment in (first, stack.clock())
    )
    period = ReportingPeriod.of_days(first_day, last_day, FINNISH_TIME)
    told.indicators = await compute_indicators(
        stack.engine,
        since=period.since,
        until=period.until,
        organisations={organisation.oid: organisation.id for organisation in stack.registry},
    )
    narrator.indicators(
        indicators_table(told.indicators, first_day, last_day), told.indicators.threshold
    )
    return told
