"""The published contract and the router agree: what the JSON Schemas accept, the router does.

An adapter written in another language validates its records against the generated JSON
Schemas and the AsyncAPI document before it sends them. Starting from the example
journey's records, each test changes one value and asks both a standard JSON Schema
validator (formats asserted, as Java's and .NET's validators do) and the contract's own
code whether the record holds; they must give the same answer.

The rules no JSON Schema can state are said in the schemas' descriptions instead: those
(``_said_in_a_description``) and the gaps found and not yet closed (``_known_gap``) are the
only disagreements the property-based tests allow.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import schemas
from schemas import ContractError, Event, KafkaRecord
from schemas.asyncapi import asyncapi_document
from schemas.examples import example_codec, example_events

SCHEMA_DIR: Final = Path(schemas.__file__).parent / "jsonschema"
CODEC: Final = example_codec()
EVENTS: Final = [event for _, event in example_events()]
MESSAGES: Final = asyncapi_document()["components"]["messages"]


_Path = tuple[str | int, ...]


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


EVENT_VALIDATORS: Final = {
    type(event): _validator(
        json.loads((SCHEMA_DIR / f"{event.ce_type()}.schema.json").read_text(encoding="utf-8"))
    )
    for event in EVENTS
}


def _schema_verdict(validator: jsonschema.Draft202012Validator, instance: object) -> str | None:
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    return None if error is None else error.message


def _router_verdict(event_class: type[Event], dump: dict[str, Any]) -> str | None:
    """None when the event travels: the SDK builds it, and the router decodes it as sent."""
    try:
        event = event_class.model_validate(dump)
        decoded = CODEC.decode(CODEC.encode(event))
    except (ValidationError, ContractError) as refusal:
        return str(refusal)
    assert decoded == event
    return None


def _with_header(record: KafkaRecord, name: str, text: str) -> KafkaRecord:
    headers = tuple((key, text.encode() if key == name else value) for key, value in record.headers)
    # The key is the pseudonym as ce_subject says it, which no schema can compare.
    key = text.encode() if name == "ce_subject" else record.key
    return dataclasses.replace(record, headers=headers, key=key)


def _headers_verdict(record: KafkaRecord) -> str | None:
    try:
        CODEC.read_headers(record)
    except ContractError as refusal:
        return str(refusal)
    return None


def _message_verdict(record: KafkaRecord, ce_type: str) -> str | None:
    message = MESSAGES[ce_type]
    headers = {name: value.decode() for name, value in record.headers}
    return _schema_verdict(_validator(message["headers"]), headers) or _schema_verdict(
        _validator(message["bindings"]["kafka"]["key"]), record.key.decode()
    )


@pytest.mark.parametrize(
    "ce_id",
    [
        "72a1edd36591516b9b5c606d28a76e72",
        "{72a1edd3-6591-516b-9b5c-606d28a76e72}",
        "urn:uuid:72a1edd3-6591-516b-9b5c-606d28a76e72",
    ],
)
def test_a_ce_id_not_written_as_rfc_4122_writes_a_uuid_is_refused_as_its_message_refuses_it(
    ce_id: str,
) -> None:
    record = _with_header(CODEC.encode(EVENTS[0]), "ce_id", ce_id)
    assert _message_verdict(record, EVENTS[0].ce_type()) is not None
    with pytest.raises(ContractError, match=r"header ce_id .* expected a UUID as RFC 4122"):
        CODEC.read_headers(record)


def test_a_ce_id_in_capitals_is_read_as_its_message_reads_it() -> None:
    event = EVENTS[0]
    record = _with_header(CODEC.encode(event), "ce_id", str(event.event_id).upper())
    assert _message_verdict(record, event.ce_type()) is None
    assert CODEC.read_headers(record).id == event.event_id


def test_an_event_id_without_its_hyphens_is_refused_by_the_model_as_by_its_schema() -> None:
    event = EVENTS[0]
    changed = event.model_dump(mode="json") | {"event_id": uuid.uuid4().hex}
    assert _schema_verdict(EVENT_VALIDATORS[type(event)], changed) is not None
    with pytest.raises(ValidationError, match="expected a UUID as RFC 4122 writes it"):
        type(event).model_validate(changed)


@pytest.mark.parametrize(
    "ce_time",
    [
        "1770106500",
        "2026-02-03 10:15:00+02:00",
        "2026-02-03T10:15+02:00",
        "2026-02-03T10:15:00+0200",
    ],
)
def test_a_ce_time_not_in_rfc_3339_is_refused_as_its_message_refuses_it(ce_time: str) -> None:
    record = _with_header(CODEC.encode(EVENTS[0]), "ce_time", ce_time)
    assert _message_verdict(record, EVENTS[0].ce_type()) is not None
    with pytest.raises(ContractError, match=r"header ce_time .* expected an RFC 3339 date"):
        CODEC.read_headers(record)


@pytest.mark.parametrize("occurred_at", ["1770106500", "2026-02-03 10:15:00Z", "2026-02-03T10:15Z"])
def test_an_event_time_not_in_rfc_3339_is_refused_by_the_model_as_by_its_schema(
    occurred_at: str,
) -> None:
    event = EVENTS[0]
    changed = event.model_dump(mode="json") | {"occurred_at": occurred_at}
    assert _schema_verdict(EVENT_VALIDATORS[type(event)], changed) is not None
    with pytest.raises(ValidationError, match="expected an RFC 3339 date and time"):
        type(event).model_validate(changed)


def test_an_event_time_given_as_a_number_is_refused_by_the_model_as_by_its_schema() -> None:
    event = EVENTS[0]
    changed = event.model_dump(mode="json") | {"occurred_at": 1770106500}
    assert _schema_verdict(EVENT_VALIDATORS[type(event)], changed) is not None
    with pytest.raises(ValidationError, match="as text, not a number"):
        type(event).model_validate(changed)


@pytest.mark.parametrize("text", ["a\x01b", "\x00", "line\x0bbreak", "escape\x1b[31m"])
def test_free_text_with_a_control_character_is_refused_by_its_schema_as_by_fhir(text: str) -> None:
    referral = next(event for event in EVENTS if event.ce_type().endswith("referral.requested.v1"))
    changed = referral.model_dump(mode="json") | {"reason": text}
    assert _schema_verdict(EVENT_VALIDATORS[type(referral)], changed) is not None
    with pytest.raises(ValidationError, match="reason"):
        type(referral).model_validate(changed)


@pytest.mark.parametrize(
    "text", ["a\tb", "line\nbreak", "line\r\nbreak", "Työttömän\u00a0tarkastus"]
)
def test_free_text_with_a_tab_or_line_break_is_accepted_by_its_schema_and_travels(
    text: str,
) -> None:
    referral = next(event for event in EVENTS if event.ce_type().endswith("referral.requested.v1"))
    changed = referral.model_dump(mode="json") | {"reason": text}
    assert _schema_verdict(EVENT_VALIDATORS[type(referral)], changed) is None
    assert _router_verdict(type(referral), changed) is None


def test_an_escalation_beyond_a_fhir_integer_is_refused_by_its_schema_as_by_the_model() -> None:
    overdue = next(event for event in EVENTS if event.ce_type().endswith("referral.overdue.v1"))
    changed = overdue.model_dump(mode="json") | {"escalation": 2**31}
    assert _schema_verdict(EVENT_VALIDATORS[type(overdue)], changed) is not None
    with pytest.raises(ValidationError, match="escalation"):
        type(overdue).model_validate(changed)


def test_a_handover_items_inclusion_as_a_number_is_refused_by_the_model_as_by_its_schema() -> None:
    package = next(event for event in EVENTS if event.ce_type().endswith("handover.package.v1"))
    changed = package.model_dump(mode="json")
    changed["items"][0]["included"] = 1
    assert _schema_verdict(EVENT_VALIDATORS[type(package)], changed) is not None
    with pytest.raises(ValidationError, match=r"items\.0\.included"):
        type(package).model_validate(changed)


def test_an_assessment_kind_outside_the_catalogue_is_refused_by_its_schema_as_by_the_model() -> (
    None
):
    available = next(
        event for event in EVENTS if event.ce_type().endswith("assessment.available.v1")
    )
    changed = available.model_dump(mode="json") | {"assessment_kind": "terveystarkastus "}
    assert _schema_verdict(EVENT_VALIDATORS[type(available)], changed) is not None
    with pytest.raises(ValidationError, match="not an assessment kind"):
        type(available).model_validate(changed)


def test_an_assessment_hint_of_a_category_no_assessment_has_is_refused_by_its_schema() -> None:
    available = next(
        event for event in EVENTS if event.ce_type().endswith("assessment.available.v1")
    )
    changed = available.model_dump(mode="json") | {"assessment_category": "referral"}
    assert _schema_verdict(EVENT_VALIDATORS[type(available)], changed) is not None
    with pytest.raises(ValidationError, match="not an assessment category"):
        type(available).model_validate(changed)


def test_an_assessment_without_its_method_is_refused_by_its_schema_as_by_the_model() -> None:
    recorded = EVENTS[0]
    changed = recorded.model_dump(mode="json")
    del changed["assessment"]["method"]
    assert _schema_verdict(EVENT_VALIDATORS[type(recorded)], changed) is not None
    with pytest.raises(ValidationError, match="discriminator 'method'"):
        type(recorded).model_validate(changed)


@pytest.mark.parametrize("event", EVENTS, ids=[type(event).__name__ for event in EVENTS])
def test_an_event_schema_says_what_its_pattern_cannot_check_of_the_identity_code(
    event: Event,
) -> None:
    schema = json.loads((SCHEMA_DIR / f"{event.ce_type()}.schema.json").read_text(encoding="utf-8"))
    client = schema["properties"]["client"]
    assert "check character" in client["description"]
    assert "date of birth" in client["description"]


def test_a_messages_payload_says_what_the_router_checks_beyond_fhirs_schema() -> None:
    payload = MESSAGES[EVENTS[0].ce_type()]["payload"]
    for checked in ("eventCoding", "ce_type", "ce_id", "ce_time", "ce_source", "control character"):
        assert checked in payload["description"]


# Values that sit at the edges of what the schemas and the router read: text with control
# characters, blanks and other scripts; times with and without an offset, seconds or T;
# UUIDs written other ways; identity codes and OIDs nearly right; numbers out of range.
TRICKY_TEXT: Final = [
    "",
    " ",
    "x ",
    " x",
    "a\x01b",
    "a\x00",
    "a\x1fb",
    "a\nb",
    "a\tb",
    "a\r\nb",
    "Työttömän\u00a0terveystarkastus",
    "\u202eevil",
    "\ufeffx",
    "😀",
    "x" * 65,
    "0",
    "2026-02-03T10:15:00+02:00",
    "2026-02-03T10:15:00Z",
    "2026-02-03t10:15:00z",
    "2026-02-03T10:15:00.123456+02:00",
    "2026-02-03T10:15:00",
    "2026-02-03T10:15Z",
    "2026-02-03 10:15:00Z",
    "2026-02-03T10:15:00,5Z",
    "2026-02-03T10:15:00+0200",
    "2026-02-03",
    "1770106500",
    "2026-02-30T10:15:00Z",
    "72a1edd3-6591-516b-9b5c-606d28a76e72",
    "72A1EDD3-6591-516B-9B5C-606D28A76E72",
    "72a1edd36591516b9b5c606d28a76e72",
    "{72a1edd3-6591-516b-9b5c-606d28a76e72}",
    "urn:uuid:72a1edd3-6591-516b-9b5c-606d28a76e72",
    "020516C903K",
    "020516c903K",
    "020516C903",
    "1.2.246.10.2462460",
    "1.2.246.010.2462460",
    "1.40.3",
    "urn:oid:1.2.246.10.2462460",
    "referral",
    "plan",
    "kykyviisari",
    "permit",
    "deny",
]
VALUES: Final[st.SearchStrategy[Any]] = (
    st.sampled_from(TRICKY_TEXT)
    | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
    | st.integers(min_value=-3, max_value=12)
    | st.sampled_from([2**31 - 1, 2**31, 10**20, 1.5, 5.0, True, False, None, [], {}])
)


def _leaf_paths(node: Any, prefix: _Path = ()) -> Iterator[_Path]:
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from _leaf_paths(value, (*prefix, key))
    elif isinstance(node, list) and node:
        for index, value in enumerate(node):
            yield from _leaf_paths(value, (*prefix, index))
    else:
        yield prefix


def _put(dump: dict[str, Any], path: _Path, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(dump)
    *parents, last = path
    node: Any = changed
    for part in parents:
        node = node[part]
    node[last] = value
    return changed


def _said_in_a_description(value: object, router: str) -> bool:
    # Each of these is a rule a JSON Schema cannot state, said in the schema's description.
    described = (
        "outside the years 1900-2999",  # occurred_at: Event.occurred_at's description
        "valid_until must be after valid_from",  # ConsentGranted.valid_until's
        "a consent must be specific",  # ConsentGranted's own
        "a refusal must name what it refuses",  # ConsentGranted's own
        "names exactly one of organisation",  # Recipient's own
        "check character",  # Event.client's
        "no valid birth date",  # Event.client's
    )
    return any(reason in router for reason in described)


def _known_gap(value: object, schema: str | None, router: str | None) -> bool:
    # Found and not fixed (see the README): fhir.resources reads FHIR's string pattern
    # [ \r\n\t\S]+ with Python's \S, which refuses a text of nothing but other Unicode
    # spaces (a lone no-break space); no pattern of ours says so yet.
    if router is not None and isinstance(value, str) and value.isspace():
        return "\\S]+" in router
    # The SDK reads an integer written as text ("5") or as a boolean, as file_drop's CSV
    # columns need; JSON Schema's integer refuses both, which is the safer side.
    return schema is not None and router is None and isinstance(value, str | bool)


@settings(deadline=None, max_examples=250)
@given(event=st.sampled_from(EVENTS), path_choice=st.integers(0, 10_000), value=VALUES)
def test_a_changed_value_of_an_event_is_refused_by_its_schema_exactly_when_the_router_refuses_it(
    event: Event, path_choice: int, value: Any
) -> None:
    dump = event.model_dump(mode="json")
    paths = list(_leaf_paths(dump))
    changed = _put(dump, paths[path_choice % len(paths)], value)

    schema = _schema_verdict(EVENT_VALIDATORS[type(event)], changed)
    router = _router_verdict(type(event), changed)

    if router is not None and schema is None and _said_in_a_description(value, router):
        return
    if _known_gap(value, schema, router):
        return
    assert (schema is None) == (router is None), f"schema: {schema!r}; router: {router!r}"


@settings(deadline=None, max_examples=60)
@given(event=st.sampled_from(EVENTS), path_choice=st.integers(0, 10_000))
def test_an_event_without_one_of_its_values_is_refused_by_its_schema_exactly_as_by_the_router(
    event: Event, path_choice: int
) -> None:
    dump = event.model_dump(mode="json")
    paths = [path for path in _leaf_paths(dump) if path and isinstance(path[-1], str)]
    changed = copy.deepcopy(dump)
    *parents, last = paths[path_choice % len(paths)]
    node: Any = changed
    for part in parents:
        node = node[part]
    del node[last]

    schema = _schema_verdict(EVENT_VALIDATORS[type(event)], changed)
    router = _router_verdict(type(event), changed)

    if router is not None and schema is None and _said_in_a_description(None, router):
        return
    assert (schema is None) == (router is None), f"schema: {schema!r}; router: {router!r}"


# The headers routing reads alone; ce_type and saattaja_category are checked against the
# payload too, and have tests of their own (tests/schemas/test_asyncapi.py).
HEADERS: Final = ["ce_specversion", "ce_id", "ce_source", "ce_subject", "ce_time", "content-type"]


@settings(deadline=None, max_examples=250)
@given(
    event=st.sampled_from(EVENTS),
    name=st.sampled_from(HEADERS),
    text=st.sampled_from(TRICKY_TEXT)
    | st.sampled_from(["1.0", "1.0 ", "application/fhir+json", "application/json", "a" * 64])
    | st.text(max_size=8),
)
def test_a_changed_header_is_refused_by_the_asyncapi_message_exactly_when_the_router_refuses_it(
    event: Event, name: str, text: str
) -> None:
    record = _with_header(CODEC.encode(event), name, text)

    schema = _message_verdict(record, event.ce_type())
    router = _headers_verdict(record)

    if router is not None and schema is None and "outside the years 1900-2999" in router:
        return
    assert (schema is None) == (router is None), f"schema: {schema!r}; router: {router!r}"


def test_a_ce_id_with_a_line_feed_after_it_is_refused_by_its_message_as_by_the_router() -> None:
    # Python's jsonschema matches a pattern's $ before a final line feed; the length refuses it.
    event = EVENTS[0]
    record = _with_header(CODEC.encode(event), "ce_id", f"{event.event_id}\n")
    schema = MESSAGES[event.ce_type()]["headers"]["properties"]["ce_id"]
    assert not jsonschema.Draft202012Validator(schema).is_valid(f"{event.event_id}\n")
    assert _headers_verdict(record) is not None
