"""Reading a YAML configuration file, and describing what is wrong in one of its entries.

The organisation registry and the legal bases are both files a region writes by hand; a
mistake in either must name the file, the line or the entry and field, and say what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from consent.configuration.unique_keys import UniqueKeyLoader

__all__ = ["ConfigurationFile", "describe_problem"]


@dataclass(frozen=True, slots=True)
class ConfigurationFile:
    """How one kind of file is named in errors, and the error it raises."""

    name: str
    """What the file is, e.g. "legal-bases file"."""
    error: type[Exception]
    if_missing: str
    """What to do when the file does not exist."""
    if_unreadable: str = ""
    """What else to do when it cannot be read, after checking it is readable UTF-8 text."""

    def read(self, path: Path) -> Any:
        """The file's YAML document; ``error`` naming the file and what to do if none."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise self.error(f"{self.name} {path} does not exist: {self.if_missing}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise self.error(
                f"{self.name} {path} cannot be read ({exc}): check that it is a readable "
                f"UTF-8 text file{self.if_unreadable}"
            ) from exc
        try:
            return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise self.error(
                f"{path} is not valid YAML{where}: {problem}; fix the syntax of the {self.name}"
            ) from exc


def describe_problem(
    error: Mapping[str, Any], *, entry: str, fields: str, type_hints: Mapping[str, str]
) -> str:
    """One pydantic error of an entry, in words: the field and what is wrong with it.

    ``entry`` names what an entry is ("registry", "legal-basis"), ``fields`` the fields it
    has, and ``type_hints`` adds a hint to an error of a given type (e.g. ``bool_type``).
    """
    name = ".".join(str(part) for part in error["loc"]) or "entry"
    kind = error["type"]
    if kind == "missing":
        return f"field '{name}' is missing"
    if kind == "extra_forbidden":
        return f"field '{name}' is not a {entry} field (expected {fields})"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind in type_hints:
        message += f" ({type_hints[kind]})"
    return f"field '{name}': {message}"
