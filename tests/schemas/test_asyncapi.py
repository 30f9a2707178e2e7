"""The AsyncAPI document: every event on the topics it travels, with the headers it carries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import schemas
from schemas import EVENT_TYPES, ConsentGranted, ConsentRevoked, KafkaRecord
from schemas.asyncapi import asyncapi_document
from schemas.examples import example_codec, example_events
from schemas.export import contract_documents, json_schema_documents, stale_documents
from schemas.notices import REJECTION_NOTICE_TYPE, RejectionNotice

DOCUMENT = asyncapi_document()


def _types_on(channel: str) -> set[str]:
    return set(DOCUMENT["channels"][channel]["messages"])


def _headers_of(record: KafkaRecord) -> dict[str, str]:
    return {name: value.decode() for name, value in record.headers}


def _resolve(pointer: str) -> Any:
    found: Any = DOCUMENT
    for part in pointer.removeprefix("#/").split("/"):
        found = found[part]
    return found


def _local_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if str(node.get("$ref", "")).startswith("#/") else []
        return own + [ref for value in node.values() for ref in _local_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _local_refs(value)]
    return []


def test_every_event_of_the_catalogue_is_a_message_with_its_json_schema_beside_it() -> None:
    messages = DOCUMENT["components"]["messages"]
    assert set(messages) == {*EVENT_TYPES, REJECTION_NOTICE_TYPE}
    schemas = json_schema_documents()
    for ce_type in EVENT_TYPES:
        assert messages[ce_type]["x-saattaja-event-schema"] in schemas


def test_an_outbox_carries_what_an_organisation_may_publish() -> None:
    issued_by_router = {t for t, model in EVENT_TYPES.items() if model.issued_by_router}
    assert issued_by_router
    assert _types_on("outbox") == set(EVENT_TYPES) - issued_by_router


def test_an_inbox_carries_every_event_but_consents_and_the_rejection_notice() -> None:
    consents = {ConsentGranted.ce_type(), ConsentRevoked.ce_type()}
    assert _types_on("inbox") == (set(EVENT_TYPES) - consents) | {REJECTION_NOTICE_TYPE}


@pytest.mark.parametrize(("name", "event"), example_events(), ids=[n for n, _ in example_events()])
def test_the_headers_of_each_example_record_are_its_messages_headers(name: str, event: Any) -> None:
    record = example_codec().encode(event)
    message = DOCUMENT["components"]["messages"][event.ce_type()]
    jsonschema.validate(_headers_of(record), message["headers"])
    assert set(_headers_of(record)) == set(message["headers"]["properties"])


def test_a_rejection_notices_headers_are_its_messages_headers() -> None:
    notice = RejectionNotice(
        rejected_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        recipient="1.2.246.10.2462460",
        reason="not a valid event",
        source_topic="saattaja.kela.outbox",
        source_partition=0,
        source_offset=7,
    )
    headers = _headers_of(notice.encode(b"key"))
    schema = DOCUMENT["components"]["messages"][REJECTION_NOTICE_TYPE]["headers"]
    jsonschema.validate(headers, schema)
    assert set(headers) == set(schema["properties"])


def test_a_header_of_another_event_type_does_not_pass() -> None:
    _, event = example_events()[0]
    other = next(t for t in EVENT_TYPES if t != event.ce_type())
    validator = jsonschema.Draft202012Validator(
        DOCUMENT["components"]["messages"][other]["headers"]
    )
    errors = validator.iter_errors(_headers_of(example_codec().encode(event)))
    assert "ce_type" in {error.path[0] for error in errors}


def test_a_messages_category_header_names_only_the_categories_of_its_event_type() -> None:
    # The router refuses a record whose saattaja_category is not its event's category.
    for ce_type, model in EVENT_TYPES.items():
        headers = DOCUMENT["components"]["messages"][ce_type]["headers"]
        assert set(headers["properties"]["saattaja_category"]["enum"]) == {
            category.value for category in model.categories()
        }


def test_a_referral_message_refuses_a_category_header_of_a_plan() -> None:
    headers = DOCUMENT["components"]["messages"]["fi.saattaja.referral.requested.v1"]["headers"]
    category = jsonschema.Draft202012Validator(headers["properties"]["saattaja_category"])
    assert [category.is_valid("referral"), category.is_valid("plan")] == [True, False]


def test_a_messages_key_and_subject_refuse_a_pseudonym_with_a_line_feed_after_it() -> None:
    # Python's jsonschema matches a pattern's $ before a final line feed; the length refuses it.
    _, event = example_events()[0]
    headers = _headers_of(example_codec().encode(event))
    message = DOCUMENT["components"]["messages"][event.ce_type()]
    key = jsonschema.Draft202012Validator(message["bindings"]["kafka"]["key"])
    subject = jsonschema.Draft202012Validator(message["headers"]["properties"]["ce_subject"])
    pseudonym = headers["ce_subject"]
    assert [key.is_valid(pseudonym), key.is_valid(pseudonym + "\n")] == [True, False]
    assert [subject.is_valid(pseudonym), subject.is_valid(pseudonym + "\n")] == [True, False]


def test_a_messages_ce_source_is_bounded_as_the_model_bounds_it() -> None:
    _, event = example_events()[0]
    message = DOCUMENT["components"]["messages"][event.ce_type()]
    source = jsonschema.Draft202012Validator(message["headers"]["properties"]["ce_source"])
    too_long = "urn:oid:1.2" + ".3" * 70
    assert not source.is_valid(too_long)


def test_every_reference_within_the_document_names_something_in_it() -> None:
    refs = _local_refs(DOCUMENT)
    assert refs
    for ref in refs:
        assert _resolve(ref) is not None, ref


def test_the_committed_document_is_the_generated_one() -> None:
    committed = Path(schemas.__file__).parent / "jsonschema"
    assert stale_documents(committed, contract_documents()) == []
