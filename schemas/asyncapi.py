"""The AsyncAPI document of the contract: the topics, and the events each one carries.

Generated from the event catalogue and the header model, never written by hand, like the
JSON Schemas it points at (``saattaja schemas export`` writes both, ``check`` compares).
"""

from __future__ import annotations

from typing import Any, Final

from schemas.events import EVENT_TYPES, ConsentGranted, ConsentRevoked, Event
from schemas.headers import CONTENT_TYPE, kafka_headers_schema
from schemas.notices import REJECTION_NOTICE_TYPE, RejectionNotice

__all__ = ["ASYNCAPI_FILE", "asyncapi_document"]

ASYNCAPI_FILE: Final = "saattaja.asyncapi.json"

# The value of every record is a FHIR R4 message Bundle; the event's own JSON Schema (the
# model it decodes to) is named beside it. What the router checks beyond FHIR's schema, no
# schema states: the description says it (beside a $ref, which takes no siblings, in allOf).
_FHIR_BUNDLE: Final = {
    "description": (
        "A FHIR R4 Bundle of type message: its MessageHeader first, whose focus names the "
        "focal resources by their entries' fullUrl. Beyond FHIR's own schema the router "
        "refuses a Bundle unless MessageHeader.eventCoding names the event of ce_type; "
        "Bundle.identifier.value is urn:uuid: and ce_id; Bundle.timestamp is the moment of "
        "ce_time; MessageHeader.source.endpoint is ce_source; the focal resources are of "
        "the event's types and hold what its model (x-saattaja-event-schema) holds, the "
        "client's identity code giving ce_subject's pseudonym and the destinations the "
        "organisations they address; no string holds a control character but tab, line "
        "feed and carriage return; and no JSON object holds a key twice."
    ),
    "allOf": [{"$ref": "https://hl7.org/fhir/R4/fhir.schema.json#/definitions/Bundle"}],
}
_KEY_DESCRIPTION: Final = (
    "The client's pseudonym, as in ce_subject: one client's events stay in one partition, in order."
)


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the event catalogue v1."""
    messages = {ce_type: _message(ce_type, model) for ce_type, model in EVENT_TYPES.items()}
    messages[REJECTION_NOTICE_TYPE] = _notice_message()
    published = [t for t, model in EVENT_TYPES.items() if not model.issued_by_router]
    delivered = [
        t
        for t, model in EVENT_TYPES.items()
        if not issubclass(model, ConsentGranted | ConsentRevoked)
    ]
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Saattaja events",
            "version": "1",
            "description": "The events organisations of Finnish work-ability support exchange "
            "through Saattaja: each organisation publishes to its outbox; the router decides "
            "per recipient with the client's consent, audits, and delivers to the inboxes.",
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": {
            "outbox": _channel(
                "saattaja.{organisation}.outbox",
                "What an organisation publishes; only the router reads it.",
                published,
            ),
            "inbox": _channel(
                "saattaja.{organisation}.inbox",
                "What the router delivers to an organisation, minimised to what it may see.",
                [*delivered, REJECTION_NOTICE_TYPE],
            ),
        },
        "operations": {
            "publish": {
                "action": "send",
                "summary": "An organisation's adapter publishes an event about a client.",
                "channel": {"$ref": "#/channels/outbox"},
                "messages": [_message_ref("outbox", t) for t in published],
            },
            "receive": {
                "action": "receive",
                "summary": "An organisation's adapter receives what it was permitted.",
                "channel": {"$ref": "#/channels/inbox"},
                "messages": [_message_ref("inbox", t) for t in [*delivered, REJECTION_NOTICE_TYPE]],
            },
        },
        "components": {"messages": messages},
    }


def _channel(address: str, description: str, types: list[str]) -> dict[str, Any]:
    return {
        "address": address,
        "description": description,
        "parameters": {
            "organisation": {"description": "The organisation's id in the registry, e.g. kela."}
        },
        "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in types},
    }


def _message_ref(channel: str, ce_type: str) -> dict[str, str]:
    return {"$ref": f"#/channels/{channel}/messages/{ce_type}"}


def _message(ce_type: str, model: type[Event]) -> dict[str, Any]:
    headers = kafka_headers_schema(ce_type, model.categories())
    subject = headers["properties"]["ce_subject"]
    key = {
        "type": "string",
        **{keyword: subject[keyword] for keyword in ("pattern", "minLength", "maxLength")},
        "description": _KEY_DESCRIPTION,
    }
    return _described(ce_type, model.__name__, model.__doc__, headers, key) | {
        "x-saattaja-event-schema": f"{ce_type}.schema.json"
    }


def _notice_message() -> dict[str, Any]:
    key = {"type": "string", "description": "The rejected record's key."}
    return _described(
        REJECTION_NOTICE_TYPE,
        RejectionNotice.__name__,
        RejectionNotice.__doc__,
        RejectionNotice.kafka_headers_schema(),
        key,
    )


def _described(
    ce_type: str, title: str, doc: str | None, headers: dict[str, Any], key: dict[str, Any]
) -> dict[str, Any]:
    return {
        "name": ce_type,
        "title": title,
        "summary": (doc or "").strip().split("\n", 1)[0],
        "contentType": CONTENT_TYPE,
        "headers": headers,
        "payload": _FHIR_BUNDLE,
        "bindings": {"kafka": {"key": key, "bindingVersion": "0.5.0"}},
    }
