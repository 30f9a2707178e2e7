"""CloudEvents 1.0 attributes in the Kafka protocol binding, binary content mode.

Routing reads only these headers: the payload need not be parsed to know who sent what
about which client, and of which data category.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.categories import DataCategory
from schemas.echo import echoed
from schemas.errors import InvalidHeadersError
from schemas.identifiers import ClientPseudonym, EventId, OidUrn, oid_from_urn
from schemas.moments import EventTime

__all__ = [
    "CATEGORY_HEADER",
    "CONTENT_TYPE",
    "CONTENT_TYPE_HEADER",
    "EVENT_TYPE_PATTERN",
    "EventHeaders",
    "KafkaHeaders",
    "kafka_headers_schema",
]

KafkaHeaders = tuple[tuple[str, bytes], ...]

CONTENT_TYPE: Final = "application/fhir+json"
CONTENT_TYPE_HEADER: Final = "content-type"
CATEGORY_HEADER: Final = "saattaja_category"
EVENT_TYPE_PATTERN: Final = re.compile(r"^fi\.saattaja\.[a-z]+\.[a-z]+\.v[1-9][0-9]*$")

# What a header's schema keeps of its field's: a header value is always text.
_KEPT_KEYWORDS: Final = ("description", "const", "pattern", "minLength", "maxLength", "format")

# Kafka header name -> EventHeaders field, in the order they are written.
_HEADER_FIELDS: Final = {
    "ce_specversion": "specversion",
    "ce_id": "id",
    "ce_source": "source",
    "ce_type": "type",
    "ce_subject": "subject",
    "ce_time": "time",
    CONTENT_TYPE_HEADER: "datacontenttype",
    CATEGORY_HEADER: "category",
}


def kafka_headers_schema(
    event_type: str, categories: Iterable[DataCategory] = tuple(DataCategory)
) -> dict[str, Any]:
    """JSON Schema of an event's Kafka headers as they travel: header names, text values.

    ``categories``: the data categories an event of the type can have; the router refuses
    a record whose header names another.
    """
    model = EventHeaders.model_json_schema()
    properties: dict[str, Any] = {}
    for header, field in _HEADER_FIELDS.items():
        described = model["properties"][field]
        properties[header] = {"type": "string"} | {
            key: value for key, value in described.items() if key in _KEPT_KEYWORDS
        }
    properties["ce_type"]["const"] = event_type
    wanted = set(categories)
    properties[CATEGORY_HEADER]["enum"] = [
        category.value for category in DataCategory if category in wanted
    ]
    return {"type": "object", "properties": properties, "required": list(_HEADER_FIELDS)}


class EventHeaders(BaseModel):
    """The Kafka headers of one event."""

    model_config = ConfigDict(frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: EventId = Field(description="Event id: the idempotency key from outbox to inbox.")
    source: OidUrn = Field(description="The sending organisation as urn:oid:<OID>.")
    type: str = Field(
        description="fi.saattaja.<kind>.<action>.v1",
        json_schema_extra={"pattern": EVENT_TYPE_PATTERN.pattern},
    )
    subject: ClientPseudonym = Field(description="Client pseudonym; also the Kafka key.")
    time: EventTime = Field(
        description="When the event happened at the sender, in the years 1900-2999."
    )
    datacontenttype: Literal["application/fhir+json"] = CONTENT_TYPE
    category: DataCategory = Field(description="Data category that consent decisions use.")

    @field_validator("type")
    @classmethod
    def _type_is_saattaja_type(cls, value: str) -> str:
        if not EVENT_TYPE_PATTERN.match(value):
            raise ValueError(f"{echoed(value)} is not of the form fi.saattaja.<kind>.<action>.v<N>")
        return value

    @property
    def source_oid(self) -> str:
        """The sending organisation's OID without the urn:oid: prefix."""
        return oid_from_urn(self.source)

    def to_kafka(self) -> KafkaHeaders:
        """Kafka headers, UTF-8 encoded."""
        values = {
            "specversion": self.specversion,
            "id": str(self.id),
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time.isoformat(),
            "datacontenttype": self.datacontenttype,
            "category": self.category.value,
        }
        return tuple((header, values[field].encode()) for header, field in _HEADER_FIELDS.items())

    @classmethod
    def from_kafka(cls, headers: Iterable[tuple[str, bytes]]) -> EventHeaders:
        """Read the headers of a consumed record; raise InvalidHeadersError naming the header."""
        raw: dict[str, str] = {}
        for name, value in headers:
            if name not in _HEADER_FIELDS:
                continue
            if _HEADER_FIELDS[name] in raw:
                raise InvalidHeadersError(
                    f"header {name} appears more than once: an event carries each of its "
                    "headers once, since readers that take the first value and readers that "
                    "take the last would read different events"
                )
            try:
                raw[_HEADER_FIELDS[name]] = value.decode()
            except UnicodeDecodeError as exc:
                raise InvalidHeadersError(f"header {name} is not UTF-8 text") from exc
        missing = [name for name, field in _HEADER_FIELDS.items() if field not in raw]
        if missing:
            raise InvalidHeadersError(
                f"missing header(s) {', '.join(missing)}: every event carries the CloudEvents "
                "attributes in binary mode and its data category"
            )
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            field_to_header = {field: header for header, field in _HEADER_FIELDS.items()}
            problems = "; ".join(
                f"header {field_to_header.get(str(error['loc'][0]), error['loc'][0])} "
                f"is {_shown(error['loc'][0], error['input'])}: {error['msg']}"
                for error in exc.errors()
            )
            raise InvalidHeadersError(problems) from exc


def _shown(field: object, value: object) -> str:
    # A sender that wrongly puts an identity code in ce_subject, or anything else in another
    # header, must not see it echoed into dead-letter reasons and logs.
    if field == "subject":
        return "not shown (it may identify the client)"
    return echoed(str(value))
