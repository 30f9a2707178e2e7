"""The hash chain: the canonical encoding of a record and the SHA-256 over it.

The audit log's records are chained by these rules, and so are the consent store's
versions, over their own fields (``consent.store.chain``).

Each record's ``hash`` is the lowercase hex SHA-256 of this encoding of its fields,
``sequence`` and ``previous_hash`` included, so that changing, removing or reordering
any record breaks the chain from that record on:

- a JSON object of exactly the keys of ``ChainFields``, keys sorted, no whitespace
  (separators ``,`` and ``:``), non-ASCII characters as themselves, encoded as UTF-8;
- ``sequence`` a JSON number; ``basis`` a string or ``null``; ``removed`` a list of strings
  in the order the decision gave them; every other value a string;
- ``event_id`` in the canonical lowercase, hyphenated UUID form;
- ``decided_at`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always six fraction digits);
- ``category`` the data category's code, e.g. ``assessment:health``;
- ``handover`` (the handover package's event id) only in the records of documents decided
  for a handover; absent from every other record, as from the records made before it existed.

The first record's ``previous_hash`` is ``GENESIS_HASH`` (64 zeros). Anyone can recompute
the chain from an export with these rules and any JSON library that sorts keys.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Final, NotRequired, TypedDict

import orjson

__all__ = [
    "GENESIS_HASH",
    "ChainFields",
    "ChainLink",
    "canonical_encoding",
    "canonical_time",
    "chain_hash",
    "with_handover",
]

GENESIS_HASH: Final = "0" * 64


class ChainLink(TypedDict):
    """What every chained record's hash covers of its place in its chain."""

    sequence: int
    previous_hash: str


class ChainFields(ChainLink):
    """Every value an audit record's hash covers, as plain JSON values."""

    event_id: str
    event_type: str
    category: str
    client: str
    sender: str
    recipient: str
    decision: str
    reason: str
    basis: str | None
    removed: list[str]
    decided_at: str
    handover: NotRequired[str]


def canonical_time(moment: datetime) -> str:
    """``moment`` in UTC with microseconds, the one form the hash accepts."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def with_handover(fields: ChainFields, handover: str | None) -> ChainFields:
    """``fields`` with the record's ``handover``, which is left out when it has none."""
    if handover:
        fields["handover"] = handover
    return fields


def canonical_encoding(fields: ChainLink) -> bytes:
    """The bytes that are hashed (see the module docstring)."""
    # orjson writes exactly these rules (compact, UTF-8, sorted keys) and costs a tenth of
    # json.dumps, which the audit append pays once per record.
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def chain_hash(fields: ChainLink) -> str:
    """SHA-256 of the canonical encoding, as 64 lowercase hex digits."""
    return hashlib.sha256(canonical_encoding(fields)).hexdigest()
