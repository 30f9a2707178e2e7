"""Reading an export file into records: CSV rows, JSON array items or JSON Lines lines.

A record keeps its position in the file (the CSV or JSON Lines line number, or the JSON
array item number): it names the record in the error report and makes its event id.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["CSV_SUFFIXES", "JSON_SUFFIXES", "Problem", "RawRecord", "read_records"]

CSV_SUFFIXES: Final = frozenset({".csv"})
JSON_SUFFIXES: Final = frozenset({".json", ".jsonl"})
_DELIMITERS: Final = (";", ",", "\t")


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as the file gave it, before it becomes an event."""

    where: str
    """How a person finds it in the file: ``line 3`` or ``item 2``."""
    position: int
    flat: bool
    """True for a CSV row (columns), False for a JSON object (the event model nested)."""
    fields: dict[str, object]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one record, or with the whole file, in words."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def read_records(path: Path, delimiter: str | None) -> list[RawRecord | Problem]:
    """The records of one file, in order; a Problem where a record (or the file) is unreadable."""
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte order mark.
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        # A file its writer left unreadable to this process (its owner and mode) fails alone:
        # raised, it would stop the adapter at every start while the file stays.
        advice = (
            "let the adapter's user read it (its owner and mode), then drop it again"
            if isinstance(exc, PermissionError | IsADirectoryError)
            else "drop the export again as a plain file, not a link"
        )
        return [Problem("file", f"cannot be read ({exc.strerror or type(exc).__name__}): {advice}")]
    except UnicodeDecodeError as exc:
        return [
            Problem(
                "file",
                f"not UTF-8 (byte {exc.start}): export it as UTF-8 (Excel: 'CSV UTF-8')",
            )
        ]
    if path.suffix.lower() in CSV_SUFFIXES:
        return list(_csv_records(text, delimiter))
    return list(_json_records(text))


def _csv_records(text: str, delimiter: str | None) -> Iterator[RawRecord | Problem]:
    header_line = text.split("\n", 1)[0]
    if not header_line.strip():
        yield Problem("line 1", "the file is empty or has no header row")
        return
    # The header names no delimiter itself, so the commonest candidate in it is the one;
    # csv.Sniffer guesses from quoting too and is fooled by free-text columns.
    chosen = delimiter or max(_DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=chosen)
    columns = [name.strip().lower() for name in next(reader)]
    # The names are not quoted back: a file without its header row has a record there.
    if "type" not in columns:
        yield Problem(
            "line 1",
            f"the header has no 'type' column (read with delimiter {chosen!r}, it has "
            f"{len(columns)} columns): a file starts with its header row, naming the columns",
        )
        return
    if len(set(columns)) != len(columns):
        first, second = next(
            (index, later)
            for index, name in enumerate(columns)
            for later in range(index + 1, len(columns))
            if columns[later] == name
        )
        yield Problem(
            "line 1",
            f"columns {first + 1} and {second + 1} of the header have the same name: name "
            "each column once",
        )
        return
    for cells in reader:
        where = f"line {reader.line_num}"
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            yield Problem(where, f"{len(cells)} cells, but the header has {len(columns)} columns")
            continue
        fields: dict[str, object] = {
            column: cell.strip()
            for column, cell in zip(columns, cells, strict=False)
            if cell.strip()
        }
        yield RawRecord(where, reader.line_num, flat=True, fields=fields)


def _json_records(text: str) -> Iterator[RawRecord | Problem]:
    start = text.lstrip()[:1]
    if start == "[":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Problem(f"line {exc.lineno}", f"not valid JSON: {exc.msg} (column {exc.colno})")
            return
        for number, item in enumerate(items, start=1):
            yield _json_record(f"item {number}", number, item)
        return
    if start == "{":
        try:
            # One object, perhaps spread over many lines.
            whole = json.loads(text)
        except json.JSONDecodeError:
            pass  # not one object: read it as JSON Lines below
        else:
            yield _json_record("item 1", 1, whole)
            return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Problem(f"line {number}", f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        yield _json_record(f"line {number}", number, item)


def _json_record(where: str, position: int, item: object) -> RawRecord | Problem:
    if not isinstance(item, dict):
        return Problem(where, f"a record is a JSON object, not {type(item).__name__}")
    return RawRecord(where, position, flat=False, fields=item)
