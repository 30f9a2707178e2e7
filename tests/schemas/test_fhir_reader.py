"""Reading validated FHIR JSON: what an element the reader looks into may hold."""

from __future__ import annotations

from enum import StrEnum

import pytest

from schemas import InvalidBundleError
from schemas.fhir import ElementView

SYSTEM = "urn:example:codes"
IDENTITY_CODE = "020516C903K"


def test_a_codeable_concept_whose_coding_is_null_has_no_code() -> None:
    # FHIR validation lets an explicit null through where the list of codings may be.
    concept = ElementView({"category": [{"coding": None, "text": "x"}]}, "Resource")

    assert concept.optional_code("category", SYSTEM) is None


def test_a_codeable_concept_whose_coding_is_null_is_refused_where_a_code_is_required() -> None:
    concept = ElementView({"code": {"coding": None}}, "Resource")

    with pytest.raises(InvalidBundleError, match=r"Resource\.code is missing or is not coded in"):
        concept.code("code", SYSTEM)


def test_a_code_is_found_among_the_codings_of_a_list_of_concepts() -> None:
    concepts = ElementView(
        {"category": [{"coding": None}, {"coding": [{"system": SYSTEM, "code": "b"}]}]},
        "Resource",
    )

    assert concepts.optional_code("category", SYSTEM) == "b"


# A value refused is described, not echoed, where it may be personal data.


class _Colour(StrEnum):
    RED = "red"


def test_a_time_holding_personal_data_is_refused_without_echoing_it() -> None:
    task = ElementView({"lastModified": IDENTITY_CODE}, "Task")

    with pytest.raises(
        InvalidBundleError, match=r"Task\.lastModified is a value of 11 characters"
    ) as caught:
        task.moment("lastModified")
    assert IDENTITY_CODE not in str(caught.value)


def test_a_time_without_a_zone_is_echoed_to_show_the_mistake() -> None:
    task = ElementView({"lastModified": "2026-02-04T09:05:00"}, "Task")

    with pytest.raises(
        InvalidBundleError, match=r"lastModified is '2026-02-04T09:05:00': expected"
    ):
        task.moment("lastModified")


def test_a_period_end_holding_personal_data_is_refused_without_echoing_it() -> None:
    consent = ElementView({"period": {"end": f"2026-12-31 {IDENTITY_CODE}"}}, "Consent")

    with pytest.raises(
        InvalidBundleError, match=r"Consent\.period\.end is a value of 22 characters"
    ) as caught:
        consent.optional_end("period.end")
    assert IDENTITY_CODE not in str(caught.value)


def test_a_code_out_of_its_list_holding_personal_data_is_refused_without_echoing_it() -> None:
    concept = ElementView({"code": {"coding": [{"system": SYSTEM, "code": IDENTITY_CODE}]}}, "X")

    with pytest.raises(
        InvalidBundleError, match=r"X\.code has code a value of 11 characters .*expected one of red"
    ) as caught:
        concept.coded("code", SYSTEM, _Colour)
    assert IDENTITY_CODE not in str(caught.value)
