"""Reading the registry file, with errors that point at the file, the entry and the field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from broker.errors import ConfigurationError
from broker.registry.organisation import Organisation
from consent.configuration import ConfigurationFile, describe_problem

__all__ = ["ORGANISATIONS_KEY", "describe_entry", "load_organisations"]

ORGANISATIONS_KEY: Final = "organisations"
_FIX_HINT: Final = "fix the registry file or point SAATTAJA_REGISTRY_FILE at another one"
_FILE: Final = ConfigurationFile(
    name="organisation registry file",
    error=ConfigurationError,
    if_missing="set SAATTAJA_REGISTRY_FILE to the registry of your region "
    "(deploy/organisations.yaml is an example)",
    if_unreadable=", or point SAATTAJA_REGISTRY_FILE at another one",
)


def describe_entry(index: int, entry: object) -> str:
    """How an error names an entry: its position, and its id when it has a usable one."""
    entry_id = entry.get("id") if isinstance(entry, Mapping) else None
    shown = repr(entry_id) if isinstance(entry_id, str) else "missing"
    return f"{ORGANISATIONS_KEY}[{index}] (id {shown})"


def load_organisations(path: Path) -> tuple[Organisation, ...]:
    """Parse and validate every entry of a registry file, in file order."""
    document = _FILE.read(path)
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


def _parse_entry(path: Path, index: int, entry: object) -> Organisation:
    where = f"{path}: {describe_entry(index, entry)}"
    if not isinstance(entry, Mapping):
        raise ConfigurationError(
            f"{where}: expected a mapping with the fields id, name, oid and kind; {_FIX_HINT}"
        )
    try:
        return Organisation.model_validate(dict(entry))
    except ValidationError as exc:
        problems = "; ".join(
            describe_problem(
                error,
                entry="registry",
                fields="id, name, oid and kind",
                type_hints={"string_type": "put the value in quotes: YAML reads 1.2 as a number"},
            )
            for error in exc.errors()
        )
        raise ConfigurationError(f"{where}: {problems}; {_FIX_HINT}") from exc
