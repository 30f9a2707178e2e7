"""Values in error messages: quoted only when they cannot be personal data."""

from __future__ import annotations

import pytest

from schemas.echo import echoed


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
