"""compute_indicators on small, hand-made data: suppression, zeros, boundaries, definitions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.indicators import (
    Count,
    InvalidPeriodError,
    InvalidThresholdError,
    Measure,
    PathwayIndicators,
    compute_indicators,
)
from consent.database import create_database_engine
from tests.indicators.rows import (
    IDS,
    INSIDE,
    JARJESTO,
    KELA,
    SINCE,
    SOTE,
    TYP,
    UNTIL,
    assessment,
    client,
    episode,
    handover,
    hint,
    insert,
    referral,
)

HIDDEN: Final = Count(value=None, suppressed=True)
HIDDEN_MEASURE: Final = Measure(value=None, suppressed=True)
MICROSECOND: Final = timedelta(microseconds=1)


async def compute(engine: AsyncEngine, threshold: int = 5) -> PathwayIndicators:
    return await compute_indicators(
        engine, since=SINCE, until=UNTIL, organisations=IDS, threshold=threshold
    )


def outcome_counts(indicators: PathwayIndicators) -> dict[str, Count]:
    return {row.name: row.count for row in indicators.outcomes.by_outcome}


async def test_a_pair_resting_on_four_clients_hides_every_figure(clean_engine: AsyncEngine) -> None:
    await insert(
        clean_engine, referrals=[referral(client(n % 4)) for n in range(12)]
    )  # 12 referrals, but about four people
    (pair,) = (await compute(clean_engine)).referral_pairs
    assert pair.suppressed
    assert (pair.requester.id, pair.receiver.id) == ("sote", "kela")
    assert pair.referrals == HIDDEN
    assert pair.clients == HIDDEN
    assert pair.acceptance_median_hours == HIDDEN_MEASURE
    assert pair.rejection_rate == HIDDEN_MEASURE


async def test_a_pair_resting_on_five_clients_shows_its_figures(clean_engine: AsyncEngine) -> None:
    await insert(
        clean_engine,
        referrals=[
            referral(client(n), answered_at=INSIDE + timedelta(hours=10 * (n + 1)))
            for n in range(5)
        ],
    )
    (pair,) = (await compute(clean_engine)).referral_pairs
    assert not pair.suppressed
    assert pair.referrals == Count(value=5)
    assert pair.clients == Count(value=5)
    assert pair.acceptance_median_hours == Measure(value=30.0)
    assert pair.acceptance_p90_hours.value == pytest.approx(46.0)
    assert pair.rejection_rate == Measure(value=0.0)
    assert pair.overdue_rate == Measure(value=0.0)
    assert pair.expiry_rate == Measure(value=0.0)


async def test_a_rate_whose_count_rests_on_few_clients_is_hidden(
    clean_engine: AsyncEngine,
) -> None:
    rejected = [referral(client(n), state="rejected") for n in range(2)]
    accepted = [referral(client(n), escalations=n % 2) for n in range(2, 12)]
    await insert(clean_engine, referrals=rejected + accepted)
    (pair,) = (await compute(clean_engine)).referral_pairs
    assert pair.rejection_rate == HIDDEN_MEASURE
    assert pair.overdue_rate == Measure(value=5 / 12)
    assert pair.expiry_rate == Measure(value=0.0)


async def test_a_rejection_rate_whose_complement_rests_on_few_clients_is_hidden(
    clean_engine: AsyncEngine,
) -> None:
    # 5 of 6 rejected would say that exactly one was accepted.
    rejected = [referral(client(n), state="rejected") for n in range(5)]
    await insert(clean_engine, referrals=[*rejected, referral(client(5))])
    (pair,) = (await compute(clean_engine)).referral_pairs
    assert pair.referrals == Count(value=6)
    assert pair.rejection_rate == HIDDEN_MEASURE


async def test_an_overdue_rate_whose_complement_rests_on_few_clients_is_hidden(
    clean_engine: AsyncEngine,
) -> None:
    overdue = [referral(client(n), escalations=1) for n in range(6)]
    await insert(clean_engine, referrals=[*overdue, referral(client(6))])
    (pair,) = (await compute(clean_engine)).referral_pairs
    assert pair.overdue_rate == HIDDEN_MEASURE


async def test_an_expiry_rate_whose_complement_rests_on_few_clients_is_hidden(
    clean_engine: AsyncEngine,
) -> None:
    expired = [referral(client(n), state="expired") for n in range(6)]
    await insert(clean_engine, referrals=[*expired, referral(client(6))])
    (pair,) = (await compute(clean_engine)).referral_pairs
    assert pair.expiry_rate == HIDDEN_MEASURE


async def test_a_rate_of_all_or_nothing_is_shown(clean_engine: AsyncEngine) -> None:
    await insert(clean_engine, referrals=[referral(client(n), state="expired") for n in range(6)])
    (pair,) = (await compute(clean_engine)).referral_pairs
    assert pair.expiry_rate == Measure(value=1.0)
    assert pair.overdue_rate == Measure(value=0.0)


async def test_acceptance_times_are_given_to_the_whole_hour(clean_engine: AsyncEngine) -> None:
    waited = timedelta(hours=47, minutes=21, seconds=10)
    await insert(
        clean_engine,
        referrals=[referral(client(n), answered_at=INSIDE + waited) for n in range(5)],
    )
    (pair,) = (await compute(clean_engine)).referral_pairs
    assert pair.acceptance_median_hours == Measure(value=47.0)
    assert pair.acceptance_p90_hours == Measure(value=47.0)


async def test_without_accepted_referrals_acceptance_times_are_empty_not_hidden(
    clean_engine: AsyncEngine,
) -> None:
    await insert(clean_engine, referrals=[referral(client(n), state="rejected") for n in range(6)])
    (pair,) = (await compute(clean_engine)).referral_pairs
    assert pair.acceptance_median_hours == Measure(value=None)
    assert pair.rejection_rate == Measure(value=1.0)


async def test_referrals_still_open_count_in_all_but_not_in_answered(
    clean_engine: AsyncEngine,
) -> None:
    open_ones = [referral(client(n), state="requested") for n in range(5)]
    rejected = [referral(client(n), state="rejected") for n in range(5, 10)]
    expired = [referral(client(n), state="expired", escalations=2) for n in range(10, 15)]
    await insert(clean_engine, referrals=open_ones + rejected + expired)
    (pair,) = (await compute(clean_engine)).referral_pairs
    assert pair.rejection_rate == Measure(value=0.5)
    assert pair.expiry_rate.value == pytest.approx(1 / 3)
    assert pair.overdue_rate.value == pytest.approx(1 / 3)


async def test_an_organisation_missing_from_the_mapping_shows_as_its_oid(
    clean_engine: AsyncEngine,
) -> None:
    await insert(clean_engine, referrals=[referral(client(n), receiver=TYP) for n in range(5)])
    indicators = await compute_indicators(
        clean_engine, since=SINCE, until=UNTIL, organisations={SOTE: "sote"}
    )
    (pair,) = indicators.referral_pairs
    assert (pair.requester.id, pair.receiver.id, pair.receiver.oid) == ("sote", TYP, TYP)


async def test_accepted_referrals_per_client_count_clients_with_none_accepted_as_zero(
    clean_engine: AsyncEngine,
) -> None:
    twice = [referral(client(n)) for n in range(3) for _time in range(2)]
    never = [referral(client(n), state="rejected") for n in range(3, 6)]
    await insert(clean_engine, referrals=twice + never)
    paths = (await compute(clean_engine)).client_paths
    assert paths.clients == Count(value=6)
    assert paths.accepted_referrals_median == Measure(value=1.0)


async def test_handovers_resting_on_few_clients_are_hidden(clean_engine: AsyncEngine) -> None:
    await insert(clean_engine, handovers=[handover(client(n % 2)) for n in range(9)])
    assert (await compute(clean_engine)).client_paths.handovers == HIDDEN


async def test_an_outcome_nobody_reached_shows_zero(clean_engine: AsyncEngine) -> None:
    await insert(clean_engine, episodes=[episode(client(n)) for n in range(10)])
    counts = outcome_counts(await compute(clean_engine))
    assert counts == {
        "work": Count(value=10),
        "education": Count(value=0),
        "rehabilitation": Count(value=0),
        "pension": Count(value=0),
        "other-service": Count(value=0),
        "moved": Count(value=0),
        "unknown": Count(value=0),
    }


async def test_one_small_outcome_hides_the_next_smallest_non_zero_one_too(
    clean_engine: AsyncEngine,
) -> None:
    sizes = {"work": 20, "pension": 7, "education": 6, "moved": 2}
    await insert(
        clean_engine,
        episodes=[
            episode(client(f"{outcome}-{n}"), outcome=outcome)
            for outcome, size in sizes.items()
            for n in range(size)
        ],
    )
    indicators = await compute(clean_engine)
    counts = outcome_counts(indicators)
    assert indicators.outcomes.clients == Count(value=35)
    assert counts["moved"] == HIDDEN
    assert counts["education"] == HIDDEN
    assert counts["pension"] == Count(value=7)
    assert counts["work"] == Count(value=20)
    assert counts["unknown"] == Count(value=0)


async def test_a_small_total_hides_itself_and_every_non_zero_outcome(
    clean_engine: AsyncEngine,
) -> None:
    await insert(
        clean_engine,
        episodes=[episode(client(1)), episode(client(2)), episode(client(3), outcome="moved")],
    )
    indicators = await compute(clean_engine)
    counts = outcome_counts(indicators)
    assert indicators.outcomes.clients == HIDDEN
    assert counts["work"] == HIDDEN
    assert counts["moved"] == HIDDEN
    assert counts["pension"] == Count(value=0)


async def test_flagged_duplicates_list_every_kind_assessed_with_zero_when_none_repeated(
    clean_engine: AsyncEngine,
) -> None:
    first = [assessment(client(n)) for n in range(6)]
    again = [
        assessment(client(n), organisation=KELA, duplicate_of=row["event_id"])
        for n, row in enumerate(first)
    ]
    other = [assessment(client(n), kind="tyokyvyn-arvio") for n in range(6)]
    await insert(clean_engine, assessments=first + again + other)
    duplicates = (await compute(clean_engine)).duplicates
    assert duplicates.flagged == Count(value=6)
    assert [(row.name, row.count) for row in duplicates.flagged_by_kind] == [
        ("kykyviisari", Count(value=6)),
        ("tyokyvyn-arvio", Count(value=0)),
    ]


@pytest.mark.parametrize(
    ("moment", "counted"),
    [
        (SINCE - MICROSECOND, False),
        (SINCE, True),
        (UNTIL - MICROSECOND, True),
        (UNTIL, False),
    ],
    ids=["just-before", "at-start", "just-before-end", "at-end"],
)
async def test_the_period_includes_its_start_and_excludes_its_end(
    clean_engine: AsyncEngine, moment: datetime, counted: bool
) -> None:
    who = client("boundary")
    await insert(
        clean_engine,
        referrals=[referral(who, requested_at=moment)],
        assessments=[assessment(who, recorded_at=moment, duplicate_of="earlier")],
        hints=[hint(who, moment="after-assessing", sent_at=moment)],
        handovers=[handover(who, handed_over_at=moment)],
        episodes=[episode(who, closed_at=moment)],
    )
    indicators = await compute(clean_engine, threshold=1)
    expected = Count(value=1 if counted else 0)
    assert len(indicators.referral_pairs) == (1 if counted else 0)
    assert indicators.client_paths.handovers == expected
    assert indicators.duplicates.flagged == expected
    assert indicators.duplicates.hints == expected
    assert indicators.outcomes.clients == expected


async def test_a_hint_followed_by_no_assessment_of_its_kind_is_an_avoided_duplicate(
    clean_engine: AsyncEngine,
) -> None:
    who = client("hinted")
    await insert(
        clean_engine,
        hints=[hint(who, recipient=KELA, kind="kykyviisari", sent_at=INSIDE)],
        assessments=[
            # None of these is the hinted organisation assessing that kind after the hint.
            assessment(who, organisation=KELA, recorded_at=INSIDE - timedelta(days=1)),
            assessment(who, organisation=JARJESTO, recorded_at=INSIDE + timedelta(days=1)),
            assessment(who, organisation=KELA, kind="tyokyvyn-arvio", recorded_at=INSIDE),
            assessment(who, organisation=KELA, recorded_at=UNTIL),
        ],
    )
    assert (await compute(clean_engine, threshold=1)).duplicates.avoided == Count(value=1)


async def test_a_hint_the_recipient_assessed_after_anyway_is_not_avoided(
    clean_engine: AsyncEngine,
) -> None:
    who = client("hinted")
    await insert(
        clean_engine,
        hints=[hint(who, recipient=KELA, sent_at=INSIDE)],
        assessments=[assessment(who, organisation=KELA, recorded_at=UNTIL - MICROSECOND)],
    )
    assert (await compute(clean_engine, threshold=1)).duplicates.avoided == Count(value=0)


async def test_after_assessing_hints_are_never_avoided_duplicates(
    clean_engine: AsyncEngine,
) -> None:
    await insert(clean_engine, hints=[hint(client("late"), moment="after-assessing")])
    assert (await compute(clean_engine, threshold=1)).duplicates.avoided == Count(value=0)


async def test_avoided_duplicates_are_hidden_when_the_rest_of_the_hints_would_give_them_away(
    clean_engine: AsyncEngine,
) -> None:
    hints = [hint(client(n), sent_at=INSIDE) for n in range(10)]
    assessed_anyway = [
        assessment(client(n), organisation=KELA, recorded_at=INSIDE + timedelta(days=1))
        for n in range(2)
    ]
    await insert(clean_engine, hints=hints, assessments=assessed_anyway)
    duplicates = (await compute(clean_engine)).duplicates
    # Eight avoided rest on enough clients, but 10 - 8 would single out the two assessed anyway.
    assert duplicates.hints_by_moment[0].count == Count(value=10)
    assert duplicates.avoided == HIDDEN


async def test_a_period_without_a_time_zone_is_refused() -> None:
    engine = create_database_engine("sqlite+aiosqlite:///:memory:")
    with pytest.raises(InvalidPeriodError, match="has no time zone"):
        await compute_indicators(engine, since=datetime(2025, 3, 1), until=UNTIL)


async def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    engine = create_database_engine("sqlite+aiosqlite:///:memory:")
    with pytest.raises(InvalidPeriodError, match="since must come before until"):
        await compute_indicators(engine, since=UNTIL, until=SINCE)


async def test_a_threshold_below_one_is_refused() -> None:
    engine = create_database_engine("sqlite+aiosqlite:///:memory:")
    with pytest.raises(InvalidThresholdError, match="give at least 1"):
        await compute_indicators(engine, since=SINCE, until=UNTIL, threshold=0)
