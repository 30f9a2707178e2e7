"""A record that breaks the contract is refused with a typed error naming what is wrong."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

import pytest
from pydantic import ValidationError

from schemas import (
    EVENT_TYPES,
    ConsentGranted,
    ConsentRule,
    ContractError,
    DataCategory,
    EventCodec,
    InvalidBundleError,
    InvalidHeadersError,
    KafkaRecord,
    OrganisationKind,
    PayloadTooLargeError,
    PlanActivity,
    PlanCreated,
    PlanType,
    Pseudonymiser,
    Recipient,
    ReferralRequested,
    UnknownEventTypeError,
    event_class_for,
)
from schemas.examples import example_codec, example_events, journey_events
from tests.bundles import with_bundle, with_value_at

EVENTS: Final = dict(journey_events())
CODEC: Final = example_codec()
REFERRAL: Final = CODEC.encode(EVENTS["04-referral-to-kela.json"])
ACCEPTANCE: Final = CODEC.encode(EVENTS["05-referral-accepted.json"])
HEALTH_CHECK: Final = CODEC.encode(EVENTS["01-health-check.json"])
AT: Final = datetime(2026, 2, 3, 11, 20, tzinfo=UTC)
IDENTITY_CODE: Final = "020516C903K"
"""A test identity code: personal data, had it not been a test code, never to be echoed."""
EVENT_HEADERS: Final = (
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_subject",
    "ce_time",
    "content-type",
    "saattaja_category",
)
"""The headers every event carries."""


def with_header(record: KafkaRecord, name: str, value: str) -> KafkaRecord:
    headers = tuple((h, value.encode() if h == name else v) for h, v in record.headers)
    return dataclasses.replace(record, headers=headers)


def without_header(record: KafkaRecord, name: str) -> KafkaRecord:
    return dataclasses.replace(record, headers=tuple(h for h in record.headers if h[0] != name))


# Each level of nesting is several Python frames of fhir.resources's validation: 300 levels
# pass the interpreter's default limit of 1,000 frames wherever decoding is called from.
_DEEPER_THAN_THE_STACK: Final = 300


def test_every_contract_error_is_one_catchable_value_error() -> None:
    for error in (InvalidBundleError, InvalidHeadersError, PayloadTooLargeError):
        assert issubclass(error, ContractError)
    assert issubclass(UnknownEventTypeError, InvalidHeadersError)
    assert issubclass(ContractError, ValueError)


# The value: a FHIR R4 message Bundle of the shape the event type needs.


def test_mistyped_identity_code_in_the_bundle_is_refused_naming_element_and_check_character() -> (
    None
):
    mistyped = dataclasses.replace(
        REFERRAL, value=REFERRAL.value.replace(b"150388-9127", b"150388-9128")
    )
    with pytest.raises(
        InvalidBundleError,
        match=r"subject\.identifier\.value: an identity code's check character is not the one "
        r"its digits give",
    ):
        CODEC.decode(mistyped)


def test_subject_header_error_does_not_echo_what_may_be_an_identity_code() -> None:
    headers = tuple(
        (name, b"150388-9127" if name == "ce_subject" else value)
        for name, value in REFERRAL.headers
    )
    with pytest.raises(InvalidHeadersError, match="ce_subject") as caught:
        CODEC.decode(dataclasses.replace(REFERRAL, headers=headers))
    assert "150388-9127" not in str(caught.value)


def test_bundle_not_starting_with_its_message_header_is_refused() -> None:
    def swap_first_entries(bundle: dict[str, Any]) -> None:
        entries = bundle["entry"]
        entries[0], entries[1] = entries[1], entries[0]

    with pytest.raises(
        InvalidBundleError,
        match=re.escape(
            "Bundle.entry[0] is ServiceRequest: a message Bundle must start with its MessageHeader"
        ),
    ):
        CODEC.decode(with_bundle(REFERRAL, swap_first_entries))


def test_focal_resource_of_the_wrong_type_is_refused_naming_expected_and_found() -> None:
    def observation_for_service_request(bundle: dict[str, Any]) -> None:
        bundle["entry"][1]["resource"] = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "Kelan ammatillinen kuntoutus"},
        }

    with pytest.raises(
        InvalidBundleError,
        match=re.escape(
            "fi.saattaja.referral.requested.v1 carries focal resources ServiceRequest, Task; "
            "this Bundle's MessageHeader.focus names Observation, Task"
        ),
    ):
        CODEC.decode(with_bundle(REFERRAL, observation_for_service_request))


def test_focus_naming_no_entry_is_refused_naming_the_focus() -> None:
    def dangling_focus(bundle: dict[str, Any]) -> None:
        bundle["entry"][0]["resource"]["focus"][0]["reference"] = "urn:uuid:nowhere"

    with pytest.raises(
        InvalidBundleError,
        match=r"focus\[0\]\.reference is a value of 16 characters .* fullUrl of no entry",
    ):
        CODEC.decode(with_bundle(REFERRAL, dangling_focus))


def test_focus_holding_personal_data_is_refused_without_echoing_it() -> None:
    def focus_on_a_person(bundle: dict[str, Any]) -> None:
        bundle["entry"][0]["resource"]["focus"][0]["reference"] = f"Patient/{IDENTITY_CODE}"

    with pytest.raises(InvalidBundleError, match=r"focus\[0\]\.reference is a value") as caught:
        CODEC.decode(with_bundle(REFERRAL, focus_on_a_person))
    assert IDENTITY_CODE not in str(caught.value)


def test_json_that_is_not_fhir_is_refused() -> None:
    with pytest.raises(InvalidBundleError, match="not a FHIR resource: it has no resourceType"):
        CODEC.decode(dataclasses.replace(REFERRAL, value=b'{"hello": 1}'))


def test_fhir_resource_that_is_not_a_bundle_is_refused() -> None:
    with pytest.raises(InvalidBundleError, match="value is a FHIR Patient, expected a FHIR Bundle"):
        CODEC.decode(dataclasses.replace(REFERRAL, value=b'{"resourceType": "Patient"}'))


def test_json_whose_resource_type_is_no_name_is_refused_saying_so() -> None:
    with pytest.raises(InvalidBundleError, match="value is JSON whose resourceType is a JSON int"):
        CODEC.decode(dataclasses.replace(REFERRAL, value=b'{"resourceType": 5}'))


def test_json_whose_resource_type_is_personal_data_is_refused_without_echoing_it() -> None:
    value = json.dumps({"resourceType": IDENTITY_CODE}).encode()
    with pytest.raises(
        InvalidBundleError, match="value is JSON whose resourceType is a value of 11 characters"
    ) as caught:
        CODEC.decode(dataclasses.replace(REFERRAL, value=value))
    assert IDENTITY_CODE not in str(caught.value)


def test_record_without_a_value_is_refused_as_having_none() -> None:
    with pytest.raises(InvalidBundleError, match="the record has no value"):
        CODEC.decode(dataclasses.replace(REFERRAL, value=b""))


def test_bundle_that_fhir_does_not_allow_is_refused_naming_the_element() -> None:
    def unknown_element(bundle: dict[str, Any]) -> None:
        bundle["entry"][1]["resource"]["code"] = {"coding": "Kelan kuntoutus"}

    with pytest.raises(
        InvalidBundleError, match=r"not a valid FHIR R4 Bundle: entry\.1\.resource\.code\.coding"
    ):
        CODEC.decode(with_bundle(REFERRAL, unknown_element))


def test_element_fhir_does_not_define_is_refused_naming_where_it_is_but_not_its_name() -> None:
    # A key is whatever the sender's system wrote, an identity code too.
    def unknown_element(bundle: dict[str, Any]) -> None:
        bundle["entry"][1]["resource"][IDENTITY_CODE] = "red"

    with pytest.raises(
        InvalidBundleError,
        match=r"entry\.1\.resource: a value of 11 characters .* is not an element here",
    ) as caught:
        CODEC.decode(with_bundle(REFERRAL, unknown_element))
    assert IDENTITY_CODE not in str(caught.value)


def test_resource_type_naming_no_resource_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidBundleError, match="names no FHIR resource") as caught:
        CODEC.decode(
            with_value_at(REFERRAL, ("entry", 1, "resource", "resourceType"), IDENTITY_CODE)
        )
    assert IDENTITY_CODE not in str(caught.value)


def test_bundle_nested_deeper_than_validation_can_follow_is_refused_as_a_bundle_error() -> None:
    def nested_extensions(bundle: dict[str, Any]) -> None:
        extension: dict[str, Any] = {"url": "urn:example:leaf", "valueString": "x"}
        for _ in range(_DEEPER_THAN_THE_STACK):
            extension = {"url": "urn:example:branch", "extension": [extension]}
        bundle["entry"][1]["resource"]["extension"] = [extension]

    with pytest.raises(InvalidBundleError, match="nests its elements too deeply"):
        CODEC.decode(with_bundle(REFERRAL, nested_extensions))


@pytest.mark.parametrize(
    ("element", "value"),
    [
        (("entry", 1, "resource", "resourceType"), None),
        (("entry", 1, "resource", "resourceType"), "Referral"),
        (("entry", 0, "resource", "source", "endpoint"), 1.5),
        (("entry", 0, "resource", "source", "endpoint"), []),
    ],
)
def test_element_whose_value_fhir_validation_trips_on_is_refused_as_not_fhir(
    element: tuple[str | int, ...], value: object
) -> None:
    with pytest.raises(InvalidBundleError, match="value is not a valid FHIR R4 Bundle"):
        CODEC.decode(with_value_at(REFERRAL, element, value))


def test_bundle_naming_an_organisation_by_an_oid_longer_than_the_stores_keep_is_refused() -> None:
    referral = EVENTS["04-referral-to-kela.json"]
    assert isinstance(referral, ReferralRequested)
    receiver = referral.receiver
    longer = receiver + ".1" * 64
    value = REFERRAL.value.replace(receiver.encode(), longer.encode())

    with pytest.raises(ContractError, match="longer than the 128 that Saattaja"):
        CODEC.decode(dataclasses.replace(REFERRAL, value=value))


_REFERRAL_EVENT: Final = EVENTS["04-referral-to-kela.json"]


@pytest.mark.parametrize("control", ["\x00", "\x08", "\x0c", "\x1f"])
def test_text_with_a_control_character_is_not_encoded_naming_the_element(control: str) -> None:
    broken = _REFERRAL_EVENT.model_copy(update={"reason": f"Työkyky{control}heikentynyt"})

    with pytest.raises(
        InvalidBundleError, match=rf"reasonCode\.0\.text holds .* U\+{ord(control):04X}"
    ):
        CODEC.encode(broken)


def test_bundle_with_a_control_character_escaped_in_a_string_is_refused() -> None:
    value = REFERRAL.value.replace(b'"type":"message"', b'"type":"message","language":"fi\\u0000"')

    with pytest.raises(
        InvalidBundleError, match=r"Bundle\.language holds the control character U\+0000"
    ):
        CODEC.decode(dataclasses.replace(REFERRAL, value=value))


@pytest.mark.parametrize("text", ["rivi\ttab\nrivi\r", "C:\\u0000 ei ole ohjausmerkki"])
def test_tab_line_breaks_and_a_written_backslash_u_are_text_fhir_allows(text: str) -> None:
    event = _REFERRAL_EVENT.model_copy(update={"reason": text})

    assert CODEC.decode(CODEC.encode(event)) == event


def test_bundle_of_another_type_than_message_is_refused() -> None:
    def collection(bundle: dict[str, Any]) -> None:
        bundle["type"] = "collection"

    with pytest.raises(
        InvalidBundleError, match=re.escape("Bundle.type is 'collection', expected 'message'")
    ):
        CODEC.decode(with_bundle(REFERRAL, collection))


@pytest.mark.parametrize("value", [b"\xff\xfe\x00", b"{", b"Bundle"], ids=["binary", "cut", "text"])
def test_bytes_that_are_not_json_are_refused(value: bytes) -> None:
    with pytest.raises(InvalidBundleError, match="value is not JSON"):
        CODEC.decode(dataclasses.replace(REFERRAL, value=value))


def test_value_holding_a_key_twice_in_one_object_is_refused_naming_the_key() -> None:
    # The identity code checked is the last; a reader keeping the first would read another.
    value = REFERRAL.value.replace(
        b'"value":"150388-9127"', b'"value":"010101-123N","value":"150388-9127"', 1
    )
    assert value != REFERRAL.value
    with pytest.raises(InvalidBundleError, match="holds the key 'value' twice in one JSON object"):
        CODEC.decode(dataclasses.replace(REFERRAL, value=value))


def test_value_written_with_spaces_and_escapes_is_read_like_the_compact_one() -> None:
    spaced = json.dumps(json.loads(REFERRAL.value), indent=2).encode()
    assert CODEC.decode(dataclasses.replace(REFERRAL, value=spaced)) == CODEC.decode(REFERRAL)


def test_event_over_the_size_limit_is_not_encoded() -> None:
    small = EventCodec(CODEC.pseudonymiser, max_event_bytes=1_000)
    with pytest.raises(PayloadTooLargeError, match=r"\d+ bytes, over the limit of 1000"):
        small.encode(EVENTS["04-referral-to-kela.json"])


def test_record_over_the_size_limit_is_refused_before_its_value_is_parsed() -> None:
    small = EventCodec(CODEC.pseudonymiser, max_event_bytes=1_000)
    with pytest.raises(PayloadTooLargeError, match="1001 bytes, over the limit of 1000"):
        small.decode(dataclasses.replace(REFERRAL, value=b"x" * 1_001))


def test_record_at_the_size_limit_is_accepted() -> None:
    exact = EventCodec(CODEC.pseudonymiser, max_event_bytes=len(REFERRAL.value))
    assert exact.decode(REFERRAL) == EVENTS["04-referral-to-kela.json"]


def test_text_that_fhir_cannot_carry_is_refused_at_encoding_naming_the_element() -> None:
    plan = PlanCreated(
        occurred_at=AT,
        sender="1.2.246.10.1621932.10.7",
        client="150388-9127",
        plan_id="P-1",
        plan_type=PlanType.ACTIVATION,
        title="Aktivointisuunnitelma",
        activities=(PlanActivity(description="\xa0", performer="1.2.246.10.2462460"),),
    )
    with pytest.raises(InvalidBundleError, match=r"activity\.0\.detail\.description"):
        CODEC.encode(plan)


# The headers, and how they agree with the key and the value.


def test_unknown_event_type_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(
        UnknownEventTypeError, match="is not in the Saattaja event catalogue"
    ) as info:
        CODEC.decode(with_header(REFERRAL, "ce_type", "fi.saattaja.referral.forwarded.v1"))
    assert all(ce_type in str(info.value) for ce_type in EVENT_TYPES)


def test_unknown_version_of_a_known_event_type_is_echoed_to_show_the_mistake() -> None:
    with pytest.raises(
        UnknownEventTypeError, match=re.escape("ce_type 'fi.saattaja.referral.requested.v2' is")
    ):
        CODEC.decode(with_header(REFERRAL, "ce_type", "fi.saattaja.referral.requested.v2"))


@pytest.mark.parametrize("ce_type", ["fi.saattaja.sanna.virtanen.v1", IDENTITY_CODE])
def test_unknown_event_type_that_may_hold_personal_data_is_not_echoed(ce_type: str) -> None:
    with pytest.raises(UnknownEventTypeError, match=r"^ce_type a value of") as caught:
        event_class_for(ce_type)
    assert ce_type not in str(caught.value)


@pytest.mark.parametrize("header", EVENT_HEADERS)
def test_missing_header_is_refused_naming_it(header: str) -> None:
    with pytest.raises(InvalidHeadersError, match=f"missing header\\(s\\) {header}:"):
        CODEC.decode(without_header(REFERRAL, header))


@pytest.mark.parametrize("header", EVENT_HEADERS)
def test_header_given_twice_is_refused_naming_it(header: str) -> None:
    # Even with the same value: which one a reader takes is left to chance.
    [own] = [pair for pair in REFERRAL.headers if pair[0] == header]
    twice = dataclasses.replace(REFERRAL, headers=(own, *REFERRAL.headers))
    with pytest.raises(InvalidHeadersError, match=f"header {header} appears more than once"):
        CODEC.decode(twice)


def test_a_header_written_as_a_list_of_values_is_read_back_as_given_that_often() -> None:
    written = REFERRAL.to_json()
    own = written["headers"]["ce_id"]
    written["headers"]["ce_id"] = ["another", own]
    read = KafkaRecord.from_json(written)
    assert [value for name, value in read.headers if name == "ce_id"] == [b"another", own.encode()]
    assert KafkaRecord.from_json(read.to_json()) == read


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("ce_specversion", "0.3"),
        ("ce_source", "kela"),
        ("ce_type", "referral.requested"),
        ("ce_time", "2026-02-04T09:05:00"),
        ("content-type", "application/json"),
        ("saattaja_category", "gossip"),
    ],
)
def test_malformed_header_is_refused_naming_it_and_describing_its_value(
    header: str, value: str
) -> None:
    with pytest.raises(InvalidHeadersError) as caught:
        CODEC.decode(with_header(REFERRAL, header, value))
    shown = "'0.3'" if value == "0.3" else f"a value of {len(value)} characters (not shown"
    assert f"header {header} is {shown}" in str(caught.value)


@pytest.mark.parametrize("header", ["ce_id", "ce_type", "ce_source", "ce_time"])
def test_a_header_value_that_may_hold_personal_data_is_not_echoed(header: str) -> None:
    with pytest.raises(InvalidHeadersError) as caught:
        CODEC.decode(with_header(REFERRAL, header, "150388-9127 Sanna masennus"))
    assert "Sanna" not in str(caught.value)
    assert "9127" not in str(caught.value)
    assert f"header {header} is a value of 26 characters" in str(caught.value)


def test_a_consent_recipient_holding_personal_data_is_refused_without_echoing_it() -> None:
    consent = CODEC.encode(EVENTS["03-consent-kela-employment.json"])
    kind = b'organisation-kind","value":"'
    leaked = dataclasses.replace(
        consent, value=consent.value.replace(kind, kind + b"150388-9127 Sanna ", 1)
    )
    with pytest.raises(InvalidBundleError) as caught:
        CODEC.decode(leaked)
    assert "Sanna" not in str(caught.value)
    assert "and value a value of 22 characters (not shown" in str(caught.value)


def test_an_event_reference_holding_personal_data_is_refused_without_echoing_it() -> None:
    handover = CODEC.encode(dict(example_events())["05a-handover-to-kela.json"])
    item = b'"item":{"type":"Bundle","identifier":{"system":"urn:ietf:rfc:3986","value":"'
    leaked = dataclasses.replace(
        handover, value=handover.value.replace(item + b"urn:uuid:", item + b"Sanna ", 1)
    )
    with pytest.raises(InvalidBundleError) as caught:
        CODEC.decode(leaked)
    assert "Sanna" not in str(caught.value)
    assert "item.identifier" in str(caught.value)
    assert "(not shown: it may hold personal data)" in str(caught.value)


def test_an_oid_field_holding_personal_data_is_refused_without_echoing_it() -> None:
    leaked = dataclasses.replace(
        REFERRAL,
        value=REFERRAL.value.replace(b"1.2.246.10.2462460", b"150388-9127 Sanna masennus"),
    )
    with pytest.raises(InvalidBundleError) as caught:
        CODEC.decode(leaked)
    assert "Sanna" not in str(caught.value)
    assert "receiver.identifier.value: a value of 26 characters (not shown: it may hold " in str(
        caught.value
    )


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+02:00"])
def test_event_time_outside_the_years_an_event_may_have_is_refused_naming_ce_time(
    moment: str,
) -> None:
    with pytest.raises(InvalidHeadersError, match=r"ce_time.*outside the years 1900-2999"):
        CODEC.decode(with_header(REFERRAL, "ce_time", moment))


def test_event_dated_outside_the_years_an_event_may_have_is_not_made() -> None:
    referral = EVENTS["04-referral-to-kela.json"]
    placeholder = {**referral.model_dump(), "occurred_at": datetime(9999, 12, 31, tzinfo=UTC)}

    with pytest.raises(ValidationError, match="outside the years 1900-2999"):
        type(referral).model_validate(placeholder)


_NO_UTC_FORM: Final = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))


def test_consent_period_ending_where_utc_has_no_time_is_not_made() -> None:
    granted = EVENTS["03-consent-kela-employment.json"]
    edge = {**granted.model_dump(), "valid_until": _NO_UTC_FORM}

    with pytest.raises(ValidationError, match="has no UTC form"):
        type(granted).model_validate(edge)


def test_bundle_with_a_time_utc_has_no_form_of_is_refused_naming_the_element() -> None:
    consent = CODEC.encode(EVENTS["03-consent-kela-employment.json"])

    def period_to_the_edge(bundle: dict[str, Any]) -> None:
        bundle["entry"][1]["resource"]["provision"]["period"]["end"] = _NO_UTC_FORM.isoformat()

    with pytest.raises(InvalidBundleError, match=r"period\.end .*within the years 1-9999 in UTC"):
        CODEC.decode(with_bundle(consent, period_to_the_edge))


def test_header_that_is_not_utf8_is_refused_naming_it() -> None:
    headers = tuple((h, b"\xff" if h == "ce_id" else v) for h, v in REFERRAL.headers)
    with pytest.raises(InvalidHeadersError, match="header ce_id is not UTF-8"):
        CODEC.decode(dataclasses.replace(REFERRAL, headers=headers))


def test_kafka_key_differing_from_the_subject_is_refused() -> None:
    other_client = CODEC.pseudonymiser.pseudonym("020516C903K").encode()
    with pytest.raises(InvalidHeadersError, match="Kafka key differs from ce_subject"):
        CODEC.decode(dataclasses.replace(REFERRAL, key=other_client))


def test_record_without_a_kafka_key_is_refused_as_having_none() -> None:
    with pytest.raises(InvalidHeadersError, match="the record has no Kafka key"):
        CODEC.decode(dataclasses.replace(REFERRAL, key=b""))


def test_subject_made_with_another_secret_is_refused() -> None:
    foreign = EventCodec(Pseudonymiser(b"another-organisations-secret-0123456789"))
    with pytest.raises(
        InvalidHeadersError, match="ce_subject is not the pseudonym of the client in the Bundle"
    ):
        CODEC.decode(foreign.encode(EVENTS["04-referral-to-kela.json"]))


def test_subject_of_another_client_is_refused() -> None:
    other_client = CODEC.pseudonymiser.pseudonym("020516C903K")
    record = with_header(REFERRAL, "ce_subject", other_client)
    with pytest.raises(InvalidHeadersError, match="ce_subject is not the pseudonym"):
        CODEC.decode(dataclasses.replace(record, key=other_client.encode()))


def test_type_disagreeing_with_the_message_header_event_is_refused() -> None:
    with pytest.raises(
        InvalidBundleError,
        match=re.escape(
            "MessageHeader.eventCoding is 'referral.accepted' but ce_type is "
            "'fi.saattaja.referral.completed.v1'"
        ),
    ):
        CODEC.decode(with_header(ACCEPTANCE, "ce_type", "fi.saattaja.referral.completed.v1"))


def test_health_assessment_labelled_as_self_assessment_is_refused() -> None:
    # A wrong category would let consent decisions for assessment:self release health data.
    with pytest.raises(
        InvalidHeadersError,
        match="saattaja_category is 'assessment:self' but the event is 'assessment:health'",
    ):
        CODEC.decode(with_header(HEALTH_CHECK, "saattaja_category", "assessment:self"))


def test_id_disagreeing_with_the_bundle_identifier_is_refused() -> None:
    record = with_header(REFERRAL, "ce_id", "00000000-0000-4000-8000-000000000000")
    with pytest.raises(InvalidBundleError, match="but ce_id is 00000000-0000-4000-8000-"):
        CODEC.decode(record)


def test_time_disagreeing_with_the_bundle_timestamp_is_refused() -> None:
    record = with_header(REFERRAL, "ce_time", "2026-02-04T09:06:00+02:00")
    with pytest.raises(InvalidBundleError, match=r"Bundle\.timestamp .* differs from ce_time"):
        CODEC.decode(record)


def test_source_disagreeing_with_the_message_header_is_refused() -> None:
    record = with_header(REFERRAL, "ce_source", "urn:oid:1.2.246.10.2462460")
    with pytest.raises(
        InvalidBundleError, match=r"MessageHeader\.source\.endpoint .* differs from ce_source"
    ):
        CODEC.decode(record)


def test_same_time_in_another_offset_is_the_same_moment() -> None:
    record = with_header(REFERRAL, "ce_time", "2026-02-04T07:05:00+00:00")
    assert CODEC.decode(record) == EVENTS["04-referral-to-kela.json"]


# Models: what cannot be said on the wire cannot be built either.


def test_consent_without_recipients_is_not_specific() -> None:
    with pytest.raises(ValidationError, match="a consent must be specific"):
        ConsentGranted(
            occurred_at=AT,
            sender="1.2.246.10.32213051.10.1",
            client="150388-9127",
            consent_id="S-1",
            scope=ConsentRule(categories=(DataCategory.PLAN,)),
        )


def test_consent_without_data_categories_is_not_specific() -> None:
    with pytest.raises(ValidationError, match="a consent must be specific"):
        ConsentGranted(
            occurred_at=AT,
            sender="1.2.246.10.32213051.10.1",
            client="150388-9127",
            consent_id="S-1",
            scope=ConsentRule(recipients=(Recipient(kind=OrganisationKind.KELA),)),
        )


def test_refusal_naming_nothing_is_refused() -> None:
    with pytest.raises(ValidationError, match="a refusal must name what it refuses"):
        ConsentGranted(
            occurred_at=AT,
            sender="1.2.246.10.32213051.10.1",
            client="150388-9127",
            consent_id="K-1",
            decision="deny",
            scope=ConsentRule(),
        )


def test_consent_ending_before_it_begins_is_refused() -> None:
    with pytest.raises(ValidationError, match="valid_until must be after valid_from"):
        ConsentGranted(
            occurred_at=AT,
            sender="1.2.246.10.32213051.10.1",
            client="150388-9127",
            consent_id="S-1",
            scope=ConsentRule(
                recipients=(Recipient(kind=OrganisationKind.KELA),),
                categories=(DataCategory.PLAN,),
            ),
            valid_from=AT,
            valid_until=AT,
        )


@pytest.mark.parametrize(
    "recipient",
    [{}, {"organisation": "1.2.246.10.2462460", "kind": "kela"}],
    ids=["neither", "both"],
)
def test_recipient_names_exactly_one_organisation_or_kind(recipient: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="exactly one of organisation"):
        Recipient.model_validate(recipient)


@pytest.mark.parametrize("field", ["note", "description"])
def test_empty_optional_text_is_refused_because_fhir_cannot_carry_it(field: str) -> None:
    event = EVENTS["04-referral-to-kela.json"] if field == "note" else EVENTS["07-shared-plan.json"]
    with pytest.raises(ValidationError, match=f"{field}\n.*at least 1 character"):
        type(event).model_validate(event.model_dump() | {field: ""})


# What a sender wrote in error is not echoed where it may be personal data; the element is
# named, and codes of a closed list are still quoted.


def test_event_code_holding_personal_data_is_refused_without_echoing_it() -> None:
    def event_code(bundle: dict[str, Any]) -> None:
        bundle["entry"][0]["resource"]["eventCoding"]["code"] = IDENTITY_CODE

    with pytest.raises(
        InvalidBundleError, match=r"MessageHeader\.eventCoding is a value of 11 characters"
    ) as caught:
        CODEC.decode(with_bundle(REFERRAL, event_code))
    assert IDENTITY_CODE not in str(caught.value)


def test_source_endpoint_holding_personal_data_is_refused_without_echoing_it() -> None:
    def endpoint(bundle: dict[str, Any]) -> None:
        bundle["entry"][0]["resource"]["source"]["endpoint"] = f"urn:hetu:{IDENTITY_CODE}"

    with pytest.raises(
        InvalidBundleError, match=r"MessageHeader\.source\.endpoint is a value of 20 characters"
    ) as caught:
        CODEC.decode(with_bundle(REFERRAL, endpoint))
    assert IDENTITY_CODE not in str(caught.value)


def test_source_endpoint_of_another_oid_is_echoed_to_show_the_mistake() -> None:
    def endpoint(bundle: dict[str, Any]) -> None:
        bundle["entry"][0]["resource"]["source"]["endpoint"] = "urn:oid:1.2.246.10.1"

    with pytest.raises(
        InvalidBundleError,
        match=r"endpoint is 'urn:oid:1\.2\.246\.10\.1', which differs",
    ):
        CODEC.decode(with_bundle(REFERRAL, endpoint))


def test_bundle_type_holding_personal_data_is_refused_without_echoing_it() -> None:
    with pytest.raises(
        InvalidBundleError, match=r"Bundle\.type is a value of 11 characters"
    ) as caught:
        CODEC.decode(with_value_at(REFERRAL, ("type",), IDENTITY_CODE))
    assert IDENTITY_CODE not in str(caught.value)


def test_bundle_identifier_holding_personal_data_is_refused_without_echoing_it() -> None:
    with pytest.raises(
        InvalidBundleError, match=r"Bundle\.identifier\.value is a value of 20 characters"
    ) as caught:
        CODEC.decode(with_value_at(REFERRAL, ("identifier", "value"), f"urn:uuid:{IDENTITY_CODE}"))
    assert IDENTITY_CODE not in str(caught.value)


def test_key_written_twice_that_fhir_never_validated_is_not_echoed() -> None:
    # The first meta, which the second replaces, is never validated: its keys may be anything.
    value = REFERRAL.value.replace(
        b'"type":"message"',
        f'"meta":{{"{IDENTITY_CODE}":1,"{IDENTITY_CODE}":2}},"meta":{{}},"type":"message"'.encode(),
        1,
    )
    assert value != REFERRAL.value
    with pytest.raises(
        InvalidBundleError, match=r"holds the key a value of 11 characters .* twice"
    ) as caught:
        CODEC.decode(dataclasses.replace(REFERRAL, value=value))
    assert IDENTITY_CODE not in str(caught.value)


def test_referral_task_status_holding_personal_data_is_refused_without_echoing_it() -> None:
    with pytest.raises(
        InvalidBundleError, match=r"Task\.status is a value of 11 characters.*needs 'accepted'"
    ) as caught:
        CODEC.decode(with_value_at(ACCEPTANCE, ("entry", 1, "resource", "status"), IDENTITY_CODE))
    assert IDENTITY_CODE not in str(caught.value)


def test_referral_task_status_of_another_fhir_state_is_echoed_to_show_the_mistake() -> None:
    with pytest.raises(InvalidBundleError, match=r"Task\.status is 'completed'.*needs 'accepted'"):
        CODEC.decode(with_value_at(ACCEPTANCE, ("entry", 1, "resource", "status"), "completed"))
