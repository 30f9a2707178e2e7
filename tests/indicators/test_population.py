"""Every indicator over a generated population, against a computation written here from the rows.

The reference works on the rows in Python, the way a person would count by hand; only the
suppression rule is shared, as the thing being specified.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.indicators import (
    CategoryCount,
    Count,
    Measure,
    PathwayIndicators,
    compute_indicators,
)
from tests.indicators.population import (
    SMALL_OUTCOME,
    SMALL_PAIR,
    Population,
    generate,
)
from tests.indicators.rows import IDS, SINCE, UNTIL, Row, insert

THRESHOLD: Final = 5
_ACCEPTED: Final = ("accepted", "completed")


@pytest.fixture(scope="module")
def population() -> Population:
    """A few thousand client paths, the same on every run."""
    return generate(clients=3000, seed=20250301)


@pytest.fixture(scope="module")
async def indicators(module_engine: AsyncEngine, population: Population) -> PathwayIndicators:
    """The indicators of the period, computed once per database from the population."""
    await insert(
        module_engine,
        referrals=population.referrals,
        assessments=population.assessments,
        hints=population.hints,
        handovers=population.handovers,
        episodes=population.episodes,
    )
    return await compute_indicators(module_engine, since=SINCE, until=UNTIL, organisations=IDS)


@dataclass(frozen=True)
class Expected:
    """A figure worked out by hand, with the clients it rests on."""

    value: float | None
    clients: int


def _small(clients: int) -> bool:
    return 0 < clients < THRESHOLD


def _in_period(moment: datetime) -> bool:
    return SINCE <= moment < UNTIL


def _check(figure: Count | Measure, expected: Expected, *also_resting_on: int) -> None:
    if any(_small(clients) for clients in (expected.clients, *also_resting_on)):
        assert figure.suppressed
        assert figure.value is None
        return
    assert not figure.suppressed
    if expected.value is None:
        assert figure.value is None
    else:
        assert figure.value == pytest.approx(expected.value, rel=1e-9, abs=1e-9)


def _clients(rows: Iterable[Row]) -> int:
    return len({row["client"] for row in rows})


def _median_and_p90(values: Sequence[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    if len(values) == 1:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=10, method="inclusive")[8]


def _whole_hours(hours: float | None) -> float | None:
    return None if hours is None else float(round(hours))


def _check_table_keeps_hidden_cells_hidden(total: Count, rows: Sequence[CategoryCount]) -> None:
    """With the total shown, no hidden cell can be had back by subtraction."""
    hidden = [row for row in rows if row.count.suppressed]
    if not total.suppressed:
        assert len(hidden) != 1


def test_referral_pairs_match_a_count_by_hand(
    indicators: PathwayIndicators, population: Population
) -> None:
    pairs: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in population.referrals:
        if _in_period(row["requested_at"]):
            pairs[row["requester"], row["receiver"]].append(row)
    shown = {(pair.requester.oid, pair.receiver.oid): pair for pair in indicators.referral_pairs}
    assert set(shown) == set(pairs)
    assert shown[SMALL_PAIR].suppressed
    for key, rows in pairs.items():
        pair = shown[key]
        assert (pair.requester.id, pair.receiver.id) == (IDS[key[0]], IDS[key[1]])
        everyone = _clients(rows)
        assert pair.suppressed == _small(everyone)
        if pair.suppressed:
            continue
        _check(pair.referrals, Expected(len(rows), everyone))
        _check(pair.clients, Expected(everyone, everyone))
        accepted = [row for row in rows if row["state"] in _ACCEPTED]
        hours = sorted(
            (row["answered_at"] - row["requested_at"]).total_seconds() / 3600 for row in accepted
        )
        median, p90 = (_whole_hours(hours) for hours in _median_and_p90(hours))
        _check(pair.acceptance_median_hours, Expected(median, _clients(accepted)))
        _check(pair.acceptance_p90_hours, Expected(p90, _clients(accepted)))
        answered = [row for row in rows if row["state"] != "requested"]
        rejected = [row for row in rows if row["state"] == "rejected"]
        _check(
            pair.rejection_rate,
            Expected(len(rejected) / len(answered) if answered else None, _clients(answered)),
            _clients(rejected),
            _clients(row for row in answered if row not in rejected),
        )
        overdue = [row for row in rows if row["escalations"] > 0]
        _check(
            pair.overdue_rate,
            Expected(len(overdue) / len(rows), _clients(overdue)),
            _clients(row for row in rows if row["escalations"] == 0),
        )
        expired = [row for row in rows if row["state"] == "expired"]
        _check(
            pair.expiry_rate,
            Expected(len(expired) / len(rows), _clients(expired)),
            _clients(row for row in rows if row["state"] != "expired"),
        )


def test_client_paths_match_a_count_by_hand(
    indicators: PathwayIndicators, population: Population
) -> None:
    accepted: Counter[str] = Counter()
    for row in population.referrals:
        if _in_period(row["requested_at"]):
            accepted[row["client"]] += row["state"] in _ACCEPTED
    per_client = sorted(float(number) for number in accepted.values())
    median, p90 = _median_and_p90(per_client)
    paths = indicators.client_paths
    _check(paths.clients, Expected(len(per_client), len(per_client)))
    _check(paths.accepted_referrals_median, Expected(median, len(per_client)))
    _check(paths.accepted_referrals_p90, Expected(p90, len(per_client)))
    handovers = [row for row in population.handovers if _in_period(row["handed_over_at"])]
    _check(paths.handovers, Expected(len(handovers), _clients(handovers)))


def test_flagged_duplicates_by_kind_match_a_count_by_hand(
    indicators: PathwayIndicators, population: Population
) -> None:
    recorded = [row for row in population.assessments if _in_period(row["recorded_at"])]
    flagged = [row for row in recorded if row["duplicate_of"] is not None]
    duplicates = indicators.duplicates
    _check(duplicates.flagged, Expected(len(flagged), _clients(flagged)))
    assert [row.name for row in duplicates.flagged_by_kind] == sorted(
        {row["kind"] for row in recorded}
    )
    for row in duplicates.flagged_by_kind:
        of_kind = [assessment for assessment in flagged if assessment["kind"] == row.name]
        if not row.count.suppressed or _small(_clients(of_kind)):
            _check(row.count, Expected(len(of_kind), _clients(of_kind)))
    _check_table_keeps_hidden_cells_hidden(duplicates.flagged, duplicates.flagged_by_kind)


def test_hints_by_moment_match_a_count_by_hand(
    indicators: PathwayIndicators, population: Population
) -> None:
    sent = [row for row in population.hints if _in_period(row["sent_at"])]
    duplicates = indicators.duplicates
    _check(duplicates.hints, Expected(len(sent), _clients(sent)))
    assert [row.name for row in duplicates.hints_by_moment] == [
        "before-assessing",
        "after-assessing",
    ]
    for row in duplicates.hints_by_moment:
        at_moment = [hint for hint in sent if hint["moment"] == row.name]
        _check(row.count, Expected(len(at_moment), _clients(at_moment)))


def test_avoided_duplicates_match_a_count_by_hand(
    indicators: PathwayIndicators, population: Population
) -> None:
    assessed: dict[tuple[str, str, str], list[datetime]] = defaultdict(list)
    for row in population.assessments:
        assessed[row["client"], row["organisation"], row["kind"]].append(row["recorded_at"])
    avoided = [
        hint
        for hint in population.hints
        if hint["moment"] == "before-assessing"
        and _in_period(hint["sent_at"])
        and not any(
            hint["sent_at"] <= recorded_at < UNTIL
            for recorded_at in assessed[hint["client"], hint["recipient"], hint["kind"]]
        )
    ]
    assert len(avoided) > 0
    _check(indicators.duplicates.avoided, Expected(len(avoided), _clients(avoided)))


def test_episode_outcomes_match_a_count_by_hand(
    indicators: PathwayIndicators, population: Population
) -> None:
    closed = [row for row in population.episodes if _in_period(row["closed_at"])]
    outcomes = indicators.outcomes
    _check(outcomes.clients, Expected(_clients(closed), _clients(closed)))
    assert [row.name for row in outcomes.by_outcome] == [
        "work",
        "education",
        "rehabilitation",
        "pension",
        "other-service",
        "moved",
        "unknown",
    ]
    by_name = {row.name: row.count for row in outcomes.by_outcome}
    assert by_name[SMALL_OUTCOME].suppressed
    hidden_by_rule = [
        name
        for name, figure in by_name.items()
        if figure.suppressed
        and not _small(_clients(row for row in closed if row["outcome"] == name))
    ]
    # The one complementary cell is the smallest of those shown otherwise.
    assert len(hidden_by_rule) == 1
    shown_sizes = {
        name: _clients(row for row in closed if row["outcome"] == name)
        for name, figure in by_name.items()
        if not figure.suppressed or name in hidden_by_rule
    }
    assert shown_sizes[hidden_by_rule[0]] == min(shown_sizes.values())
    for name, figure in by_name.items():
        if name not in hidden_by_rule:
            of_outcome = _clients(row for row in closed if row["outcome"] == name)
            _check(figure, Expected(of_outcome, of_outcome))
    _check_table_keeps_hidden_cells_hidden(outcomes.clients, outcomes.by_outcome)
