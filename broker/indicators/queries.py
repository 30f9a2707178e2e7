"""The SQL behind the indicators: each query hands back counts grouped by category, never rows.

Distinct clients are counted in the database, so that no pseudonym leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from broker.indicators.period import ReportingPeriod
from broker.indicators.suppression import Tally
from broker.pathway.tables import (
    pathway_assessments,
    pathway_episodes,
    pathway_handovers,
    pathway_hints,
    pathway_referrals,
)
from schemas import HintMoment

__all__ = [
    "PairTallies",
    "read_accepted_per_client",
    "read_avoided_duplicates",
    "read_flagged_duplicates",
    "read_handovers",
    "read_hints",
    "read_outcomes",
    "read_referral_pairs",
]

_ACCEPTED = ("accepted", "completed")
_REQUESTED = "requested"

_referrals = pathway_referrals.c


@dataclass(frozen=True, slots=True)
class PairTallies:
    """Referrals from one organisation to another, counted by what became of them."""

    requester: str
    receiver: str
    referrals: Tally
    accepted: Tally
    answered: Tally
    rejected: Tally
    expired: Tally
    overdue: Tally
    answered_not_rejected: Tally
    not_expired: Tally
    not_overdue: Tally
    """The complements of the rates' counts within their denominators: a rate gives its
    complement away as surely as its count."""
    acceptance_seconds: tuple[tuple[float, int], ...]
    """Seconds from request to acceptance, each with how many accepted referrals took it."""


def _in(column: sa.ColumnElement[Any], period: ReportingPeriod) -> sa.ColumnElement[bool]:
    return sa.and_(column >= period.since, column < period.until)


def _tally_columns(name: str, condition: sa.ColumnElement[bool]) -> list[sa.Label[Any]]:
    return [
        sa.func.sum(sa.case((condition, 1), else_=0)).label(name),
        sa.func.count(sa.distinct(sa.case((condition, _referrals.client)))).label(
            f"{name}_clients"
        ),
    ]


def _tally(row: RowMapping, name: str) -> Tally:
    return Tally(value=int(row[name] or 0), clients=int(row[f"{name}_clients"] or 0))


def _seconds_between(
    dialect: str, start: sa.ColumnElement[Any], end: sa.ColumnElement[Any]
) -> sa.ColumnElement[Any]:
    # Neither database subtracts timestamps into a number the other understands: SQLite
    # keeps them as text that julianday() reads, PostgreSQL gives epoch seconds.
    if dialect == "sqlite":
        return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0
    return sa.extract("epoch", end) - sa.extract("epoch", start)


async def read_referral_pairs(
    connection: AsyncConnection, period: ReportingPeriod
) -> list[PairTallies]:
    """Per requester and receiver, the referrals requested in the period."""
    requested = _in(_referrals.requested_at, period)
    accepted = _referrals.state.in_(_ACCEPTED)
    pair = (_referrals.requester, _referrals.receiver)
    counts = (
        await connection.execute(
            sa.select(
                *pair,
                *_tally_columns("referrals", sa.true()),
                *_tally_columns("accepted", accepted),
                *_tally_columns("answered", _referrals.state != _REQUESTED),
                *_tally_columns("rejected", _referrals.state == "rejected"),
                *_tally_columns("expired", _referrals.state == "expired"),
                *_tally_columns("overdue", _referrals.escalations > 0),
                *_tally_columns(
                    "answered_not_rejected",
                    sa.and_(_referrals.state != _REQUESTED, _referrals.state != "rejected"),
                ),
                *_tally_columns("not_expired", _referrals.state != "expired"),
                *_tally_columns("not_overdue", _referrals.escalations == 0),
            )
            .where(requested)
            .group_by(*pair)
        )
    ).mappings()
    seconds = sa.cast(
        sa.func.round(
            _seconds_between(
                connection.dialect.name, _referrals.requested_at, _referrals.answered_at
            )
        ),
        sa.BigInteger,
    ).label("seconds")
    delays: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for requester, receiver, delay, number in await connection.execute(
        sa.select(*pair, seconds, sa.func.count())
        .where(requested, accepted, _referrals.answered_at.is_not(None))
        .group_by(*pair, seconds)
    ):
        delays.setdefault((requester, receiver), []).append((float(delay), int(number)))
    return [
        PairTallies(
            requester=row["requester"],
            receiver=row["receiver"],
            referrals=_tally(row, "referrals"),
            accepted=_tally(row, "accepted"),
            answered=_tally(row, "answered"),
            rejected=_tally(row, "rejected"),
            expired=_tally(row, "expired"),
            overdue=_tally(row, "overdue"),
            answered_not_rejected=_tally(row, "answered_not_rejected"),
            not_expired=_tally(row, "not_expired"),
            not_overdue=_tally(row, "not_overdue"),
            acceptance_seconds=tuple(delays.get((row["requester"], row["receiver"]), ())),
        )
        for row in counts
    ]


async def read_accepted_per_client(
    connection: AsyncConnection, period: ReportingPeriod
) -> list[tuple[float, int]]:
    """For clients with a referral requested in the period: accepted referrals, how many clients."""
    per_client = (
        sa.select(
            sa.func.sum(sa.case((_referrals.state.in_(_ACCEPTED), 1), else_=0)).label("accepted")
        )
        .where(_in(_referrals.requested_at, period))
        .group_by(_referrals.client)
        .subquery()
    )
    rows = await connection.execute(
        sa.select(per_client.c.accepted, sa.func.count()).group_by(per_client.c.accepted)
    )
    return [(float(accepted), int(clients)) for accepted, clients in rows]


async def read_handovers(connection: AsyncConnection, period: ReportingPeriod) -> Tally:
    """Handover packages sent in the period."""
    handovers = pathway_handovers.c
    row = (
        await connection.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(handovers.client))).where(
                _in(handovers.handed_over_at, period)
            )
        )
    ).one()
    return Tally(value=int(row[0]), clients=int(row[1]))


async def read_flagged_duplicates(
    connection: AsyncConnection, period: ReportingPeriod
) -> tuple[dict[str, Tally], Tally]:
    """Assessments recorded in the period and flagged as duplicates, by kind and in all.

    Every kind assessed in the period is listed, with zero when none was a duplicate.
    """
    assessments = pathway_assessments.c
    return await _by_category(
        connection,
        period,
        category=assessments.kind,
        moment=assessments.recorded_at,
        counted=assessments.duplicate_of.is_not(None),
    )


async def read_hints(
    connection: AsyncConnection, period: ReportingPeriod
) -> tuple[dict[str, Tally], Tally]:
    """Hints sent in the period, by moment and in all."""
    hints = pathway_hints.c
    return await _by_category(connection, period, category=hints.moment, moment=hints.sent_at)


async def read_outcomes(
    connection: AsyncConnection, period: ReportingPeriod
) -> tuple[dict[str, Tally], Tally]:
    """Distinct clients whose episode closed in the period, by outcome and in all."""
    episodes = pathway_episodes.c
    return await _by_category(
        connection,
        period,
        category=episodes.outcome,
        moment=episodes.closed_at,
        distinct_clients=True,
    )


async def _by_category(
    connection: AsyncConnection,
    period: ReportingPeriod,
    *,
    category: sa.Column[Any],
    moment: sa.Column[Any],
    counted: sa.ColumnElement[bool] | None = None,
    distinct_clients: bool = False,
) -> tuple[dict[str, Tally], Tally]:
    """Rows of the period by ``category``: the counted rows (or their distinct clients)."""
    condition = sa.true() if counted is None else counted
    client = category.table.c.client
    clients = sa.func.count(sa.distinct(sa.case((condition, client))))
    value = clients if distinct_clients else sa.func.sum(sa.case((condition, 1), else_=0))
    in_period = _in(moment, period)
    rows = await connection.execute(
        sa.select(category, value, clients).where(in_period).group_by(category)
    )
    by_category = {
        name: Tally(value=int(number or 0), clients=int(distinct or 0))
        for name, number, distinct in rows
    }
    total = (await connection.execute(sa.select(value, clients).where(in_period))).one()
    return by_category, Tally(value=int(total[0] or 0), clients=int(total[1] or 0))


async def read_avoided_duplicates(
    connection: AsyncConnection, period: ReportingPeriod
) -> tuple[Tally, Tally]:
    """Before-assessing hints sent in the period: those no assessment followed, and the rest.

    Followed means: the hint's recipient recorded an assessment of the hint's kind for the
    hint's client at or after the hint was sent and before the end of the period.
    """
    hints = pathway_hints.c
    assessments = pathway_assessments.c
    followed = sa.exists().where(
        assessments.client == hints.client,
        assessments.organisation == hints.recipient,
        assessments.kind == hints.kind,
        assessments.recorded_at >= hints.sent_at,
        assessments.recorded_at < period.until,
    )
    avoided = ~followed
    row = (
        await connection.execute(
            sa.select(
                sa.func.sum(sa.case((avoided, 1), else_=0)),
                sa.func.count(sa.distinct(sa.case((avoided, hints.client)))),
                sa.func.sum(sa.case((followed, 1), else_=0)),
                sa.func.count(sa.distinct(sa.case((followed, hints.client)))),
            ).where(
                hints.moment == HintMoment.BEFORE_ASSESSING.value,
                _in(hints.sent_at, period),
            )
        )
    ).one()
    return (
        Tally(value=int(row[0] or 0), clients=int(row[1] or 0)),
        Tally(value=int(row[2] or 0), clients=int(row[3] or 0)),
    )
