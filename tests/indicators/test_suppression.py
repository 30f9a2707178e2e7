"""Which cells of a table are hidden: small ones, and enough others to keep them hidden."""

from __future__ import annotations

from broker.indicators.suppression import Tally, hidden_cells, is_small


def cells(*clients: int) -> list[Tally]:
    return [Tally(value=number, clients=number) for number in clients]


def test_one_to_four_clients_is_small_and_zero_or_five_is_not() -> None:
    assert [is_small(clients, 5) for clients in range(7)] == [
        False,
        True,
        True,
        True,
        True,
        False,
        False,
    ]


def test_a_lone_small_cell_takes_the_next_smallest_non_zero_cell_with_it() -> None:
    assert hidden_cells(cells(40, 0, 3, 12, 9), 5, total_shown=True) == (
        False,
        False,
        True,
        False,
        True,
    )


def test_ties_for_the_complementary_cell_go_to_the_first_listed() -> None:
    assert hidden_cells(cells(9, 2, 9), 5, total_shown=True) == (True, True, False)


def test_two_small_cells_that_together_rest_on_five_clients_need_no_complement() -> None:
    assert hidden_cells(cells(2, 3, 20), 5, total_shown=True) == (True, True, False)


def test_two_small_cells_that_together_rest_on_under_five_clients_take_a_third() -> None:
    assert hidden_cells(cells(1, 2, 20, 30), 5, total_shown=True) == (True, True, True, False)


def test_without_a_shown_total_only_small_cells_are_hidden() -> None:
    assert hidden_cells(cells(40, 3, 12), 5, total_shown=False) == (False, True, False)


def test_zero_cells_are_never_hidden() -> None:
    assert hidden_cells(cells(0, 3, 0), 5, total_shown=True) == (False, True, False)


def test_a_threshold_of_one_hides_nothing() -> None:
    assert hidden_cells(cells(1, 2, 3), 1, total_shown=True) == (False, False, False)
