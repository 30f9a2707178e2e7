"""Reading validated FHIR JSON: what an element the reader looks into may hold."""

from __future__ import annotations

import pytest

from schemas import InvalidBundleError
from schemas.fhir import ElementView

SYSTEM = "urn:example:codes"


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
