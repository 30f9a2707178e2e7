"""CloudEvents 1.0 Kafka headers: what routing reads without parsing the payload."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Final

import jsonschema
import pytest
from cloudevents.v1.kafka import KafkaMessage, from_binary
from pydantic import TypeAdapter, ValidationError

from schemas import CONTENT_TYPE, Event, EventHeaders, KafkaRecord, OidUrn, Pseudonymiser
from schemas.examples import EXAMPLE_PSEUDONYM_SECRET, example_codec, example_events

EVENTS: Final = dict(example_events())
CODEC: Final = example_codec()


def encoded(name: str) -> KafkaRecord:
    return CODEC.encode(EVENTS[name])


def header_values(record: KafkaRecord) -> dict[str, str]:
    return {name: value.decode() for name, value in record.headers}


@pytest.mark.parametrize("name", EVENTS)
def test_record_carries_exactly_the_binary_mode_attributes_and_the_data_category(
    name: str,
) -> None:
    assert sorted(name for name, _ in encoded(name).headers) == [
        "ce_id",
        "ce_source",
        "ce_specversion",
        "ce_subject",
        "ce_time",
        "ce_type",
        "content-type",
        "saattaja_category",
    ]


def test_header_values_describe_the_event() -> None:
    event = EVENTS["04-referral-to-kela.json"]
    assert header_values(CODEC.encode(event)) == {
        "ce_specversion": "1.0",
        "ce_id": str(event.event_id),
        "ce_source": f"urn:oid:{event.sender}",
        "ce_type": "fi.saattaja.referral.requested.v1",
        "ce_subject": Pseudonymiser(EXAMPLE_PSEUDONYM_SECRET).pseudonym(event.client),
        "ce_time": "2026-02-04T09:05:00+02:00",
        "content-type": "application/fhir+json",
        "saattaja_category": "referral",
    }


def test_content_type_is_fhir_json() -> None:
    assert CONTENT_TYPE == "application/fhir+json"
    assert header_values(encoded("07-shared-plan.json"))["content-type"] == CONTENT_TYPE


@pytest.mark.parametrize("name", EVENTS)
def test_key_and_subject_are_the_clients_pseudonym(name: str) -> None:
    record = encoded(name)
    pseudonym = Pseudonymiser(EXAMPLE_PSEUDONYM_SECRET).pseudonym(EVENTS[name].client)
    assert record.key.decode() == header_values(record)["ce_subject"] == pseudonym


@pytest.mark.parametrize("name", EVENTS)
def test_identity_code_appears_in_neither_key_nor_headers(name: str) -> None:
    record = encoded(name)
    client = EVENTS[name].client.encode()
    assert client not in record.key
    assert [header for header, value in record.headers if client in value] == []


@pytest.mark.parametrize("name", EVENTS)
def test_category_header_is_the_events_data_category(name: str) -> None:
    event: Event = EVENTS[name]
    assert header_values(encoded(name))["saattaja_category"] == event.category.value


def test_headers_read_back_from_kafka_equal_those_written() -> None:
    record = encoded("02-kykyviisari.json")
    headers = EventHeaders.from_kafka(record.headers)
    assert headers.to_kafka() == record.headers


def test_headers_not_of_the_contract_are_ignored_when_read() -> None:
    record = encoded("02-kykyviisari.json")
    traced = (*record.headers, ("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-01"))
    assert EventHeaders.from_kafka(traced) == EventHeaders.from_kafka(record.headers)


def test_routing_learns_sender_type_subject_and_category_without_parsing_the_value() -> None:
    record = KafkaRecord(
        key=encoded("04-referral-to-kela.json").key,
        headers=encoded("04-referral-to-kela.json").headers,
        value=b"not parsed",
    )
    headers = CODEC.read_headers(record)
    assert (headers.source_oid, headers.type, headers.category.value) == (
        EVENTS["04-referral-to-kela.json"].sender,
        "fi.saattaja.referral.requested.v1",
        "referral",
    )


def test_cloudevents_sdk_reads_our_headers_as_the_same_event() -> None:
    record = encoded("05-referral-accepted.json")
    event = from_binary(
        KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value),
        data_unmarshaller=lambda value: value,
    )
    assert {
        attribute: event[attribute]
        for attribute in ("specversion", "id", "source", "type", "subject", "time")
    } == {
        name.removeprefix("ce_"): value
        for name, value in header_values(record).items()
        if name.startswith("ce_")
    }
    assert event["datacontenttype"] == "application/fhir+json"
    assert event.get_data() == record.value


def test_a_consumed_record_with_nothing_in_places_reads_as_empty_bytes() -> None:
    consumed = SimpleNamespace(key=None, headers=[("ce_id", None)], value=None)

    record = KafkaRecord.from_consumed(consumed)

    assert record == KafkaRecord(key=b"", headers=(("ce_id", b""),), value=b"")


def test_a_header_reads_as_the_text_of_its_first_value() -> None:
    record = KafkaRecord(
        key=b"k", headers=(("ce_type", b"first"), ("ce_type", b"second"), ("x", b"\xff")), value=b""
    )

    assert record.header("ce_type") == "first"
    assert record.header("x") == "\ufffd"
    assert record.header("ce_id") is None


@pytest.mark.parametrize(
    ("source", "valid"),
    [
        ("urn:oid:1.2.246.10.2462460", True),
        ("urn:oid:2.999", True),
        ("urn:oid:1.40.1", False),  # a second arc of 40 under root 1
        ("urn:oid:1.2.0246", False),  # a leading zero
        ("urn:oid:1.2.246.10.2462460 ", False),
        ("1.2.246.10.2462460", False),  # no urn:oid:
        ("urn:saattaja:router", False),  # the router's own, only on its notices
        ("urn:oid:1.2." + "1" * 130, False),  # longer than the stores keep
    ],
)
def test_the_json_schema_of_ce_source_and_the_model_agree(source: str, *, valid: bool) -> None:
    # Organisations' systems validate against the schema before sending: what it lets
    # through, the router must not refuse on arrival, and the other way round.
    schema = EventHeaders.model_json_schema()["properties"]["source"] | {"type": "string"}
    try:
        TypeAdapter(OidUrn).validate_python(source)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert (jsonschema.Draft202012Validator(schema).is_valid(source), accepted) == (valid, valid)
