"""``compute_indicators``: the pathway's outcome and flow indicators for a period."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from broker.indicators.errors import InvalidThresholdError
from broker.indicators.figures import Count, Measure
from broker.indicators.percentiles import percentile
from broker.indicators.period import ReportingPeriod
from broker.indicators.queries import (
    PairTallies,
    read_accepted_per_client,
    read_avoided_duplicates,
    read_flagged_duplicates,
    read_handovers,
    read_hints,
    read_outcomes,
    read_referral_pairs,
)
from broker.indicators.results import (
    CategoryCount,
    ClientPaths,
    DuplicateAssessments,
    EpisodeOutcomes,
    OrganisationRef,
    PathwayIndicators,
    ReferralPair,
)
from broker.indicators.suppression import (
    SUPPRESSION_THRESHOLD,
    Tally,
    count,
    hidden_cells,
    is_small,
    measure,
)
from consent.database import translate_database_errors
from schemas import EpisodeOutcome, HintMoment

__all__ = ["compute_indicators"]

_HIDDEN_COUNT = Count(value=None, suppressed=True)
_HIDDEN_MEASURE = Measure(value=None, suppressed=True)
_SECONDS_PER_HOUR = 3600.0


async def compute_indicators(
    engine: AsyncEngine,
    *,
    since: datetime,
    until: datetime,
    organisations: Mapping[str, str] | None = None,
    threshold: int = SUPPRESSION_THRESHOLD,
) -> PathwayIndicators:
    """The pathway indicators of [since, until), every cell on 1 to threshold-1 clients hidden.

    ``organisations`` maps OIDs to the ids shown for them (the registry's); an OID it lacks
    is shown as itself.

    Referrals are those requested in the period, with what has become of them when the
    indicators are computed: one requested on the last day may still be open. Handover
    packages, assessments, hints and closed episodes are those of the period. Referrals,
    assessments and closed episodes are dated by the times their senders gave, so one dated
    in the period that reaches the router after it ended counts in it from then on: a period
    computed twice differs only by what was stored in between.

    An avoided duplicate is a hint sent in the period to an organisation about to assess
    (moment before-assessing) after which that organisation recorded no assessment of the
    hint's kind for the client, from the moment the hint was sent until the end of the
    period. It counts hints, so a second hint about the same assessment counts again.
    """
    period = ReportingPeriod(since, until)
    if threshold < 1:
        raise InvalidThresholdError(
            f"suppression threshold {threshold}: give at least 1 (1 hides nothing; "
            f"{SUPPRESSION_THRESHOLD} is the default)"
        )
    names = organisations or {}
    async with (
        translate_database_errors("computing the pathway indicators"),
        engine.connect() as connection,
    ):
        await _one_snapshot(connection)
        pairs = await read_referral_pairs(connection, period)
        accepted_per_client = await read_accepted_per_client(connection, period)
        handovers = await read_handovers(connection, period)
        flagged, flagged_total = await read_flagged_duplicates(connection, period)
        hints, hints_total = await read_hints(connection, period)
        avoided, followed = await read_avoided_duplicates(connection, period)
        outcomes, outcomes_total = await read_outcomes(connection, period)

    hints_total_count, hints_by_moment = _table(
        [moment.value for moment in HintMoment], hints, hints_total, threshold
    )
    before_assessing = next(
        row.count for row in hints_by_moment if row.name == HintMoment.BEFORE_ASSESSING.value
    )
    # The before-assessing hints are shown, and each was either avoided or followed by an
    # assessment: hiding the avoided count alone would leave it to subtraction.
    avoided_hidden, _followed_hidden = hidden_cells(
        [avoided, followed], threshold, total_shown=not before_assessing.suppressed
    )
    flagged_count, flagged_by_kind = _table([], flagged, flagged_total, threshold)
    outcome_clients, by_outcome = _table(
        [outcome.value for outcome in EpisodeOutcome], outcomes, outcomes_total, threshold
    )
    return PathwayIndicators(
        since=period.since,
        until=period.until,
        threshold=threshold,
        referral_pairs=tuple(
            sorted(
                (_pair(tallies, names, threshold) for tallies in pairs),
                key=lambda pair: (pair.requester.id, pair.receiver.id),
            )
        ),
        client_paths=_client_paths(accepted_per_client, handovers, threshold),
        duplicates=DuplicateAssessments(
            flagged=flagged_count,
            flagged_by_kind=flagged_by_kind,
            hints=hints_total_count,
            hints_by_moment=hints_by_moment,
            avoided=count(avoided, threshold, hidden=avoided_hidden),
        ),
        outcomes=EpisodeOutcomes(clients=outcome_clients, by_outcome=by_outcome),
    )


async def _one_snapshot(connection: AsyncConnection) -> None:
    # On PostgreSQL every query would otherwise see the router's latest commits, and the
    # sections of one report could disagree. (A SQLite reader sees one writer's commits
    # either way; its reads here are fast enough for that not to matter.)
    if connection.dialect.name == "postgresql":
        await connection.execution_options(isolation_level="REPEATABLE READ")
        await connection.begin()


def _organisation(oid: str, names: Mapping[str, str]) -> OrganisationRef:
    return OrganisationRef(oid=oid, id=names.get(oid, oid))


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _pair(tallies: PairTallies, names: Mapping[str, str], threshold: int) -> ReferralPair:
    requester = _organisation(tallies.requester, names)
    receiver = _organisation(tallies.receiver, names)
    if is_small(tallies.referrals.clients, threshold):
        return ReferralPair(
            requester=requester,
            receiver=receiver,
            suppressed=True,
            referrals=_HIDDEN_COUNT,
            clients=_HIDDEN_COUNT,
            acceptance_median_hours=_HIDDEN_MEASURE,
            acceptance_p90_hours=_HIDDEN_MEASURE,
            rejection_rate=_HIDDEN_MEASURE,
            overdue_rate=_HIDDEN_MEASURE,
            expiry_rate=_HIDDEN_MEASURE,
        )
    hours = [
        (seconds / _SECONDS_PER_HOUR, number) for seconds, number in tallies.acceptance_seconds
    ]
    accepted_clients = tallies.accepted.clients
    # A rate shows its count, its denominator and their difference to anyone who knows the
    # row's referrals, so any of the three resting on few clients hides it.
    return ReferralPair(
        requester=requester,
        receiver=receiver,
        suppressed=False,
        referrals=Count(value=tallies.referrals.value),
        clients=Count(value=tallies.referrals.clients),
        acceptance_median_hours=measure(
            _whole_hours(percentile(hours, 0.5)), accepted_clients, threshold=threshold
        ),
        acceptance_p90_hours=measure(
            _whole_hours(percentile(hours, 0.9)), accepted_clients, threshold=threshold
        ),
        rejection_rate=measure(
            _rate(tallies.rejected.value, tallies.answered.value),
            tallies.answered.clients,
            tallies.rejected.clients,
            tallies.answered_not_rejected.clients,
            threshold=threshold,
        ),
        overdue_rate=measure(
            _rate(tallies.overdue.value, tallies.referrals.value),
            tallies.overdue.clients,
            tallies.not_overdue.clients,
            threshold=threshold,
        ),
        expiry_rate=measure(
            _rate(tallies.expired.value, tallies.referrals.value),
            tallies.expired.clients,
            tallies.not_expired.clients,
            threshold=threshold,
        ),
    )


def _whole_hours(hours: float | None) -> float | None:
    # With five accepted clients the median is one client's own waiting time: to the
    # second it may be recognised by whoever knows when that client was referred.
    return None if hours is None else float(round(hours))


def _client_paths(
    accepted_per_client: Sequence[tuple[float, int]], handovers: Tally, threshold: int
) -> ClientPaths:
    clients = sum(number for _accepted, number in accepted_per_client)
    return ClientPaths(
        clients=count(Tally(value=clients, clients=clients), threshold),
        accepted_referrals_median=measure(
            percentile(accepted_per_client, 0.5), clients, threshold=threshold
        ),
        accepted_referrals_p90=measure(
            percentile(accepted_per_client, 0.9), clients, threshold=threshold
        ),
        handovers=count(handovers, threshold),
    )


def _table(
    listed: Sequence[str], tallies: Mapping[str, Tally], total: Tally, threshold: int
) -> tuple[Count, tuple[CategoryCount, ...]]:
    """A table's total and rows: ``listed`` first, zero or not, then any other in the data."""
    names = [*listed, *sorted(set(tallies) - set(listed))]
    cells = [tallies.get(name, Tally(value=0, clients=0)) for name in names]
    total_count = count(total, threshold)
    hidden = hidden_cells(cells, threshold, total_shown=not total_count.suppressed)
    return total_count, tuple(
        CategoryCount(name=name, count=count(cell, threshold, hidden=hide))
        for name, cell, hide in zip(names, cells, hidden, strict=True)
    )
