"""The consent history's hash chain: what a consent version's hash covers.

Every grant and revocation the store records is chained like the audit log's records
(``consent.audit.chain``: the same canonical JSON, SHA-256 and genesis hash), so that an
auditor can trust the history a decision rested on as they trust the decision: a version
changed, removed or moved is found by ``saattaja audit verify``. The hash covers exactly
the keys of ``ConsentChainFields``:

- ``sequence`` a JSON number, ``previous_hash`` the hash of the version before it;
- ``event_id`` in the canonical lowercase, hyphenated UUID form; ``client`` the pseudonym;
- ``action`` ``granted`` or ``revoked``; ``decision`` ``permit``, ``deny`` or ``null``;
- ``occurred_at``, ``applied_at`` and, where given, ``valid_from`` and ``valid_until`` in UTC
  as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; ``null`` where not given;
- ``scope`` and ``exceptions`` the rules as stored (JSON objects, keys sorted like every
  other object), ``null`` for a revocation.

Sequences are not always consecutive: a database may have skipped some before the chain
existed. The links show a version removed from the middle, the head one removed from the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from consent.audit import ChainLink, canonical_time

__all__ = ["ConsentChainFields", "consent_chain_fields"]


class ConsentChainFields(ChainLink):
    """Every value a consent version's hash covers, as plain JSON values."""

    event_id: str
    client: str
    consent_id: str
    action: str
    decision: str | None
    recorded_by: str
    occurred_at: str
    applied_at: str
    valid_from: str | None
    valid_until: str | None
    purpose: str | None
    scope: Any
    exceptions: Any


def consent_chain_fields(row: Mapping[Any, Any]) -> ConsentChainFields:
    """The values the hash of ``row`` covers: a row as stored, or as about to be inserted.

    A revocation's row leaves the grant's columns out before it is inserted and holds
    NULL in them once stored: both give ``null``.
    """
    return {
        "sequence": row["sequence"],
        "previous_hash": row["previous_hash"],
        "event_id": row["event_id"],
        "client": row["client"],
        "consent_id": row["consent_id"],
        "action": row["action"],
        "decision": row.get("decision"),
        "recorded_by": row["recorded_by"],
        "occurred_at": canonical_time(row["occurred_at"]),
        "applied_at": canonical_time(row["applied_at"]),
        "valid_from": _optional_time(row.get("valid_from")),
        "valid_until": _optional_time(row.get("valid_until")),
        "purpose": row.get("purpose"),
        "scope": row.get("scope"),
        "exceptions": row.get("exceptions"),
    }


def _optional_time(moment: datetime | None) -> str | None:
    return None if moment is None else canonical_time(moment)
