"""Percentiles of a frequency table, so that the database hands over counts, not rows."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["percentile"]


def percentile(frequencies: Sequence[tuple[float, int]], fraction: float) -> float | None:
    """The ``fraction`` (0..1) percentile of the values, each repeated by its count.

    Linear interpolation between the closest ranks (Hyndman and Fan type 7): what
    ``statistics.quantiles(method="inclusive")``, numpy's default and spreadsheets'
    PERCENTILE.INC give, and at 0.5 the usual median (the mean of the two middle values of
    an even count). None for no values.
    """
    table = sorted((value, number) for value, number in frequencies if number > 0)
    total = sum(number for _value, number in table)
    if total == 0:
        return None
    position = (total - 1) * fraction
    lower = math.floor(position)
    low = _value_at(table, lower)
    if position == lower:
        return low
    return low + (position - lower) * (_value_at(table, lower + 1) - low)


def _value_at(table: Sequence[tuple[float, int]], rank: int) -> float:
    """The value at 0-based ``rank`` of the sorted, expanded table."""
    seen = 0
    for value, number in table:
        seen += number
        if rank < seen:
            return value
    raise IndexError(rank)  # pragma: no cover  # callers stay within the table
