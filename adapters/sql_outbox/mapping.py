"""An outbox row becomes an event of the contract; a received event becomes an inbox row."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import ValidationError

from adapters.sql_outbox.errors import InvalidRowError
from schemas import (
    EVENT_TYPES,
    REJECTION_NOTICE_TYPE,
    ROUTER_SOURCE,
    Event,
    RejectionNotice,
    echoed,
    validation_problems,
)
from schemas.events import ce_type_of

__all__ = [
    "EVENT_ID_NAMESPACE",
    "InboxRow",
    "OutboxRow",
    "created_at_of",
    "event_from_row",
    "payload_of",
    "row_event_id",
]

EVENT_ID_NAMESPACE: Final = uuid.UUID("2b0f6c6e-8f8e-5d1e-9a55-5a4f7e0c0b71")
"""uuid5 namespace of event ids derived from outbox rows; never change it."""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One row of the outbox table, as read."""

    id: int
    event_type: str
    payload: Any
    """A JSON object, or its text (as SQLite gives it)."""
    created_at: datetime | str
    """A moment, or its text (as SQLite gives it); without an offset it is in UTC."""


@dataclass(frozen=True, slots=True)
class InboxRow:
    """What is written into the inbox table for one received event or notice."""

    event_id: str
    event_type: str
    client: str | None
    sender: str
    payload: dict[str, Any]

    @classmethod
    def of_event(cls, event: Event) -> InboxRow:
        """The event as the receiving organisation's system reads it."""
        return cls(
            event_id=str(event.event_id),
            event_type=event.ce_type(),
            client=event.client,
            sender=event.sender,
            payload=event.model_dump(mode="json"),
        )

    @classmethod
    def of_notice(cls, notice: RejectionNotice) -> InboxRow:
        """A rejection notice: no client, the router as sender, the reason in the payload."""
        return cls(
            event_id=str(notice.notice_id),
            event_type=REJECTION_NOTICE_TYPE,
            client=None,
            sender=ROUTER_SOURCE,
            payload=notice.model_dump(mode="json"),
        )


def row_event_id(sender_oid: str, table: str, row_id: int) -> uuid.UUID:
    """The event id of a row without one: the same every time the row is read."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{sender_oid}/{table}/{row_id}")


def event_from_row(row: OutboxRow, *, sender_oid: str, table: str) -> Event:
    """The row's event; InvalidRowError says what is wrong with the row, for its error column."""
    event_class = _event_class(row.event_type)
    fields = payload_of(row.payload)
    # The row's own values win, so a system may send its own ids and times; the defaults
    # make the minimal row (just the domain record) enough.
    fields.setdefault("sender", sender_oid)
    fields.setdefault("event_id", str(row_event_id(sender_oid, table, row.id)))
    if "occurred_at" not in fields:
        fields["occurred_at"] = created_at_of(row.created_at).isoformat()
    try:
        return event_class.model_validate(fields)
    except ValidationError as exc:
        problems = validation_problems(exc, whole="payload", limit=None)
        raise InvalidRowError(
            f"payload is not a valid {event_class.ce_type()}: {problems}"
        ) from exc


def _event_class(event_type: str) -> type[Event]:
    for candidate in (event_type, ce_type_of(event_type)):
        if candidate in EVENT_TYPES:
            return EVENT_TYPES[candidate]
    # The router's own events are refused by publish: not suggested.
    known = ", ".join(
        sorted(cls.event_code for cls in EVENT_TYPES.values() if not cls.issued_by_router)
    )
    raise InvalidRowError(
        f"event_type {echoed(event_type)} is not in the Saattaja event catalogue v1: use one of "
        f"{known} (or its full type fi.saattaja.<type>.v1)"
    )


def created_at_of(value: datetime | str) -> datetime:
    """A row's created_at as a UTC moment; InvalidRowError when its text is not a time."""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InvalidRowError(
                f"created_at {echoed(text)} is not a date and time (YYYY-MM-DD HH:MM:SS, in UTC "
                "unless it names its offset): fix it, or give occurred_at in the payload"
            ) from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def payload_of(payload: Any) -> dict[str, Any]:
    """A row's payload as a JSON object; InvalidRowError when it is not one."""
    # A system that stores JSON as text (or a driver that returns it so) is accepted too.
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise InvalidRowError(f"payload is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise InvalidRowError(
            f"payload is a JSON {type(payload).__name__}, not an object with the event's fields"
        )
    return dict(payload)
