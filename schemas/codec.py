"""Events to Kafka records and back: CloudEvents headers, pseudonym key, FHIR Bundle value."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError

from schemas.echo import echoed, validation_problems
from schemas.errors import (
    InvalidBundleError,
    InvalidHeadersError,
    PayloadTooLargeError,
)
from schemas.events import EVENT_TYPES, Envelope, Event, event_class_for
from schemas.fhir import build_message_bundle, parse_message_bundle
from schemas.headers import EventHeaders, KafkaHeaders
from schemas.identifiers import Pseudonymiser, oid_urn

__all__ = ["EventCodec", "KafkaRecord"]

# The event codes of the catalogue, which a reason may quote: none can be personal data.
_EVENT_CODES: Final = frozenset(event_class.event_code for event_class in EVENT_TYPES.values())


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    """One Kafka record as it travels: key, headers and value bytes."""

    key: bytes
    headers: KafkaHeaders
    value: bytes

    @classmethod
    def from_consumed(cls, consumed: Any) -> KafkaRecord:
        """A record as a Kafka consumer gave it (aiokafka's ConsumerRecord).

        A missing key or value, or a header whose value is null, becomes empty bytes.
        """
        return cls(
            key=consumed.key or b"",
            headers=tuple((name, value or b"") for name, value in consumed.headers or ()),
            value=consumed.value or b"",
        )

    def header(self, name: str) -> str | None:
        """The first value of the header ``name`` as text (bytes not UTF-8 as U+FFFD)."""
        for key, value in self.headers:
            if key == name:
                return value.decode("utf-8", errors="replace")
        return None

    def to_json(self) -> dict[str, Any]:
        """The documentation form: ``{"key": ..., "headers": {...}, "value": <Bundle>}``."""
        return {
            "key": self.key.decode(),
            "headers": self.headers_json(),
            "value": json.loads(self.value),
        }

    def headers_json(self) -> dict[str, str | list[str]]:
        """Each header's text; one given more than once as the list of its values, in order.

        Bytes that are not UTF-8 are shown as U+FFFD.
        """
        texts: dict[str, list[str]] = {}
        for name, value in self.headers:
            texts.setdefault(name, []).append(value.decode(errors="replace"))
        return {name: values[0] if len(values) == 1 else values for name, values in texts.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KafkaRecord:
        """Read the documentation form back into the bytes that travel."""
        try:
            key, headers, value = data["key"], data["headers"], data["value"]
        except KeyError as exc:
            raise InvalidHeadersError(
                f"an event record has keys key, headers and value; {exc.args[0]!r} is missing"
            ) from exc
        if not isinstance(key, str) or not isinstance(headers, Mapping):
            raise InvalidHeadersError("key must be a string and headers an object of strings")
        return cls(
            key=key.encode(),
            headers=tuple(
                (str(name), str(text).encode())
                for name, texts in headers.items()
                for text in (texts if isinstance(texts, list) else [texts])
            ),
            value=json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(),
        )


@dataclass(frozen=True, slots=True)
class EventCodec:
    """Encodes events for the wire and decodes them, checking every part against the others."""

    pseudonymiser: Pseudonymiser
    max_event_bytes: int = 1_048_576

    def encode(self, event: Event, *, validate: bool = True) -> KafkaRecord:
        """The Kafka record of an event; its Bundle is validated before it leaves.

        ``validate=False`` skips the fhir.resources validation of the Bundle, for a caller
        that builds the same few shapes many times (the router's own events and minimised
        copies), whose FHIR the contract tests validate for every event type.
        """
        value = build_message_bundle(
            event_id=event.event_id,
            event_code=event.event_code,
            timestamp=event.occurred_at,
            source_oid=event.sender,
            destinations=event.destinations(),
            resources=event.fhir_resources(),
            validate=validate,
        )
        self._check_size(value)
        pseudonym = self.pseudonymiser.pseudonym(event.client)
        headers = EventHeaders(
            id=event.event_id,
            source=oid_urn(event.sender),
            type=event.ce_type(),
            subject=pseudonym,
            time=event.occurred_at,
            category=event.category,
        )
        return KafkaRecord(key=pseudonym.encode(), headers=headers.to_kafka(), value=value)

    def read_headers(self, record: KafkaRecord) -> EventHeaders:
        """What routing needs, read without parsing the payload."""
        self._check_size(record.value)
        headers = EventHeaders.from_kafka(record.headers)
        event_class_for(headers.type)
        if not record.key:
            raise InvalidHeadersError(
                "the record has no Kafka key: key it by ce_subject, the client pseudonym, so "
                "that a client's events keep their order"
            )
        if record.key != headers.subject.encode():
            raise InvalidHeadersError(
                "the Kafka key differs from ce_subject: both must be the client pseudonym"
            )
        return headers

    def decode(self, record: KafkaRecord) -> Event:
        """The event of a record; ContractError naming the first thing that is wrong."""
        headers = self.read_headers(record)
        event_class = event_class_for(headers.type)
        if not record.value:
            raise InvalidBundleError(
                "the record has no value (a tombstone, or empty): an event's value is its "
                "FHIR message Bundle"
            )
        bundle = parse_message_bundle(record.value)
        if bundle.event_code != event_class.event_code:
            raise InvalidBundleError(
                f"MessageHeader.eventCoding is {echoed(bundle.event_code, known=_EVENT_CODES)} "
                f"but ce_type is {headers.type!r}: they must name the same event"
            )
        if bundle.event_id != headers.id:
            raise InvalidBundleError(
                f"Bundle.identifier names event {bundle.event_id} but ce_id is {headers.id}"
            )
        if bundle.timestamp != headers.time:
            raise InvalidBundleError(
                f"Bundle.timestamp {bundle.timestamp.isoformat()} differs from ce_time "
                f"{headers.time.isoformat()}"
            )
        if bundle.source.text("endpoint") != headers.source:
            raise InvalidBundleError(
                f"MessageHeader.source.endpoint is {echoed(bundle.source.text('endpoint'))}, "
                f"which differs from ce_source {headers.source!r}"
            )
        event_class.check_focal_types(bundle.resources)
        envelope = Envelope(
            event_id=headers.id,
            occurred_at=headers.time,
            sender=headers.source_oid,
            destinations=bundle.destinations,
        )
        try:
            event = event_class.from_fhir(envelope, bundle.resources)
        except ValidationError as exc:
            problems = validation_problems(exc, whole="event")
            raise InvalidBundleError(f"{headers.type}: {problems}") from exc
        self._check_agrees(event, headers, bundle.destinations)
        return event

    def _check_agrees(
        self, event: Event, headers: EventHeaders, destinations: tuple[str, ...]
    ) -> None:
        if event.sender != headers.source_oid:
            raise InvalidBundleError(
                f"the focal resources name {event.sender} as the sending organisation "
                f"but ce_source is {headers.source}"
            )
        if event.category != headers.category:
            raise InvalidHeadersError(
                f"header saattaja_category is {headers.category.value!r} but the event is "
                f"{event.category.value!r}"
            )
        if self.pseudonymiser.pseudonym(event.client) != headers.subject:
            raise InvalidHeadersError(
                "ce_subject is not the pseudonym of the client in the Bundle: the sender used "
                "another pseudonym secret or another client"
            )
        if destinations != event.destinations():
            raise InvalidBundleError(
                f"MessageHeader.destination names {', '.join(destinations) or 'nobody'} but the "
                f"focal resources address {', '.join(event.destinations()) or 'nobody'}"
            )

    def _check_size(self, value: bytes) -> None:
        if len(value) > self.max_event_bytes:
            raise PayloadTooLargeError(
                f"event value is {len(value)} bytes, over the limit of {self.max_event_bytes} "
                "(SAATTAJA_MAX_EVENT_BYTES); send large documents by reference instead"
            )
