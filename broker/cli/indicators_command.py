"""``saattaja indicators``: the pathway indicators of a calendar quarter, for people or programs."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from broker.cli.database import opened_database
from broker.indicators import (
    CalendarQuarter,
    InvalidPeriodError,
    PathwayIndicators,
    ReportingPeriod,
    compute_indicators,
    indicators_table,
)
from broker.registry import OrganisationRegistry
from broker.settings import load_settings
from schemas.fhir import FINNISH_TIME

__all__ = ["register"]

_QUARTER: Final = re.compile(r"([0-9]{4})-Q([0-9])")
_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def register(commands: Any) -> None:
    """Add the ``indicators`` command."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "indicators",
        help="pathway indicators of a calendar quarter: referrals, handovers, duplicate "
        "assessments, outcomes",
        description="Computes the pathway indicators of one calendar quarter (its days in "
        "Europe/Helsinki) from the database. Every figure resting on 1 to 4 clients is hidden "
        "(<5), and so is any figure that would let it be worked back. Only whole quarters are "
        "reported: two reports of overlapping periods would give away, by subtraction, the "
        "clients of the days one has and the other lacks. The figures are those of the "
        "database when they are computed, so a quarter computed again later may differ: its "
        "referrals are followed to that time (answered, sent overdue notices or expired "
        "since it ended; each is answered or expired within "
        "SAATTAJA_REFERRAL_EXPIRY_WORKING_DAYS working days of its request), and an event "
        "dated in the quarter by its sender that reaches the router later counts in it. The "
        "same database gives the same figures.",
    )
    period = parser.add_mutually_exclusive_group(required=True)
    period.add_argument(
        "--quarter",
        type=_quarter,
        metavar="YYYY-QN",
        help="the calendar quarter, e.g. 2025-Q1 for January to March",
    )
    period.add_argument(
        "--since",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the quarter's first day (Europe/Helsinki), with --until its last",
    )
    parser.add_argument(
        "--until",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the quarter's last day, included (Europe/Helsinki)",
    )
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table (default) for a person; json, one document, for a program",
    )
    parser.set_defaults(run=_indicators, usage_error=parser.error)


def _quarter(value: str) -> CalendarQuarter:
    problem = (
        f"{value!r} is not a calendar quarter: write YYYY-QN with N from 1 to 4, e.g. 2025-Q1 "
        "(only whole calendar quarters are reported, so that no report can be subtracted "
        "from another)"
    )
    matched = _QUARTER.fullmatch(value)
    if matched is None:
        raise argparse.ArgumentTypeError(problem)
    try:
        return CalendarQuarter(int(matched[1]), int(matched[2]))
    except InvalidPeriodError as exc:
        raise argparse.ArgumentTypeError(f"{problem}: {exc}") from exc


def _day(value: str) -> date:
    problem = f"{value!r} is not a calendar day: write YYYY-MM-DD, e.g. 2025-01-01"
    if not _DAY.fullmatch(value):
        raise argparse.ArgumentTypeError(problem)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(problem) from exc


def _chosen_quarter(args: argparse.Namespace) -> CalendarQuarter:
    if args.quarter is not None:
        if args.until is not None:
            raise InvalidPeriodError("--until goes with --since: give --quarter alone")
        quarter: CalendarQuarter = args.quarter
        return quarter
    if args.until is None:
        raise InvalidPeriodError("--since needs --until, the quarter's last day")
    return CalendarQuarter.spanning(args.since, args.until)


def _indicators(args: argparse.Namespace) -> int:
    try:
        quarter = _chosen_quarter(args)
    except InvalidPeriodError as exc:
        # Arguments that do not go together: a usage mistake, as one that does not parse.
        args.usage_error(str(exc))
    settings = load_settings()
    registry = OrganisationRegistry.from_file(settings.registry_file)
    ids = {organisation.oid: organisation.id for organisation in registry}
    indicators = asyncio.run(_compute(settings.database_url, quarter.period(FINNISH_TIME), ids))
    if args.format == "json":
        document = {
            "quarter": str(quarter),
            "first_day": quarter.first_day.isoformat(),
            "last_day": quarter.last_day.isoformat(),
            "time_zone": str(FINNISH_TIME),
            **indicators.model_dump(mode="json"),
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(indicators_table(indicators, quarter.first_day, quarter.last_day))
    return 0


async def _compute(
    database_url: str, period: ReportingPeriod, ids: Mapping[str, str]
) -> PathwayIndicators:
    async with opened_database(database_url) as engine:
        return await compute_indicators(
            engine, since=period.since, until=period.until, organisations=ids
        )
