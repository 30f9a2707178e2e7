"""Finnish identifiers: identity codes, test codes, client pseudonyms and organisation OIDs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final

import jsonschema
import pytest
from pydantic import TypeAdapter, ValidationError

from schemas import (
    MAX_OID_LENGTH,
    ClientPseudonym,
    IdentityCode,
    InvalidIdentifierError,
    Oid,
    Pseudonymiser,
    ReferralAccepted,
    check_identity_code,
    check_oid,
    check_pseudonym,
    is_test_identity_code,
    oid_from_urn,
    oid_urn,
    synthetic_identity_code,
)

SECRET = b"tests-pseudonym-secret-0123456789abcdef"
OTHER_SECRET = b"another-pseudonym-secret-0123456789abcdef"


@pytest.mark.parametrize(
    "code",
    [
        "150388+9127",  # 1888
        "150388-9127",  # 1988
        "150388U9127",  # 1988, signs added in 2023
        "150388V9127",
        "150388W9127",
        "150388X9127",
        "150388Y9127",
        "020516A903K",  # 2016
        "020516B903K",  # 2016, signs added in 2023
        "020516C903K",
        "020516D903K",
        "020516E903K",
        "020516F903K",
    ],
)
def test_valid_code_of_every_century_sign_is_accepted(code: str) -> None:
    assert check_identity_code(code) == code


def test_wrong_check_character_is_rejected_as_mistyped_without_quoting_either() -> None:
    with pytest.raises(InvalidIdentifierError) as raised:
        check_identity_code("150388-9128")
    assert str(raised.value) == (
        "an identity code's check character is not the one its digits give: the code is mistyped"
    )


def test_identity_code_errors_do_not_repeat_the_code() -> None:
    # Errors end up in dead-letter reasons and logs, which must not identify the client.
    with pytest.raises(InvalidIdentifierError) as caught:
        check_identity_code("150388-9128")
    assert "150388-912" not in str(caught.value)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "150388-912",  # individual number too short
        "150388-91277",  # one character too many
        "150388G9127",  # G is no century sign
        "15O388-9127",  # letter O for zero
        "020516c903k",  # lower case
        " 150388-9127",
        "150388-9127\n",  # would give the client a second pseudonym
        "\u0661\u0665\u0660\u0663\u0668\u0668-\u0669\u0661\u06627",  # other digits: so too
    ],
)
def test_malformed_code_is_rejected_naming_the_expected_form(code: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="not of the form DDMMYYCNNNT"):
        check_identity_code(code)


def test_the_json_schema_of_an_identity_code_refuses_a_line_feed_after_it() -> None:
    # Python's jsonschema matches a pattern's $ before a final line feed, as re.search does.
    schema = TypeAdapter(IdentityCode).json_schema()
    assert not jsonschema.Draft202012Validator(schema).is_valid("150388-9127\n")


def test_the_json_schema_of_a_pseudonym_refuses_a_line_feed_after_it() -> None:
    schema = TypeAdapter(ClientPseudonym).json_schema()
    pseudonym = Pseudonymiser(SECRET).pseudonym("150388-9127")
    validator = jsonschema.Draft202012Validator(schema)
    assert (validator.is_valid(pseudonym), validator.is_valid(pseudonym + "\n")) == (True, False)


@pytest.mark.parametrize(
    "code", ["150388-9127", "\u0661\u0665\u0660\u0663\u0668\u0668-\u0669\u0661\u06627"]
)
def test_the_json_schema_of_an_identity_code_takes_what_check_identity_code_takes(
    code: str,
) -> None:
    schema = TypeAdapter(IdentityCode).json_schema()
    try:
        check_identity_code(code)
    except InvalidIdentifierError:
        accepted = False
    else:
        accepted = True
    assert jsonschema.Draft202012Validator(schema).is_valid(code) == accepted


@pytest.mark.parametrize(
    "code",
    [
        "300288-9123",  # 30 February
        "320188-912K",  # 32 January
        "000188-912X",  # day 0
        "011388-9128",  # month 13
        "290223A912N",  # 29 February 2023, not a leap year
        "290200-912R",  # 29 February 1900: divisible by 100, not a leap year
    ],
)
def test_code_with_impossible_birth_date_is_rejected(code: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="has no valid birth date"):
        check_identity_code(code)


@pytest.mark.parametrize("code", ["290224A912X", "290200A912R"])
def test_leap_day_is_accepted_in_a_leap_year_that_the_century_sign_decides(code: str) -> None:
    assert check_identity_code(code) == code


@pytest.mark.parametrize("code", ["150388-9127", "020516C903K", "010199-9001", "311299Y999E"])
def test_individual_number_from_900_to_999_is_a_test_code(code: str) -> None:
    assert is_test_identity_code(code)


def test_individual_number_below_900_is_not_a_test_code() -> None:
    assert not is_test_identity_code("150388-123S")


def test_test_code_check_rejects_an_invalid_code_rather_than_answering() -> None:
    with pytest.raises(InvalidIdentifierError, match="check character"):
        is_test_identity_code("150388-9128")


def test_model_rejects_a_mistyped_identity_code_with_the_same_explanation() -> None:
    with pytest.raises(ValidationError, match=r"client\n.*check character is not the one"):
        ReferralAccepted(
            occurred_at=datetime(2026, 2, 9, 13, 40, tzinfo=UTC),
            sender="1.2.246.10.2462460",
            client="150388-9128",
            referral_id="R-1",
            requester="1.2.246.10.32213051.10.1",
        )


def test_pseudonym_is_the_same_for_the_same_code_and_secret() -> None:
    assert Pseudonymiser(SECRET).pseudonym("150388-9127") == Pseudonymiser(SECRET).pseudonym(
        "150388-9127"
    )


def test_pseudonym_differs_by_secret() -> None:
    assert Pseudonymiser(SECRET).pseudonym("150388-9127") != Pseudonymiser(OTHER_SECRET).pseudonym(
        "150388-9127"
    )


def test_pseudonym_differs_by_client() -> None:
    pseudonymiser = Pseudonymiser(SECRET)
    assert pseudonymiser.pseudonym("150388-9127") != pseudonymiser.pseudonym("020516C903K")


def test_pseudonym_is_a_valid_client_pseudonym() -> None:
    pseudonym = Pseudonymiser(SECRET).pseudonym("150388-9127")
    assert check_pseudonym(pseudonym) == pseudonym


def test_pseudonymiser_refuses_to_pseudonymise_an_invalid_code() -> None:
    with pytest.raises(InvalidIdentifierError, match="check character"):
        Pseudonymiser(SECRET).pseudonym("150388-9128")


def test_secret_shorter_than_32_bytes_is_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="at least 32 bytes"):
        Pseudonymiser(b"x" * 31)


def test_secret_of_exactly_32_bytes_is_accepted() -> None:
    assert Pseudonymiser(b"x" * 32).pseudonym("150388-9127")


def test_pseudonymiser_repr_does_not_reveal_the_secret() -> None:
    pseudonymiser = Pseudonymiser(SECRET)
    assert SECRET.decode() not in repr(pseudonymiser)
    assert SECRET.decode() not in str(pseudonymiser)


@pytest.mark.parametrize(
    "pseudonym", ["A" * 64, "a" * 63, "g" * 64, "a" * 64 + "\n", "150388-9127"]
)
def test_anything_but_64_lowercase_hex_digits_is_not_a_pseudonym(pseudonym: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="not a client pseudonym"):
        check_pseudonym(pseudonym)


@pytest.mark.parametrize(
    "oid", ["1.2.246.10.2462460", "1.2.246.537.6.202.2008", "1.2.246.10.32213051.10.1", "2.0"]
)
def test_dotted_decimal_oid_is_accepted(oid: str) -> None:
    assert check_oid(oid) == oid


@pytest.mark.parametrize(
    "oid", ["", "1", "3.1", "1..2", "1.2.", "1.2.246\n", "urn:oid:1.2.246", "1.2.x"]
)
def test_anything_but_a_dotted_decimal_oid_is_rejected(oid: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="is not an OID: expected dotted decimal"):
        check_oid(oid)


@pytest.mark.parametrize("oid", ["1.50.2", "0.40"])
def test_a_second_arc_of_40_or_more_under_the_roots_0_and_1_is_rejected(oid: str) -> None:
    with pytest.raises(InvalidIdentifierError, match=r"the second arc is 0 to 39"):
        check_oid(oid)


def test_an_oid_with_a_leading_zero_is_rejected_naming_the_arc() -> None:
    with pytest.raises(InvalidIdentifierError, match=r"arc '0286' has a leading zero"):
        check_oid("1.2.246.10.0286")


def test_oid_as_long_as_the_stores_keep_is_accepted_and_a_longer_one_rejected() -> None:
    longest = "1.2." + "9" * (MAX_OID_LENGTH - 4)

    assert check_oid(longest) == longest
    with pytest.raises(InvalidIdentifierError, match="longer than the 128 that Saattaja"):
        check_oid(longest + "9")


_LONGEST_OID: Final = "1.2." + "9" * (MAX_OID_LENGTH - 4)
_OIDS_AND_WHETHER_VALID: Final = [
    *(
        (oid, True)
        for oid in [
            "1.2.246.10.2462460",
            "1.2.246.537.6.202.2008",
            "1.2.246.10.0",
            "0.0",
            "0.39",
            "1.39.5",
            "2.0",
            "2.40",
            "2.999.1",
            _LONGEST_OID,
        ]
    ),
    *(
        (oid, False)
        for oid in [
            "",
            "1",
            "3.1",
            "1..2",
            "1.2.",
            ".1.2",
            "1.2 ",
            "urn:oid:1.2.246",
            "1.2.x",
            "-1.2",
            "1.40",
            "0.40",
            "1.50.2",
            "1.400",
            "01.2",
            "1.02",
            "2.05",
            "1.2.246.10.0286",
            "1.2.246.10.2\u0663",  # ARABIC-INDIC DIGIT THREE, which Python's \d matches
            "1.2.246.10.1\uff12",  # FULLWIDTH DIGIT TWO, likewise
            _LONGEST_OID + "9",
        ]
    ),
]


def _check_oid_accepts(oid: str) -> bool:
    try:
        check_oid(oid)
    except InvalidIdentifierError:
        return False
    return True


@pytest.mark.parametrize(("oid", "valid"), _OIDS_AND_WHETHER_VALID)
def test_the_json_schema_of_an_oid_and_check_oid_agree(oid: str, *, valid: bool) -> None:
    # The JSON Schema is what organisations' systems validate against before sending: what
    # it lets through, check_oid must not refuse on arrival, and the other way round.
    schema = TypeAdapter(Oid).json_schema()

    assert (
        jsonschema.Draft202012Validator(schema).is_valid(oid),
        _check_oid_accepts(oid),
    ) == (valid, valid)


def test_oid_round_trips_through_its_urn() -> None:
    assert oid_urn("1.2.246.10.2462460") == "urn:oid:1.2.246.10.2462460"
    assert oid_from_urn(oid_urn("1.2.246.10.2462460")) == "1.2.246.10.2462460"


def test_urn_without_the_oid_prefix_is_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="is not an OID URI: expected 'urn:oid:<OID>'"):
        oid_from_urn("1.2.246.10.2462460")


def test_urn_with_a_malformed_oid_is_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match=r"5 characters \(not shown.*\) is not an OID"):
        oid_from_urn("urn:oid:1.2.x")


def test_an_oid_that_is_a_dotted_number_is_echoed_to_show_the_mistake() -> None:
    with pytest.raises(InvalidIdentifierError, match=r"'1\.2\.246\.\.10' is not an OID"):
        check_oid("1.2.246..10")


def test_an_overlong_oid_is_refused_without_echoing_any_of_it() -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        check_oid("Sanna " * 30)
    assert "Sanna" not in str(caught.value)


def test_a_urn_that_is_no_oid_urn_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        oid_from_urn("150388-9127 Sanna")
    assert "Sanna" not in str(caught.value)


def test_synthetic_identity_code_is_a_valid_test_code() -> None:
    code = synthetic_identity_code(date(1988, 3, 15), 912)

    assert code == "150388-912" + code[-1]
    assert is_test_identity_code(code)


def test_synthetic_identity_code_refuses_an_individual_number_a_real_person_may_have() -> None:
    with pytest.raises(InvalidIdentifierError, match="900 to 999"):
        synthetic_identity_code(date(1988, 3, 15), 123)
