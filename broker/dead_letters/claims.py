"""What a rejected record claims to be, as an operator may be shown it."""

from __future__ import annotations

import uuid

from schemas import EVENT_TYPES, KafkaRecord, echoed

__all__ = ["claimed_identity"]


def claimed_identity(record: KafkaRecord) -> dict[str, str | None]:
    """The event id and type a rejected record claims, as a log line or a table may show them.

    A record that is refused may carry anything in its headers, an identity code or a name
    too: an id is shown only as a UUID, a type only as one of the catalogue's, anything else
    described without its value.
    """
    event_id, event_type = record.header("ce_id"), record.header("ce_type")
    return {
        "event_id": event_id if event_id is None or _is_uuid(event_id) else echoed(event_id),
        "type": event_type
        if event_type is None or event_type in EVENT_TYPES
        else echoed(event_type),
    }


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
