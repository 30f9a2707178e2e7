"""Rejected events: kept unchanged in the dead-letter topic, and the sender told why."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime

from aiokafka.errors import MessageSizeTooLargeError

from broker.dead_letters import (
    DLQ_HEADERS,
    DLQ_OFFSET_HEADER,
    DLQ_PARTITION_HEADER,
    DLQ_REASON_HEADER,
    DLQ_REJECTED_AT_HEADER,
    DLQ_TOPIC_HEADER,
    DLQ_VALUE_LEFT_OUT_HEADER,
)
from broker.kafka import Outbound
from broker.pathway import derived_id
from broker.router.incoming import IncomingRecord
from broker.topics import DLQ_TOPIC
from schemas import (
    InvalidIdentifierError,
    KafkaRecord,
    RejectionNotice,
    check_pseudonym,
)

__all__ = ["dead_letter_record", "rejection_notice", "send_rejections"]


def dead_letter_record(incoming: IncomingRecord, reason: str, at: datetime) -> KafkaRecord:
    """The rejected record unchanged, with headers giving the reason and where it came from.

    Headers of the router's own names that the record carried (it is refused for them) are
    left out, so that a reader of the dead letter finds only the router's.
    """
    record = incoming.record
    return KafkaRecord(
        key=record.key,
        headers=(
            *(header for header in record.headers if header[0] not in DLQ_HEADERS),
            (DLQ_REASON_HEADER, reason.encode()),
            (DLQ_TOPIC_HEADER, incoming.topic.encode()),
            (DLQ_PARTITION_HEADER, str(incoming.partition).encode()),
            (DLQ_OFFSET_HEADER, str(incoming.offset).encode()),
            (DLQ_REJECTED_AT_HEADER, at.isoformat().encode()),
        ),
        value=record.value,
    )


def rejection_notice(
    incoming: IncomingRecord, reason: str, at: datetime, sender_oid: str
) -> KafkaRecord:
    """The notice for the sender's inbox, naming its event where the event had a readable id."""
    ids = [value for name, value in incoming.record.headers if name == "ce_id"]
    try:
        event_id = ids[0].decode() if ids else None
    except UnicodeDecodeError:
        event_id = None
    notice = RejectionNotice(
        notice_id=_notice_id(incoming),
        rejected_at=at,
        recipient=sender_oid,
        rejected_event_id=event_id if event_id and len(event_id) <= 64 else None,
        reason=reason,
        source_topic=incoming.topic,
        source_partition=incoming.partition,
        source_offset=incoming.offset,
    )
    # Keyed as the event was, in the sender's inbox, unless its key is not a pseudonym: a
    # sender that wrongly keyed it by an identity code must not have it copied on.
    return notice.encode(_pseudonym_key(incoming.record.key))


def _notice_id(incoming: IncomingRecord) -> uuid.UUID:
    """The same each time one record is rejected (routed again after a crash), so that the
    sender's adapter, which takes an event id once, takes the notice once.

    Its position alone would not do: a Kafka that came back empty (the embedded broker)
    numbers the next records from 0 again.
    """
    record = incoming.record
    digest = hashlib.sha256(record.value)
    for name, value in record.headers:
        digest.update(b"\0" + name.encode() + b"\0" + value)
    return derived_id(
        "rejected", incoming.topic, incoming.partition, incoming.offset, digest.hexdigest()
    )


def _pseudonym_key(key: bytes) -> bytes | None:
    try:
        check_pseudonym(key.decode())
    except (UnicodeDecodeError, InvalidIdentifierError):
        return None
    return key


async def send_rejections(outbound: Outbound, rejected: Sequence[tuple[str, KafkaRecord]]) -> None:
    """Send dead letters and notices; a dead letter Kafka refuses as too large goes without value.

    A dead letter is its record with the router's headers added: a record its outbox took
    at the largest size that topic allows can be too large for saattaja.dlq. Refused, it
    would be retried as if Kafka were down, for ever, and hold up its partition; sent
    without its value, the reason still reaches the dead-letter topic and the sender, whose
    outbox keeps the record until its retention.
    """
    try:
        await outbound.send_all(rejected)
    except MessageSizeTooLargeError:
        # Which one Kafka refused is not said: each goes again alone (the ones already
        # taken are then in the topic twice, as a retry after an outage leaves them).
        for topic, record in rejected:
            try:
                await outbound.send_all([(topic, record)])
            except MessageSizeTooLargeError:
                if topic != DLQ_TOPIC:
                    raise
                await outbound.send_all([(topic, _without_value(record))])


def _without_value(record: KafkaRecord) -> KafkaRecord:
    left_out = f"{len(record.value)} bytes: too large for saattaja.dlq with the router's headers"
    return KafkaRecord(
        key=record.key,
        headers=(*record.headers, (DLQ_VALUE_LEFT_OUT_HEADER, left_out.encode())),
        value=b"",
    )
