"""The rejection notice: what the router sends a sender whose event broke the contract.

Not an event about a client: an invalid event may not even say who the client is. It is
a FHIR message Bundle whose MessageHeader.response (code fatal-error) points at the
rejected event, with an OperationOutcome carrying the reason, so that the sending
organisation's adapter can show its IT team what to fix.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from schemas.codec import KafkaRecord
from schemas.errors import InvalidHeadersError
from schemas.fhir import build_message_bundle, parse_message_bundle
from schemas.headers import (
    CATEGORY_HEADER,
    CONTENT_TYPE,
    CONTENT_TYPE_HEADER,
    kafka_headers_schema,
)
from schemas.identifiers import Oid
from schemas.moments import Moment

__all__ = ["REJECTION_NOTICE_TYPE", "ROUTER_SOURCE", "RejectionNotice"]

REJECTION_NOTICE_TYPE: Final = "fi.saattaja.event.rejected.v1"
ROUTER_SOURCE: Final = "urn:saattaja:router"
_EVENT_CODE: Final = "event.rejected"
_UNKNOWN: Final = "unknown"


class RejectionNotice(BaseModel):
    """Tells an organisation that one of its events went to the dead-letter topic, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    notice_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    rejected_at: Moment
    recipient: Oid = Field(description="The organisation whose event was rejected.")
    rejected_event_id: str | None = Field(
        default=None, description="ce_id of the rejected event, when it had a readable one."
    )
    reason: str = Field(min_length=1, max_length=4_000)
    source_topic: str
    source_partition: int
    source_offset: int

    @staticmethod
    def kafka_headers_schema() -> dict[str, Any]:
        """JSON Schema of a notice's Kafka headers: an event's, from the router, about no client."""
        schema = kafka_headers_schema(REJECTION_NOTICE_TYPE)
        for header in ("ce_subject", CATEGORY_HEADER):
            del schema["properties"][header]
            schema["required"].remove(header)
        schema["properties"]["ce_source"] = {"type": "string", "const": ROUTER_SOURCE}
        return schema

    def encode(self, key: bytes | None) -> KafkaRecord:
        """The record for the sender's inbox, keyed like the rejected event."""
        value = build_message_bundle(
            event_id=self.notice_id,
            event_code=_EVENT_CODE,
            timestamp=self.rejected_at,
            source_oid=None,
            source_endpoint=ROUTER_SOURCE,
            destinations=(self.recipient,),
            resources=[self._outcome()],
            response={
                "identifier": self.rejected_event_id or _UNKNOWN,
                "code": "fatal-error",
            },
        )
        headers = (
            ("ce_specversion", b"1.0"),
            ("ce_id", str(self.notice_id).encode()),
            ("ce_source", ROUTER_SOURCE.encode()),
            ("ce_type", REJECTION_NOTICE_TYPE.encode()),
            ("ce_time", self.rejected_at.isoformat().encode()),
            (CONTENT_TYPE_HEADER, CONTENT_TYPE.encode()),
        )
        return KafkaRecord(key=key or b"", headers=headers, value=value)

    def _outcome(self) -> dict[str, object]:
        return {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": "invalid",
                    "diagnostics": self.reason,
                    "expression": [
                        f"{self.source_topic}/{self.source_partition}@{self.source_offset}"
                    ],
                }
            ],
        }

    @classmethod
    def decode(cls, record: KafkaRecord) -> RejectionNotice:
        """Read a notice from an inbox record."""
        types = [value for name, value in record.headers if name == "ce_type"]
        if types != [REJECTION_NOTICE_TYPE.encode()]:
            raise InvalidHeadersError(
                f"not a rejection notice: ce_type is not {REJECTION_NOTICE_TYPE}"
            )
        bundle = parse_message_bundle(record.value)
        issue = bundle.resources[0].first("issue")
        where = issue.strings("expression")[0] if issue.strings("expression") else "?/0@0"
        topic, _, position = where.rpartition("/")
        partition, _, offset = position.partition("@")
        identifier = bundle.response.text("identifier") if bundle.response else _UNKNOWN
        return cls(
            notice_id=bundle.event_id,
            rejected_at=bundle.timestamp,
            recipient=bundle.destinations[0],
            rejected_event_id=None if identifier == _UNKNOWN else identifier,
            reason=issue.text("diagnostics"),
            source_topic=topic,
            source_partition=int(partition),
            source_offset=int(offset),
        )
