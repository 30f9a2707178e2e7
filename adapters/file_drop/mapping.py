"""From a record of an export file to an event of the contract.

A JSON record is the event model itself (``type`` plus its fields). A CSV row is flat,
so a few columns are folded into the nested parts of the model (see the package
docstring for the column contract). The event id is the record's own ``event_id`` or a
uuid5 of the organisation, the file name, the record's position and its content, so that
reading a file again gives the same ids.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Final, get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from adapters.file_drop.reading import RawRecord
from schemas import EVENT_TYPES, Event, echoed, validation_message

__all__ = ["EVENT_ID_NAMESPACE", "RecordError", "event_id_for", "to_event"]

EVENT_ID_NAMESPACE: Final = uuid.UUID("2f0d9a52-4c1e-5b8e-9d6a-7f3b1c2e8a40")
"""Fixed for ever: changing it would give a re-dropped file new event ids."""

_CLASSES: Final[Mapping[str, type[Event]]] = {
    **{cls.event_code: cls for cls in EVENT_TYPES.values()},
    **EVENT_TYPES,
}
_LIST_COLUMNS: Final = frozenset(
    {"team", "recipients", "sources", "categories", "documents", "service_tasks"}
)
_TIME_COLUMNS: Final = frozenset(
    {"occurred_at", "valid_from", "valid_until", "start", "end", "activity_start", "activity_end"}
)
_SCOPE: Final = ("recipients", "sources", "categories", "documents", "service_tasks")
_KYKYVIISARI: Final = (
    "overall",
    "mental_wellbeing",
    "social_participation",
    "physical_functioning",
    "competence",
    "everyday_life",
)
_PROFESSIONAL: Final = ("domain", "kind", "title", "conclusion", "work_ability")
_ACTIVITY: Final = "activity_"


class RecordError(ValueError):
    """A record that cannot become an event; the message says what to fix."""


def event_id_for(organisation_oid: str, file_name: str, record: RawRecord) -> uuid.UUID:
    """The deterministic event id of a record that does not carry its own.

    The record's content is part of it, besides its position: a fixed record dropped
    again in the same place must not take the id of the record that stood there before,
    or receivers would drop it as a duplicate.
    """
    content = json.dumps(record.fields, sort_keys=True, ensure_ascii=False, default=str)
    name = f"{organisation_oid}/{file_name}/{record.position}/{content}"
    return uuid.uuid5(EVENT_ID_NAMESPACE, name)


def to_event(record: RawRecord, *, sender: str, file_name: str, zone: ZoneInfo) -> Event:
    """The event a record describes, with ``sender`` and a deterministic id unless it names them."""
    fields = dict(record.fields)
    type_name = fields.pop("type", None)
    if not isinstance(type_name, str) or type_name not in _CLASSES:
        # The router's own events are refused by publish: not suggested.
        known = ", ".join(
            cls.event_code for cls in EVENT_TYPES.values() if not cls.issued_by_router
        )
        shown = echoed(type_name, known=_CLASSES) if isinstance(type_name, str) else "missing"
        raise RecordError(f"type {shown} is not an event type; use one of {known}")
    event_class = _CLASSES[type_name]
    if record.flat:
        fields = _unflatten(event_class.event_code, fields, zone)
    payload = {
        "sender": sender,
        "event_id": str(event_id_for(sender, file_name, record)),
        **fields,
    }
    try:
        return event_class.model_validate(payload)
    except ValidationError as exc:
        raise RecordError(
            "; ".join(_describe(event_class, error, flat=record.flat) for error in exc.errors())
        ) from exc


def _unflatten(event_code: str, columns: dict[str, object], zone: ZoneInfo) -> dict[str, object]:
    fields: dict[str, object] = {}
    for column, value in columns.items():
        text = str(value)
        if column in _LIST_COLUMNS:
            fields[column] = text.split()
        elif column in _TIME_COLUMNS:
            fields[column] = _aware(text, zone)
        else:
            fields[column] = text
    if event_code == "consent.granted":
        scope = {name: fields.pop(name) for name in _SCOPE if name in fields}
        if isinstance(recipients := scope.get("recipients"), list):
            # An OID starts with a digit; anything else is an organisation kind (kela, typ...).
            scope["recipients"] = [
                {"organisation": r} if r[:1].isdigit() else {"kind": r} for r in recipients
            ]
        fields["scope"] = scope
    elif event_code == "assessment.recorded":
        kykyviisari = any(name in fields for name in _KYKYVIISARI)
        names = _KYKYVIISARI if kykyviisari else _PROFESSIONAL
        assessment = {name: fields.pop(name) for name in names if name in fields}
        method = "kykyviisari" if kykyviisari else "professional"
        fields["assessment"] = {"method": method, **assessment}
    elif event_code.startswith("plan."):
        activity = {
            name.removeprefix(_ACTIVITY): fields.pop(name)
            for name in list(fields)
            if name.startswith(_ACTIVITY)
        }
        if activity:
            fields["activities"] = [activity]
    return fields


def _aware(text: str, zone: ZoneInfo) -> str:
    # Excel and most legacy exports write local time without an offset.
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # the model's own message says what a timestamp looks like
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()


def _describe(event_class: type[Event], error: ErrorDetails, *, flat: bool) -> str:
    loc = error["loc"]
    kind, message = error["type"], validation_message(error).removeprefix("Value error, ")
    # An extra's location ends in a name the organisation wrote, not one of the model's own;
    # every other location is the model's.
    extra = kind == "extra_forbidden"
    if flat:
        name = _column(loc)
        name = _shown(name) if extra else name
    else:
        parts = [str(part) for part in loc]
        if extra and parts:
            parts[-1] = _shown(parts[-1])
        name = ".".join(parts)
    label = f"column {name}" if flat else f"field {name}"
    code = event_class.event_code
    if kind == "missing":
        return f"{label} is required for {code}"
    if kind == "extra_forbidden":
        return f"{label} does not belong to {code}: leave it empty for this type"
    return f"{label}: {message}" if name else message


def _shown(name: str) -> str:
    """A field or column name as it may be shown: one the contract does not know is described.

    A key of a JSON record or a column of a CSV header is the organisation's to write, and
    may hold anything, an identity code too.
    """
    return name if name in _known_names() else echoed(name)


@cache
def _known_names() -> frozenset[str]:
    """Every field of the event models, nested ones too, and every column of the CSV contract."""
    names: set[str] = {"type", *_LIST_COLUMNS, *_TIME_COLUMNS, *_SCOPE, *_KYKYVIISARI}
    names.update(_PROFESSIONAL)
    pending: list[object] = list(EVENT_TYPES.values())
    seen: set[type[BaseModel]] = set()
    while pending:
        candidate = pending.pop()
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            if candidate in seen:
                continue
            seen.add(candidate)
            for field_name, field in candidate.model_fields.items():
                names.add(field_name)
                pending.append(field.annotation)
        else:
            pending.extend(get_args(candidate))
    names.update(_ACTIVITY + name for name in list(names))
    return frozenset(names)


def _column(loc: tuple[int | str, ...]) -> str:
    """The CSV column a validation error points at, undoing the folding of _unflatten."""
    names = [str(part) for part in loc if isinstance(part, str)]
    if not names:
        return ""
    if names[0] == "scope" and len(names) > 1:
        return names[1]
    if names[0] == "assessment":
        return names[-1]
    if names[0] == "activities":
        return _ACTIVITY + names[-1]
    return names[0]
