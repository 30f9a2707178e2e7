"""Values in error messages: quoted only when they cannot be personal data."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.echo import echoed, validation_problems


@pytest.mark.parametrize("value", ["1.2.246.10.2462460", "1.2.246..", ".5", ""])
def test_a_dotted_number_is_quoted(value: str) -> None:
    assert echoed(value) == repr(value)


@pytest.mark.parametrize("value", ["150388-9127 Sanna masennus", "1503889127", "Sanna", "1.2.x"])
def test_anything_else_is_described_by_its_length(value: str) -> None:
    assert echoed(value) == (
        f"a value of {len(value)} characters (not shown: it may hold personal data)"
    )


def test_a_code_of_the_closed_list_given_is_quoted() -> None:
    assert echoed("entered-in-error", known={"active", "entered-in-error"}) == "'entered-in-error'"


def test_a_dotted_number_longer_than_any_oid_is_described() -> None:
    assert echoed("1." * 100).startswith("a value of 200 characters")


def test_an_oid_urn_of_a_dotted_number_is_quoted() -> None:
    assert echoed("urn:oid:1.2.246.10.2462460") == "'urn:oid:1.2.246.10.2462460'"


def test_a_urn_of_anything_else_is_described() -> None:
    assert echoed("urn:oid:020516C903K").startswith("a value of 19 characters")


class _Square(BaseModel):
    kind: Literal["square"]


class _Circle(BaseModel):
    kind: Literal["circle"]


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int
    name: str = "x"
    shape: Annotated[_Square | _Circle, Field(discriminator="kind")] | None = None

    @field_validator("name")
    @classmethod
    def _not_bad(cls, value: str) -> str:
        if value.startswith("0"):
            raise ValueError(f"{value!r} starts with a zero")
        return value


def _problems(data: dict[str, object]) -> str:
    with pytest.raises(ValidationError) as caught:
        _Form.model_validate(data)
    return validation_problems(caught.value, whole="form")


def test_a_problem_names_where_and_what_without_the_value() -> None:
    assert _problems({"count": "020516C903K"}) == (
        "count: Input should be a valid integer, unable to parse string as an integer"
    )


def test_a_problem_with_no_location_names_the_whole() -> None:
    with pytest.raises(ValidationError) as caught:
        _Form.model_validate("020516C903K")
    assert validation_problems(caught.value, whole="form").startswith("form: ")


def test_an_element_of_no_field_is_named_by_where_it_is_not_by_its_key() -> None:
    problems = _problems({"count": 1, "020516C903K": 2})
    assert problems == (
        "form: a value of 11 characters (not shown: it may hold personal data) is not an "
        "element here (Extra inputs are not permitted)"
    )


def test_a_discriminator_value_is_described_not_echoed() -> None:
    problems = _problems({"count": 1, "shape": {"kind": "020516C903K"}})
    assert "020516C903K" not in problems
    assert problems.startswith("shape: 'kind' is a value of 11 characters")
    assert "expected one of 'square', 'circle'" in problems


def test_a_value_a_validator_quotes_in_its_message_is_described_instead() -> None:
    assert _problems({"count": 1, "name": "020516C903K"}) == (
        "name: Value error, a value of 11 characters (not shown: it may hold personal data) "
        "starts with a zero"
    )


def test_only_the_first_problems_up_to_the_limit_are_told() -> None:
    with pytest.raises(ValidationError) as caught:
        _Form.model_validate({"a": 1, "b": 2, "c": 3})
    assert validation_problems(caught.value, whole="form", limit=2).count("; ") == 1
