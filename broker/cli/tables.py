"""Tables for a person at a terminal: columns as wide as their widest cell."""

from __future__ import annotations

from collections.abc import Sequence

from schemas import printable

__all__ = ["text_table"]


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Header and rows, columns separated by two spaces; the last column is not padded.

    Cells are shown ``printable``: what a sender wrote can neither break a row nor add one.
    """
    shown = [[printable(cell) for cell in row] for row in (header, *rows)]
    widths = [max(len(row[i]) for row in shown) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]
        ).rstrip()
        for row in shown
    )
