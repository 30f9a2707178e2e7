"""The indicators as a plain-text table for a person (``saattaja indicators``, the demo)."""

from __future__ import annotations

from datetime import date
from typing import Final

from broker.indicators.figures import Count, Measure
from broker.indicators.results import PathwayIndicators
from schemas.fhir import FINNISH_TIME

__all__ = ["indicators_table"]

_PAIR_ROW: Final = (
    "{pair:<28}  {referrals:>9}  {clients:>7}  {median:>8}  {p90:>8}  {rejected:>8}  "
    "{overdue:>7}  {expired:>7}"
)
_LABEL_WIDTH: Final = 46


def indicators_table(indicators: PathwayIndicators, first: date, last: date) -> str:
    """The indicators as a table for a person, for the days ``first`` to ``last``."""
    hidden = f"<{indicators.threshold}"

    def shown(figure: Count | Measure, form: str = "{}") -> str:
        if figure.suppressed:
            return hidden
        return "-" if figure.value is None else form.format(figure.value)

    def line(label: str, figure: Count | Measure, form: str = "{}") -> str:
        return f"  {label:<{_LABEL_WIDTH}}{shown(figure, form):>8}"

    lines = [
        f"Pathway indicators, {first.isoformat()} to {last.isoformat()} (days in {FINNISH_TIME})",
        f"{hidden}: hidden, rests on fewer than {indicators.threshold} clients; "
        "-: nothing to compute from.",
        "",
        "Referrals requested in the period: hours from request to acceptance (median, 90th "
        "percentile, to the whole hour);",
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
            median=shown(pair.acceptance_median_hours, "{:.0f}"),
            p90=shown(pair.acceptance_p90_hours, "{:.0f}"),
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
