"""``saattaja indicators``: the pathway indicators of a period, for a person or a program."""

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
    HELSINKI,
    InvalidPeriodError,
    PathwayIndicators,
    ReportingPeriod,
    compute_indicators,
    indicators_table,
)
from broker.registry import OrganisationRegistry
from broker.settings import load_settings

__all__ = ["register"]

# date.fromisoformat also takes 20250501 and 2025-W18-4; one spelling keeps scripts readable.
_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def register(commands: Any) -> None:
    """Add the ``indicators`` command."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "indicators",
        help="pathway indicators of a period: referrals, handovers, duplicate assessments, "
        "outcomes",
        description="Computes the pathway indicators of the calendar days --since to --until "
        "(both included, Europe/Helsinki) from the database. Every figure resting on 1 to 4 "
        "clients is hidden (<5), and so is any figure that would let it be worked back.",
    )
    parser.add_argument(
        "--since",
        required=True,
        type=_day,
        metavar="YYYY-MM-DD",
        help="first day of the period (Europe/Helsinki)",
    )
    parser.add_argument(
        "--until",
        required=True,
        type=_day,
        metavar="YYYY-MM-DD",
        help="last day of the period, included (Europe/Helsinki)",
    )
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table (default) for a person; json, one document, for a program",
    )
    parser.set_defaults(run=_indicators)


def _day(value: str) -> date:
    problem = f"{value!r} is not a calendar day: write YYYY-MM-DD, e.g. 2025-05-01"
    if not _DAY.fullmatch(value):
        raise argparse.ArgumentTypeError(problem)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(problem) from exc


def _indicators(args: argparse.Namespace) -> int:
    first: date = args.since
    last: date = args.until
    if first > last:
        raise InvalidPeriodError(
            f"--since {first.isoformat()} is after --until {last.isoformat()}: give the "
            "first day of the period as --since and the last as --until"
        )
    settings = load_settings()
    registry = OrganisationRegistry.from_file(settings.registry_file)
    ids = {organisation.oid: organisation.id for organisation in registry}
    period = ReportingPeriod.of_days(first, last, HELSINKI)
    indicators = asyncio.run(_compute(settings.database_url, period, ids))
    if args.format == "json":
        document = {
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "time_zone": str(HELSINKI),
            **indicators.model_dump(mode="json"),
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(indicators_table(indicators, first, last))
    return 0


async def _compute(
    database_url: str, period: ReportingPeriod, ids: Mapping[str, str]
) -> PathwayIndicators:
    async with opened_database(database_url) as engine:
        return await compute_indicators(
            engine, since=period.since, until=period.until, organisations=ids
        )
