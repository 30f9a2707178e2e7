"""A message of the dead-letter topic: the rejected record, why, and where it came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka.structs import ConsumerRecord

from broker.dead_letters.headers import (
    DLQ_HEADERS,
    DLQ_OFFSET_HEADER,
    DLQ_PARTITION_HEADER,
    DLQ_REASON_HEADER,
    DLQ_REJECTED_AT_HEADER,
    DLQ_TOPIC_HEADER,
    DLQ_VALUE_LEFT_OUT_HEADER,
)
from schemas import KafkaRecord

__all__ = ["DeadLetter"]

_NO_REASON = "no reason given: the router did not write this message"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record the router rejected, as the dead-letter topic keeps it.

    Every field read from a header is None where the header is missing or unreadable:
    the topic may hold what someone else wrote, and listing it must not fail on that.
    """

    partition: int
    offset: int
    """Where the message is in the dead-letter topic."""
    reason: str
    rejected_at: datetime | None
    source_topic: str | None
    source_partition: int | None
    source_offset: int | None
    organisation: str | None
    """The registry id of the organisation whose outbox the record came from."""
    record: KafkaRecord
    """The rejected record as it arrived: its key, its own headers and its value."""
    value_left_out: str | None = None
    """Where Kafka refused the dead letter as too large: what the router says of the value
    it left out (``record.value`` is then empty, not the value that arrived)."""

    @classmethod
    def from_message(
        cls, message: ConsumerRecord[bytes, bytes], organisations_by_outbox: Mapping[str, str]
    ) -> DeadLetter:
        """Read a message; ``organisations_by_outbox`` maps an outbox topic to its organisation."""
        consumed = KafkaRecord.from_consumed(message)
        added = {name: value for name, value in consumed.headers if name in DLQ_HEADERS}
        source_topic = _text(added.get(DLQ_TOPIC_HEADER))
        return cls(
            partition=message.partition,
            offset=message.offset,
            reason=_text(added.get(DLQ_REASON_HEADER)) or _NO_REASON,
            rejected_at=_moment(added.get(DLQ_REJECTED_AT_HEADER)),
            source_topic=source_topic,
            source_partition=_number(added.get(DLQ_PARTITION_HEADER)),
            source_offset=_number(added.get(DLQ_OFFSET_HEADER)),
            organisation=None
            if source_topic is None
            else organisations_by_outbox.get(source_topic),
            record=KafkaRecord(
                key=consumed.key,
                headers=tuple(
                    (name, value) for name, value in consumed.headers if name not in DLQ_HEADERS
                ),
                value=consumed.value,
            ),
            # Present at all, the value is not the record's, whatever the header says.
            value_left_out=None
            if DLQ_VALUE_LEFT_OUT_HEADER not in added
            else _text(added[DLQ_VALUE_LEFT_OUT_HEADER]) or "of a size not given",
        )

    @property
    def event_id(self) -> str | None:
        """The record's ``ce_id``, where it has one."""
        return self.record.header("ce_id")

    @property
    def event_type(self) -> str | None:
        """The record's ``ce_type``, where it has one."""
        return self.record.header("ce_type")

    def to_json(self) -> dict[str, Any]:
        """The message for a program; the record in the form ``schemas validate`` reads.

        The value is the JSON it holds, or its text where it is not JSON; a header given
        more than once is the list of its values; bytes that are not UTF-8 (in the key, a
        header or the value) are shown as U+FFFD.
        """
        return {
            "rejected_at": None if self.rejected_at is None else self.rejected_at.isoformat(),
            "organisation": self.organisation,
            "event_id": self.event_id,
            "type": self.event_type,
            "reason": self.reason,
            "topic": self.source_topic,
            "partition": self.source_partition,
            "offset": self.source_offset,
            "dlq_partition": self.partition,
            "dlq_offset": self.offset,
            "value_left_out": self.value_left_out,
            "record": {
                "key": self.record.key.decode(errors="replace"),
                "headers": self.record.headers_json(),
                "value": _value_json(self.record.value),
            },
        }


def _text(value: bytes | None) -> str | None:
    if value is None:
        return None
    try:
        return value.decode()
    except UnicodeDecodeError:
        return None


def _number(value: bytes | None) -> int | None:
    text = _text(value)
    return int(text) if text is not None and text.isdecimal() else None


def _moment(value: bytes | None) -> datetime | None:
    text = _text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    # The router writes UTC with its offset; a time without one is taken as UTC too, so
    # that it compares with the others.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _value_json(value: bytes) -> Any:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value.decode(errors="replace")
