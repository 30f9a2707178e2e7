"""The FHIR R4 message Bundle: MessageHeader first, then the focal resources."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from fhir.resources.R4B import fhirtypes
from fhir.resources.R4B.bundle import Bundle

from schemas.codesystems import EVENT_TYPE_SYSTEM
from schemas.echo import echoed
from schemas.errors import InvalidBundleError
from schemas.fhir.elements import (
    BUNDLE_TYPES,
    FhirJson,
    coding,
    instant,
    organisation_reference,
)
from schemas.fhir.reader import ElementView
from schemas.fhir.validation import fhir_validation_problem
from schemas.identifiers import oid_urn

__all__ = ["MessageBundle", "build_message_bundle", "fhir_type_names", "parse_message_bundle"]

_URN_UUID = "urn:uuid:"

# A FHIR string may hold no character below U+0020 but tab, carriage return and line feed;
# fhir.resources lets the others through, and PostgreSQL refuses a text holding U+0000.
# JSON carries them only as escapes (\u0000 to \u001f, \b, \f): a Bundle without any
# such escape needs no walk through its strings. Found, the walk tells a real one from
# text that only looks like one (a backslash written before "u0000").
_CONTROL_ESCAPE = re.compile(rb"\\(?:u00[01]|[bf])")


@dataclass(frozen=True, slots=True)
class MessageBundle:
    """What a parsed, validated message Bundle says, with its focal resources in order."""

    event_id: uuid.UUID
    event_code: str
    timestamp: datetime
    source: ElementView
    destinations: tuple[str, ...]
    resources: tuple[ElementView, ...]
    response: ElementView | None = None


def _full_url(event_id: uuid.UUID, index: int) -> str:
    # Derived from the event id so that encoding one event always gives the same bytes.
    return f"{_URN_UUID}{uuid.uuid5(event_id, str(index))}"


def build_message_bundle(
    *,
    event_id: uuid.UUID,
    event_code: str,
    timestamp: datetime,
    source_oid: str | None,
    destinations: Sequence[str],
    resources: Sequence[FhirJson],
    source_endpoint: str | None = None,
    response: FhirJson | None = None,
    validate: bool = True,
) -> bytes:
    """Serialise a message Bundle, validated by fhir.resources before it leaves.

    ``validate=False`` is for a Bundle built by code whose every shape the tests validate
    already, where validating each one again would cost more than building it.
    """
    resource_urls = [_full_url(event_id, index + 1) for index in range(len(resources))]
    header: FhirJson = {
        "resourceType": "MessageHeader",
        "eventCoding": coding(EVENT_TYPE_SYSTEM, event_code),
        "source": {"endpoint": source_endpoint or oid_urn(_required(source_oid))},
        "focus": [{"reference": url} for url in resource_urls],
    }
    if source_oid is not None:
        header["sender"] = organisation_reference(source_oid)
    if response is not None:
        header["response"] = response
    if destinations:
        header["destination"] = [
            {"endpoint": oid_urn(oid), "receiver": organisation_reference(oid)}
            for oid in destinations
        ]
    bundle: FhirJson = {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"{_URN_UUID}{event_id}"},
        "type": "message",
        "timestamp": instant(timestamp),
        "entry": [
            {"fullUrl": _full_url(event_id, 0), "resource": header},
            *(
                {"fullUrl": url, "resource": resource}
                for url, resource in zip(resource_urls, resources, strict=True)
            ),
        ],
    }
    if validate:
        _validate_fhir(bundle)
    # orjson writes the compact UTF-8 JSON of json.dumps(ensure_ascii=False, no spaces) at
    # a fraction of its cost; the router encodes every minimised copy and every package.
    value = orjson.dumps(bundle)
    _check_no_control_characters(value, bundle)
    return value


def _required(source_oid: str | None) -> str:
    if source_oid is None:
        raise InvalidBundleError("a message Bundle needs a source organisation or endpoint")
    return source_oid


def _validate_fhir(bundle: FhirJson) -> None:
    problem = fhir_validation_problem(Bundle, bundle)
    if problem is not None:
        raise InvalidBundleError(f"value is not a valid FHIR R4 Bundle: {problem}")


def parse_message_bundle(value: bytes) -> MessageBundle:
    """Parse and validate a message Bundle; raise InvalidBundleError naming what is wrong."""
    try:
        data: Any = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InvalidBundleError(f"value is not JSON: {exc}") from exc
    if not isinstance(data, dict) or "resourceType" not in data:
        raise InvalidBundleError(
            "value is JSON but not a FHIR resource: it has no resourceType "
            "(expected a FHIR R4 Bundle of type message)"
        )
    if data["resourceType"] != "Bundle":
        found = data["resourceType"]
        what = (
            f"a FHIR {found}"
            if isinstance(found, str) and found in fhir_type_names()
            else f"JSON whose resourceType is {_described(found)}"
        )
        raise InvalidBundleError(f"value is {what}, expected a FHIR Bundle of type message")
    _validate_fhir(data)
    # The two checks below come after validation, which refuses every key that is not the
    # name of a FHIR element: the key found twice and the path to a control character are
    # made of such names, and a reason may quote them.
    _check_no_control_characters(value, data)
    # A parser keeps one value of a key written twice, the last here, the first elsewhere:
    # what was validated would not be what a recipient reads. A value written as orjson
    # writes it (the SDK's, the router's) is its parse written again, and so holds no key
    # twice; only another writer's is parsed again to look.
    if not _written_by_orjson(data, value):
        _check_keys_once(value, data)
    bundle = ElementView(data, "Bundle")
    if bundle.text("type") != "message":
        raise InvalidBundleError(
            f"Bundle.type is {echoed(bundle.text('type'), known=BUNDLE_TYPES)}, expected 'message'"
        )
    entries = bundle.elements("entry")
    if not entries or entries[0].optional_text("resource.resourceType") != "MessageHeader":
        found = entries[0].optional_text("resource.resourceType") if entries else "nothing"
        raise InvalidBundleError(
            f"Bundle.entry[0] is {found}: a message Bundle must start with its MessageHeader"
        )
    header = entries[0].element("resource")
    by_url = {entry.optional_text("fullUrl"): entry.element("resource") for entry in entries[1:]}
    resources = []
    for focus in header.elements("focus"):
        url = focus.text("reference")
        if url not in by_url:
            raise InvalidBundleError(
                f"{focus.where}.reference is {echoed(url)}, which is the fullUrl of no entry "
                "of the Bundle"
            )
        resources.append(by_url[url])
    return MessageBundle(
        event_id=_event_id(bundle),
        event_code=header.code("eventCoding", EVENT_TYPE_SYSTEM),
        timestamp=bundle.moment("timestamp"),
        source=header.element("source"),
        destinations=tuple(
            destination.organisation("receiver") for destination in header.elements("destination")
        ),
        resources=tuple(resources),
        response=header.element("response") if header.has("response") else None,
    )


@cache
def fhir_type_names() -> frozenset[str]:
    """The names of FHIR R4 resources and data types, which a reason may quote."""
    return frozenset(
        name.removesuffix("Type")
        for name in dir(fhirtypes)
        if name.endswith("Type") and name[:1].isupper()
    )


def _described(found: object) -> str:
    if isinstance(found, str):
        return echoed(found, known=fhir_type_names())
    # A number, a list or an object where a name belongs: its JSON type says enough.
    return f"a JSON {type(found).__name__}"


def _written_by_orjson(data: Any, value: bytes) -> bool:
    try:
        return orjson.dumps(data) == value
    except orjson.JSONEncodeError:  # nested deeper than orjson writes: read it the slow way
        return False


def _check_keys_once(value: bytes, validated: FhirJson) -> None:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(pairs)
        if len(found) != len(pairs):
            twice = next(key for key in found if sum(1 for k, _ in pairs if k == key) > 1)
            # A key of the value validated is a FHIR element's name; one only in the
            # value a key written twice replaced was never validated.
            shown = echoed(twice, known=set(_keys(validated)))
            raise InvalidBundleError(
                f"value holds the key {shown} twice in one JSON object: FHIR's JSON has "
                "each key once, and readers that keep the first value and readers that keep "
                "the last would read different events"
            )
        return found

    try:
        json.loads(value, object_pairs_hook=unique)
    except RecursionError as exc:
        raise InvalidBundleError(
            "value nests its elements too deeply to be read (a few hundred levels): flatten them"
        ) from exc


def _check_no_control_characters(value: bytes, bundle: FhirJson) -> None:
    if _CONTROL_ESCAPE.search(value) is None:
        return
    for path, text in _strings(bundle, "Bundle"):
        control = next((c for c in text if ord(c) < 0x20 and c not in "\t\n\r"), None)
        if control is not None:
            raise InvalidBundleError(
                f"{path} holds the control character U+{ord(control):04X}: a FHIR string "
                "may hold no character below U+0020 but tab, line feed and carriage return"
            )


def _keys(node: Any) -> Iterator[str]:
    """Every key of every object in a JSON value."""
    if isinstance(node, dict):
        for key, item in node.items():
            yield key
            yield from _keys(item)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, with its path (``Bundle.entry.1.resource.note``)."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from _strings(key, f"{path} (a key)")
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _strings(item, f"{path}.{index}")


def _event_id(bundle: ElementView) -> uuid.UUID:
    value = bundle.text("identifier.value")
    try:
        return uuid.UUID(value.removeprefix(_URN_UUID))
    except ValueError as exc:
        raise InvalidBundleError(
            f"Bundle.identifier.value is {echoed(value)}: expected 'urn:uuid:' and the event id"
        ) from exc
