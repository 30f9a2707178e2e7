"""``saattaja indicators``: the pathway indicators of a period, for a person or a program."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from broker.indicators import (
    HELSINKI,
    Count,
    InvalidPeriodError,
    Measure,
    PathwayIndicators,
    ReportingPeriod,
    compute_indicators,
)
from broker.registry import OrganisationRegistry
from broker.settings import load_settings
from consent.database import check_database_schema, create_database_engine

__all__ = ["register"]

# date.fromisoformat also takes 20250501 and 2025-W18-4; one spelling keeps scripts readable.
_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_PAIR_ROW: Final = (
    "{pair:<28}  {referrals:>9}  {clients:>7}  {median:>8}  {p90:>8}  {rejected:>8}  "
    "{overdue:>7}  {expired:>7}"
)
_LABEL_WIDTH: Final = 46


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
        print(_table(indicators, first, last))
    return 0


async def _compute(
    database_url: str, period: ReportingPeriod, ids: Mapping[str, str]
) -> PathwayIndicators:
    engine = create_database_engine(database_url)
    try:
        await check_database_schema(engine)
        return await compute_indicators(
            engine, since=period.since, until=period.until, organisations=ids
        )
    finally:
        await engine.dispose()


def _table(indicators: PathwayIndicators, first: date, last: date) -> str:
    hidden = f"<{indicators.threshold}"

    def shown(figure: Count | Measure, form: str = "{}") -> str:
        if figure.suppressed:
            return hidden
        return "-" if figure.value is None else form.format(figure.value)

    def line(label: str, figure: Count | Measure, form: str = "{}") -> str:
        return f"  {label:<{_LABEL_WIDTH}}{shown(figure, form):>8}"

    lines = [
        f"Pathway indicators, {first.isoformat()} to {last.isoformat()} (days in {HELSINKI})",
        f"{hidden}: hidden, rests on fewer than {indicators.threshold} clients; "
        "-: nothing to compute from.",
        "",
        "Referrals requested in the period: hours from request to acceptance (median, 90th "
        "percentile);",
        "rejected as a share of those answered; overdue and expired as a share of all.",
        _PAIR_ROW.format(
            pair="FROM -> TO",
            referrals="REFERRALS",
            clients="CLIENTS",
            median="MEDIAN h",
            p90="P90 h",
            rejected="REJECTED",
            overdue="OVERDUE",
            expired="EXPIRED",
        ),
    ]
    lines.extend(
        _PAIR_ROW.format(
            pair=f"{pair.requester.id} -> {pair.receiver.id}",
            referrals=shown(pair.referrals),
            clients=shown(pair.clients),
            median=shown(pair.acceptance_median_hours, "{:.1f}"),
            p90=shown(pair.acceptance_p90_hours, "{:.1f}"),
            rejected=shown(pair.rejection_rate, "{:.1%}"),
            overdue=shown(pair.overdue_rate, "{:.1%}"),
            expired=shown(pair.expiry_rate, "{:.1%}"),
        )
        for pair in indicators.referral_pairs
    )
    if not indicators.referral_pairs:
        lines.append("  (no referrals requested in the period)")
    paths = indicators.client_paths
    per_client = "accepted referrals per client"
    lines += [
        "",
        "Client paths (clients with a referral requested in the period)",
        line("clients", paths.clients),
        line(f"{per_client}: median", paths.accepted_referrals_median, "{:g}"),
        line(
            "accepted referrals per client: 90th percentile", paths.accepted_referrals_p90, "{:g}"
        ),
        line("handover packages sent in the period", paths.handovers),
        "",
        "Duplicate assessments",
        line("flagged duplicates recorded", indicators.duplicates.flagged),
    ]
    lines.extend(line(f"  {row.name}", row.count) for row in indicators.duplicates.flagged_by_kind)
    lines.append(line("hints sent", indicators.duplicates.hints))
    lines.extend(line(f"  {row.name}", row.count) for row in indicators.duplicates.hints_by_moment)
    lines += [
        line("avoided duplicates", indicators.duplicates.avoided),
        "",
        "Episode outcomes (distinct clients whose episode closed in the period)",
        line("clients", indicators.outcomes.clients),
    ]
    lines.extend(line(f"  {row.name}", row.count) for row in indicators.outcomes.by_outcome)
    return "\n".join(lines)
