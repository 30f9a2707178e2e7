"""Reading the legal-bases file, with errors that name the file, the entry and the field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from consent.configuration import ConfigurationFile, describe_problem
from consent.errors import LegalBasisConfigurationError
from consent.legal_bases.basis import LegalBases, LegalBasis

__all__ = ["LEGAL_BASES_KEY", "load_legal_bases"]

LEGAL_BASES_KEY: Final = "legal_bases"
_FIELDS: Final = "id, law, sender_kind, recipient_kind, categories and overrides_refusal"
_FILE: Final = ConfigurationFile(
    name="legal-bases file",
    error=LegalBasisConfigurationError,
    if_missing="set SAATTAJA_LEGAL_BASES_FILE to your region's file, or unset it to route "
    "on consent alone",
)
_FIX_HINT: Final = (
    "fix the file or point SAATTAJA_LEGAL_BASES_FILE at another one "
    "(deploy/legal-bases.yaml shows the format)"
)


def load_legal_bases(path: Path) -> LegalBases:
    """Parse and check a legal-bases file; no ``legal_bases:`` list, or an empty one, means none."""
    document = _FILE.read(path)
    if document is None:
        return LegalBases.none()
    if not isinstance(document, Mapping):
        raise LegalBasisConfigurationError(
            f"{path}: expected a mapping with the key '{LEGAL_BASES_KEY}:' holding a list; "
            f"{_FIX_HINT}"
        )
    unknown = sorted(str(key) for key in document if key != LEGAL_BASES_KEY)
    if unknown:
        raise LegalBasisConfigurationError(
            f"{path}: unknown top-level key(s) {', '.join(unknown)}: the file holds only "
            f"'{LEGAL_BASES_KEY}:'; {_FIX_HINT}"
        )
    entries = document.get(LEGAL_BASES_KEY)
    if entries is None:
        return LegalBases.none()
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise LegalBasisConfigurationError(
            f"{path}: '{LEGAL_BASES_KEY}' must be a list of entries (each with {_FIELDS}); "
            f"{_FIX_HINT}"
        )
    bases = tuple(_parse_entry(path, index, entry) for index, entry in enumerate(entries))
    seen: dict[str, int] = {}
    for index, basis in enumerate(bases):
        if basis.id in seen:
            raise LegalBasisConfigurationError(
                f"{path}: {_describe_entry(index, basis.id)}: field 'id': {basis.id!r} is "
                f"already used by {LEGAL_BASES_KEY}[{seen[basis.id]}]; every basis needs its "
                "own id, since decisions name it"
            )
        seen[basis.id] = index
    return LegalBases(bases)


def _describe_entry(index: int, entry_id: object) -> str:
    shown = repr(entry_id) if isinstance(entry_id, str) else "missing"
    return f"{LEGAL_BASES_KEY}[{index}] (id {shown})"


def _parse_entry(path: Path, index: int, entry: object) -> LegalBasis:
    entry_id = entry.get("id") if isinstance(entry, Mapping) else None
    where = f"{path}: {_describe_entry(index, entry_id)}"
    if not isinstance(entry, Mapping):
        raise LegalBasisConfigurationError(
            f"{where}: expected a mapping with the fields {_FIELDS}; {_FIX_HINT}"
        )
    try:
        return LegalBasis.model_validate(dict(entry))
    except ValidationError as exc:
        problems = "; ".join(
            describe_problem(
                error,
                entry="legal-basis",
                fields=_FIELDS,
                type_hints={
                    "bool_type": "write true or false: whether the law lets this basis "
                    "override a refusal"
                },
            )
            for error in exc.errors()
        )
        raise LegalBasisConfigurationError(f"{where}: {problems}; {_FIX_HINT}") from exc
