"""Reading the registry file, with errors that point at the file, the entry and the field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import ValidationError

from broker.errors import ConfigurationError
from broker.registry.organisation import Organisation

__all__ = ["ORGANISATIONS_KEY", "describe_entry", "load_organisations"]

ORGANISATIONS_KEY: Final = "organisations"
_FIX_HINT: Final = "fix the registry file or point SAATTAJA_REGISTRY_FILE at another one"


def describe_entry(index: int, entry: object) -> str:
    """How an error names an entry: its position, and its id when it has a usable one."""
    entry_id = entry.get("id") if isinstance(entry, Mapping) else None
    shown = repr(entry_id) if isinstance(entry_id, str) else "missing"
    return f"{ORGANISATIONS_KEY}[{index}] (id {shown})"


def load_organisations(path: Path) -> tuple[Organisation, ...]:
    """Parse and validate every entry of a registry file, in file order."""
    document = _read_yaml(path)
    if not isinstance(document, Mapping) or ORGANISATIONS_KEY not in document:
        raise ConfigurationError(
            f"{path}: expected a mapping with the key '{ORGANISATIONS_KEY}:' holding a list "
            f"of organisations; {_FIX_HINT} (deploy/organisations.yaml shows the format)"
        )
    entries = document[ORGANISATIONS_KEY]
    if not isinstance(entries, Sequence) or isinstance(entries, str) or not entries:
        raise ConfigurationError(
            f"{path}: '{ORGANISATIONS_KEY}' must be a non-empty list of organisations "
            f"(each with id, name, oid and kind); {_FIX_HINT}"
        )
    return tuple(_parse_entry(path, index, entry) for index, entry in enumerate(entries))


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"organisation registry file {path} does not exist: set SAATTAJA_REGISTRY_FILE "
            "to the registry of your region (deploy/organisations.yaml is an example)"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"organisation registry file {path} cannot be read ({exc}): check that it is a "
            "readable UTF-8 text file, or point SAATTAJA_REGISTRY_FILE at another one"
        ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigurationError(
            f"{path} is not valid YAML{where}: {problem}; fix the syntax of the registry file"
        ) from exc


def _parse_entry(path: Path, index: int, entry: object) -> Organisation:
    where = f"{path}: {describe_entry(index, entry)}"
    if not isinstance(entry, Mapping):
        raise ConfigurationError(
            f"{where}: expected a mapping with the fields id, name, oid and kind; {_FIX_HINT}"
        )
    try:
        return Organisation.model_validate(dict(entry))
    except ValidationError as exc:
        problems = "; ".join(_describe_problem(error) for error in exc.errors())
        raise ConfigurationError(f"{where}: {problems}; {_FIX_HINT}") from exc


def _describe_problem(error: Mapping[str, Any]) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "entry"
    kind = error["type"]
    if kind == "missing":
        return f"field '{field}' is missing"
    if kind == "extra_forbidden":
        return f"field '{field}' is not a registry field (expected id, name, oid and kind)"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_type":
        message += " (put the value in quotes: YAML reads 1.2 as a number)"
    return f"field '{field}': {message}"
