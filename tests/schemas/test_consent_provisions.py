"""A consent's provisions are read whole, or the consent is refused: nothing is dropped unread."""

from __future__ import annotations

from typing import Any, Final

import pytest

from schemas import ConsentGranted, InvalidBundleError
from schemas.examples import example_codec, journey_events
from tests.bundles import with_bundle

CODEC: Final = example_codec()
CONSENT: Final = CODEC.encode(dict(journey_events())["03-consent-kela-employment.json"])
"""A consent (permit) to Kela, employment services and TYP, with one exception (deny)."""

_PERIOD: Final = {"start": "2026-01-01T00:00:00+02:00"}
_PURPOSE: Final = [
    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}
]


def _provision(bundle: dict[str, Any]) -> dict[str, Any]:
    provision: dict[str, Any] = bundle["entry"][1]["resource"]["provision"]
    return provision


def _decoded_with(edit: Any) -> ConsentGranted:
    event = CODEC.decode(with_bundle(CONSENT, lambda bundle: edit(_provision(bundle))))
    assert isinstance(event, ConsentGranted)
    return event


def test_the_example_consent_is_read_with_its_exception() -> None:
    event = _decoded_with(lambda provision: None)
    assert (event.decision, len(event.exceptions)) == ("permit", 1)


def test_an_exception_of_the_same_type_as_its_consent_is_refused() -> None:
    def same_type(provision: dict[str, Any]) -> None:
        provision["provision"][0]["type"] = "permit"

    with pytest.raises(InvalidBundleError, match=r"provision\[0\]\.type is 'permit'.*'deny'"):
        _decoded_with(same_type)


@pytest.mark.parametrize(
    ("element", "value"),
    [
        ("period", _PERIOD),
        ("purpose", _PURPOSE),
        ("provision", [{"type": "permit", "class": [{"code": "plan"}]}]),
        ("dataPeriod", _PERIOD),
        ("action", [{"text": "access"}]),
        ("securityLabel", [{"code": "R"}]),
    ],
)
def test_an_exception_limited_by_what_the_contract_cannot_decide_on_is_refused(
    element: str, value: Any
) -> None:
    def limited(provision: dict[str, Any]) -> None:
        provision["provision"][0][element] = value

    with pytest.raises(InvalidBundleError, match=rf"provision\[0\]\.{element} is not honoured"):
        _decoded_with(limited)


@pytest.mark.parametrize(
    ("element", "value"),
    [
        ("dataPeriod", _PERIOD),
        ("action", [{"text": "access"}]),
        ("securityLabel", [{"code": "R"}]),
    ],
)
def test_a_consent_limited_by_what_the_contract_cannot_decide_on_is_refused(
    element: str, value: Any
) -> None:
    def limited(provision: dict[str, Any]) -> None:
        provision[element] = value

    with pytest.raises(
        InvalidBundleError, match=rf"resource\.provision\.{element} is not honoured"
    ):
        _decoded_with(limited)


def test_a_consent_for_more_than_one_purpose_is_refused_rather_than_read_for_the_first() -> None:
    def care_and_research(provision: dict[str, Any]) -> None:
        provision["purpose"] = [
            {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": code}
            for code in ("HRESCH", "COC")
        ]

    with pytest.raises(InvalidBundleError, match=r"purpose names 2 purposes.*one for each"):
        _decoded_with(care_and_research)


def test_an_exception_naming_nothing_is_refused() -> None:
    def empty(provision: dict[str, Any]) -> None:
        provision["provision"][0] = {"type": "deny"}

    with pytest.raises(InvalidBundleError, match=r"provision\[0\] names nothing"):
        _decoded_with(empty)


def test_a_document_named_by_another_meaning_than_itself_is_refused() -> None:
    def related(provision: dict[str, Any]) -> None:
        provision["provision"][0]["data"] = [
            {
                "meaning": "related",
                "reference": {
                    "type": "DocumentReference",
                    "identifier": {
                        "system": "https://saattaja.fi/fhir/NamingSystem/resource-id",
                        "value": "PLAN-1",
                    },
                },
            }
        ]

    with pytest.raises(InvalidBundleError, match=r"data\[0\]\.meaning is 'related'"):
        _decoded_with(related)
