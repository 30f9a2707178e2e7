"""The published contract and the router agree: what the JSON Schemas accept, the router does.

An adapter written in another language validates its records against the generated JSON
Schemas and the AsyncAPI document before it sends them. Starting from the example
journey's records, each test changes one value and asks both a standard JSON Schema
validator (formats asserted, as Java's and .NET's validators do) and the contract's own
code whether the record holds; they must give the same answer.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path
from typing import Any, Final

import jsonschema
import pytest
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
