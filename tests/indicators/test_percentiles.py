"""Percentiles of a frequency table agree with the standard library's on the expanded values."""

from __future__ import annotations

import random
import statistics

import pytest

from broker.indicators import percentile


def test_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert percentile([(1.0, 1), (2.0, 1), (10.0, 2)], 0.5) == 6.0


def test_ninetieth_percentile_interpolates_between_the_closest_ranks() -> None:
    values = [float(value) for value in range(1, 12)]  # eleven values: rank 9 exactly is 10
    assert percentile([(value, 1) for value in values], 0.9) == 10.0
    assert percentile([(1.0, 1), (2.0, 1)], 0.9) == pytest.approx(1.9)


def test_agrees_with_statistics_quantiles_inclusive_on_random_tables() -> None:
    rng = random.Random(5)  # noqa: S311  # test data, and it must repeat
    for _round in range(50):
        table = [(float(rng.randint(0, 40)), rng.randint(1, 6)) for _ in range(rng.randint(1, 9))]
        values = [value for value, number in table for _ in range(number)]
        if len(values) < 2:
            continue
        expected = statistics.quantiles(values, n=10, method="inclusive")[8]
        assert percentile(table, 0.9) == pytest.approx(expected)
        assert percentile(table, 0.5) == pytest.approx(statistics.median(values))


def test_a_single_value_is_every_percentile() -> None:
    assert percentile([(7.5, 1)], 0.9) == 7.5


def test_no_values_have_no_percentile() -> None:
    assert percentile([], 0.5) is None
    assert percentile([(3.0, 0)], 0.5) is None
