"""Small-cell suppression: no figure may let a reader single out a handful of clients.

A cell is suppressed when it rests on 1 to ``threshold - 1`` distinct clients; zero is
shown, because "nobody" identifies no one. Where a table also shows its total, hiding one
cell is not enough (total minus the shown cells gives it back), so complementary cells are
hidden too: see ``hidden_cells``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from broker.indicators.figures import Count, Measure

__all__ = ["SUPPRESSION_THRESHOLD", "Tally", "hidden_cells", "is_small"]

# Five is the smallest cell Finnish statistics practice publishes (THL's and Statistics
# Finland's tables, Findata's rule for aggregate results taken out of its secure
# environment): below it a client who knows a neighbour was referred can find them.
SUPPRESSION_THRESHOLD: Final = 5


@dataclass(frozen=True, slots=True)
class Tally:
    """A cell before suppression: its value and the number of distinct clients it rests on."""

    value: int
    clients: int


def is_small(clients: int, threshold: int) -> bool:
    """Whether a figure resting on ``clients`` distinct clients must be hidden."""
    return 0 < clients < threshold


def count(tally: Tally, threshold: int, *, hidden: bool | None = None) -> Count:
    """The tally's value as a figure, hidden when small (or when ``hidden`` says so)."""
    if is_small(tally.clients, threshold) if hidden is None else hidden:
        return Count(value=None, suppressed=True)
    return Count(value=tally.value)


def measure(value: float | None, *bases: int, threshold: int) -> Measure:
    """A derived figure, hidden when any count it is derived from rests on too few clients."""
    if any(is_small(clients, threshold) for clients in bases):
        return Measure(value=None, suppressed=True)
    return Measure(value=value)


def hidden_cells(cells: Sequence[Tally], threshold: int, *, total_shown: bool) -> tuple[bool, ...]:
    """Which cells of a table with a total to hide: the small ones, and complementary ones.

    While the total is shown, hiding must not be undone by subtraction. So as long as
    exactly one cell is hidden, or the hidden cells together rest on fewer than
    ``threshold`` clients (their sum, which the total gives away, would itself be a small
    cell), the smallest shown non-zero cell (fewest clients, then first listed) is hidden
    too. Zero cells are never hidden: they reveal nothing and hiding them protects nothing.
    """
    hidden = [is_small(cell.clients, threshold) for cell in cells]
    if not total_shown:
        return tuple(hidden)
    while any(hidden):
        hidden_clients = [cell.clients for cell, hide in zip(cells, hidden, strict=True) if hide]
        if len(hidden_clients) > 1 and sum(hidden_clients) >= threshold:
            break
        candidates = [
            index
            for index, (cell, hide) in enumerate(zip(cells, hidden, strict=True))
            if not hide and cell.clients > 0
        ]
        if not candidates:
            break
        hidden[min(candidates, key=lambda index: (cells[index].clients, index))] = True
    return tuple(hidden)
