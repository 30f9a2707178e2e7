"""An audit record as a message of the audit topic, and the place in the chain it marks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, Literal

import orjson

from broker.errors import AuditStreamError
from consent.audit import AuditRecord, ChainAnchor, audit_event, record_json
from schemas import KafkaHeaders, KafkaRecord

__all__ = ["HASH_HEADER", "SEQUENCE_HEADER", "StreamFormat", "audit_message", "shipped_anchor"]

StreamFormat = Literal["jsonl", "fhir"]
"""jsonl: the fields the hash covers and the hash; fhir: a FHIR R4 AuditEvent (IHE BALP)."""

SEQUENCE_HEADER: Final = "saattaja_audit_sequence"
"""The record's sequence in the audit log, in decimal."""
HASH_HEADER: Final = "saattaja_audit_hash"
"""The record's hash: with the sequence, where a reader (or the stream, resuming) stands."""

_SHA256_HEX: Final = re.compile(r"[0-9a-f]{64}")
_CONTENT_TYPES: Final[Mapping[StreamFormat, bytes]] = {
    "jsonl": b"application/json",
    "fhir": b"application/fhir+json",
}


def audit_message(
    record: AuditRecord, stream_format: StreamFormat, organisations: Mapping[str, str]
) -> KafkaRecord:
    """The message for ``record``: keyed by the client's pseudonym, as the other topics are.

    ``organisations`` (OID to name) names the agents of a FHIR AuditEvent. The sequence and
    hash ride in headers in both formats, so that a reader can check the chain's order
    (and the stream resume) without parsing the value.
    """
    document = (
        audit_event(record, organisations) if stream_format == "fhir" else record_json(record)
    )
    headers: KafkaHeaders = (
        ("content-type", _CONTENT_TYPES[stream_format]),
        (SEQUENCE_HEADER, str(record.sequence).encode()),
        (HASH_HEADER, record.hash.encode()),
    )
    return KafkaRecord(key=record.client.encode(), headers=headers, value=orjson.dumps(document))


def shipped_anchor(headers: KafkaHeaders, *, offset: int) -> ChainAnchor:
    """The audit record a message of the audit topic carries; AuditStreamError if none."""
    found = dict(headers)
    try:
        sequence = int(found[SEQUENCE_HEADER].decode("ascii"))
        anchor = ChainAnchor(sequence, found[HASH_HEADER].decode("ascii"))
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        raise AuditStreamError(
            f"the message at offset {offset} of the audit topic has no valid "
            f"{SEQUENCE_HEADER} and {HASH_HEADER} headers: it was not written by "
            "`saattaja audit stream`, and which record it holds cannot be told. Only the "
            "audit stream may write the audit topic (see `saattaja topics acls`)"
        ) from exc
    if sequence < 1 or not _SHA256_HEX.fullmatch(anchor.hash):
        raise AuditStreamError(
            f"the message at offset {offset} of the audit topic names record {anchor}, "
            "which is not an audit record's sequence and hash"
        )
    return anchor
