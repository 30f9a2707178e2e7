"""What the router put into an organisation's inbox topic, read back for the narration.

The router's own events (a handover package, a hint, an overdue notice) say more than
their audit records: which items a package lists, which assessment a hint points at. The
demo reads them where the organisation's adapter reads them, from its inbox, without a
consumer group, so the adapter's own progress is untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from aiokafka import TopicPartition

from broker.demo.stack import DemoStack
from broker.kafka import open_consumer
from broker.registry import Organisation
from broker.topics import inbox_topic
from schemas import Event, KafkaRecord

__all__ = ["from_inbox"]

_EVENT_ID_HEADER = "ce_id"
_FETCH_MS = 200


async def from_inbox(
    stack: DemoStack, organisation: Organisation, event_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Event]:
    """The events of ``event_ids`` as they stand in the organisation's inbox now, decoded."""
    assert stack.connection is not None  # noqa: S101 - set by stack.start()
    wanted = {str(event_id).encode() for event_id in event_ids}
    topic = inbox_topic(organisation.id)
    found: dict[uuid.UUID, Event] = {}
    if not wanted:
        return found
    async with open_consumer(stack.connection) as consumer:
        partitions = [
            TopicPartition(topic, partition) for partition in range(stack.settings.topic_partitions)
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        while any([await consumer.position(tp) < ends[tp] for tp in partitions]):
            batches = await consumer.getmany(*partitions, timeout_ms=_FETCH_MS)
            for records in batches.values():
                for consumed in records:
                    if _event_id(consumed) in wanted:
                        event = stack.codec.decode(KafkaRecord.from_consumed(consumed))
                        found[event.event_id] = event
    return found


def _event_id(consumed: Any) -> bytes | None:
    for name, value in consumed.headers or ():
        if name == _EVENT_ID_HEADER:
            return bytes(value)
    return None
