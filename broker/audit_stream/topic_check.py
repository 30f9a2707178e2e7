"""Checking the audit topic on its own: the copy of the log that a SIEM or an auditor keeps.

The stream checks each record against the database before it sends it; this checks what
the topic holds, without the database: every record's hash recomputed from the fields the
message carries, each linked to the one before it, no sequence missing. Copies of a record
(a batch sent again after a lost acknowledgement, a stream that took over) are dropped as
a reader would drop them. Only the jsonl format carries the fields a hash covers.
"""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Final

import orjson

from broker.audit_stream.messages import shipped_anchor
from broker.audit_stream.position import read_audit_topic
from broker.errors import AuditStreamError
from broker.kafka import KafkaConnection
from broker.topics import AUDIT_TOPIC
from consent.audit import GENESIS_HASH, ChainAnchor, ChainWalk, VerificationResult

__all__ = ["TopicCheck", "check_topic_chain"]

_JSONL: Final = b"application/json"


@dataclass(frozen=True, slots=True)
class TopicCheck:
    """What the audit topic holds, and whether its chain is whole."""

    result: VerificationResult
    first_sequence: int | None
    """The sequence the topic starts with: 1, unless its retention dropped older records."""
    copies: int
    """Messages dropped as copies of a record already checked."""

    def describe(self) -> str:
        """One line for a person."""
        if self.first_sequence is None:
            return f"{AUDIT_TOPIC} holds no audit record"
        copies = f"; {self.copies} cop{'y' if self.copies == 1 else 'ies'} dropped"
        start = "" if self.first_sequence == 1 else f" from record {self.first_sequence} on"
        return f"{self.result.describe()}{start}{copies if self.copies else ''}"


async def check_topic_chain(connection: KafkaConnection) -> TopicCheck:
    """Walk the audit topic from its start; AuditStreamError at a message it cannot read."""
    walk: ChainWalk | None = None
    first: int | None = None
    last = ChainAnchor(0, GENESIS_HASH)
    copies = 0
    async with aclosing(read_audit_topic(connection)) as batches:
        async for batch in batches:
            for message in batch:
                anchor = shipped_anchor(tuple(message.headers), offset=message.offset)
                if walk is not None and anchor.sequence <= last.sequence:
                    copies += 1
                    continue
                fields, stored = _fields(message.headers, message.value, message.offset)
                if walk is None:
                    first = fields["sequence"]
                    # A topic whose retention dropped older records starts later: its first
                    # record's link is taken as given.
                    after = ChainAnchor(first - 1, fields["previous_hash"]) if first > 1 else None
                    walk = ChainWalk(after=after, chain=AUDIT_TOPIC)
                if stored != anchor.hash:
                    raise AuditStreamError(
                        f"the message at offset {message.offset} of {AUDIT_TOPIC} carries record "
                        f"{anchor} in its headers but the hash {stored} in its value"
                    )
                if not walk.step(fields, stored):
                    break
                last = anchor
            if walk is not None and walk.broken:
                break
    if walk is None:
        return TopicCheck(ChainWalk(chain=AUDIT_TOPIC).finish(0, GENESIS_HASH), None, copies)
    return TopicCheck(walk.finish(last.sequence, last.hash), first, copies)


def _fields(headers: Any, value: bytes, offset: int) -> tuple[Any, str]:
    """The fields a record's hash covers, and its hash, from a jsonl message."""
    content_type = dict(headers).get("content-type")
    if content_type != _JSONL:
        raise AuditStreamError(
            f"the message at offset {offset} of {AUDIT_TOPIC} is {content_type!r}, not a jsonl "
            "record: only SAATTAJA_AUDIT_STREAM_FORMAT=jsonl carries the fields a hash covers, "
            "so a topic of FHIR AuditEvents can be checked against the database only "
            "(`saattaja audit verify --anchor-from-topic`)"
        )
    try:
        fields = orjson.loads(value)
        stored = fields.pop("hash")
        sequence = fields["sequence"]
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise _not_a_record(offset, f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(sequence, int) or not isinstance(stored, str):
        raise _not_a_record(offset, "its sequence is not a number or its hash not a string")
    return fields, stored


def _not_a_record(offset: int, why: str) -> AuditStreamError:
    return AuditStreamError(
        f"the message at offset {offset} of {AUDIT_TOPIC} is not an audit record as the "
        f"audit stream writes it ({why})"
    )
