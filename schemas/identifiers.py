"""Finnish identifiers: personal identity codes, organisation OIDs and client pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BeforeValidator, Field

from schemas.echo import echoed
from schemas.errors import InvalidIdentifierError

__all__ = [
    "IDENTITY_CODE_SYSTEM",
    "MAX_OID_LENGTH",
    "OID_URN_PREFIX",
    "ClientPseudonym",
    "EventId",
    "IdentityCode",
    "Oid",
    "OidUrn",
    "OrganisationKind",
    "Pseudonymiser",
    "check_identity_code",
    "check_oid",
    "check_pseudonym",
    "is_test_identity_code",
    "oid_from_urn",
    "oid_urn",
    "synthetic_identity_code",
]

_FINGERPRINT_LABEL: Final = b"saattaja pseudonym secret fingerprint v1"

IDENTITY_CODE_SYSTEM: Final = "urn:oid:1.2.246.21"
OID_URN_PREFIX: Final = "urn:oid:"

_CHECK_ALPHABET: Final = "0123456789ABCDEFHJKLMNPRSTUVWXY"
# Century sign -> century: '+' 1800s; '-' and U-Y 1900s; A-F 2000s (the 2023 reform
# added U-Y and B-F).
_CENTURIES: Final = {"+": 1800} | dict.fromkeys("-UVWXY", 1900) | dict.fromkeys("ABCDEF", 2000)
# [0-9], not \d: Python's \d takes any Unicode digit, ECMA-262's only these ten, and an
# identity code written in other digits would be another pseudonym of the same client.
_IDENTITY_CODE: Final = re.compile(
    r"^(?P<day>[0-9]{2})(?P<month>[0-9]{2})(?P<year>[0-9]{2})(?P<century>[-+A-FU-Y])"
    r"(?P<individual>[0-9]{3})(?P<check>[0-9A-Y])$"
)
# The same shape for JSON Schema, whose ECMA-262 regular expressions have no (?P<name>...).
_IDENTITY_CODE_JSON_PATTERN: Final = r"^[0-9]{6}[-+A-FU-Y][0-9]{3}[0-9A-Y]$"
# The lengths the JSON Schema gives beside a pattern of fixed length: Python's jsonschema
# applies a pattern as re.search does, whose $ also matches before a final line feed, and a
# lookahead to refuse it would leave the schema uncompilable for RE2 (Go, Java's re2j) and
# Rust's regex crate, outside the regular expressions JSON Schema recommends.
_IDENTITY_CODE_LENGTH: Final = 11
_PSEUDONYM_LENGTH: Final = 64
_OID: Final = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
_ARCS_UNDER_ROOTS_0_AND_1: Final = 40
# check_oid's whole rule in one ECMA-262 pattern, for the JSON Schema: a root of 0, 1 or 2;
# under 0 and 1 a second arc of 0 to 39 (X.660); no arc with a leading zero. check_oid
# checks the parts one by one, to say which one a value breaks.
_OID_JSON_PATTERN: Final = (
    r"^(?:[01]\.(?:[0-9]|[1-3][0-9])|2\.(?:0|[1-9][0-9]*))(?:\.(?:0|[1-9][0-9]*))*$"
)
MAX_OID_LENGTH: Final = 128
"""The longest OID the stores keep (their organisation columns are 128 characters)."""
_PSEUDONYM: Final = re.compile(rf"^[0-9a-f]{{{_PSEUDONYM_LENGTH}}}$")
# RFC 4122's text of a UUID, which JSON Schema's format uuid names: pydantic alone also
# reads one without its hyphens, in braces or as a urn:uuid: URN.
_UUID_JSON_PATTERN: Final = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_UUID_TEXT: Final = re.compile(_UUID_JSON_PATTERN)
# Its length beside the pattern, as an identity code's: Python's jsonschema would let a
# line feed after one through the pattern's $.
_UUID_LENGTH: Final = 36


def check_identity_code(value: str) -> str:
    """Return a valid henkilötunnus unchanged; raise naming what is wrong otherwise."""
    # fullmatch, not match: '$' also matches before a trailing newline, and '150388-9127\n'
    # would give the same client a second pseudonym.
    match = _IDENTITY_CODE.fullmatch(value)
    if match is None:
        raise InvalidIdentifierError(
            "an identity code is not of the form DDMMYYCNNNT "
            "(date, century sign, individual number, check character)"
        )
    if match["century"] not in _CENTURIES:
        raise InvalidIdentifierError(
            f"identity code has an unknown century sign {match['century']!r}"
        )
    year = _CENTURIES[match["century"]] + int(match["year"])
    try:
        date(year, int(match["month"]), int(match["day"]))
    except ValueError as exc:
        raise InvalidIdentifierError(f"an identity code has no valid birth date: {exc}") from exc
    expected = _CHECK_ALPHABET[
        int(match["day"] + match["month"] + match["year"] + match["individual"]) % 31
    ]
    if match["check"] != expected:
        # Neither character is quoted: both are part of, or follow from, a client's code.
        raise InvalidIdentifierError(
            "an identity code's check character is not the one its digits give: the code is "
            "mistyped"
        )
    return value


def is_test_identity_code(value: str) -> bool:
    """Test codes have an individual number from 900 to 999 and belong to nobody."""
    return check_identity_code(value)[7] == "9"


def synthetic_identity_code(born: date, individual: int, century_sign: str | None = None) -> str:
    """A valid test identity code (individual number 900-999) for demos, tests and benchmarks.

    ``century_sign`` defaults to the classic sign of the birth century ('+', '-' or 'A').
    """
    if not 900 <= individual <= 999:
        raise InvalidIdentifierError(
            f"individual number {individual} is not a test number: use 900 to 999, which "
            "belong to nobody"
        )
    sign = century_sign or {1800: "+", 1900: "-", 2000: "A"}.get(born.year // 100 * 100, "")
    if _CENTURIES.get(sign) != born.year // 100 * 100:
        raise InvalidIdentifierError(f"century sign {sign!r} does not fit birth year {born.year}")
    digits = f"{born:%d%m}{born.year % 100:02d}{individual}"
    return f"{digits[:6]}{sign}{digits[6:]}{_CHECK_ALPHABET[int(digits) % 31]}"


def check_oid(value: str) -> str:
    """Return a dotted-decimal OID unchanged; raise naming what is wrong otherwise."""
    if len(value) > MAX_OID_LENGTH:
        raise InvalidIdentifierError(
            f"an OID of {len(value)} characters is longer than the "
            f"{MAX_OID_LENGTH} that Saattaja's stores keep: an organisation's OID is far shorter"
        )
    arcs = value.split(".")
    padded = [arc for arc in arcs[1:] if len(arc) > 1 and arc.isdecimal() and arc[0] == "0"]
    if padded and _OID.fullmatch(".".join(arc.lstrip("0") or "0" for arc in arcs)):
        raise InvalidIdentifierError(
            f"{echoed(value)} is not an OID: its arc {padded[0]!r} has a leading zero, which an "
            "OID never has; check the number against the one the organisation was given"
        )
    if not _OID.fullmatch(value):
        raise InvalidIdentifierError(
            f"{echoed(value)} is not an OID: expected dotted decimal such as 1.2.246.10.2336601.10"
        )
    # ITU-T X.660: under the roots 0 and 1 there are only the arcs 0 to 39.
    if arcs[0] in ("0", "1") and int(arcs[1]) >= _ARCS_UNDER_ROOTS_0_AND_1:
        raise InvalidIdentifierError(
            f"{echoed(value)} is not an OID: under the root {arcs[0]} the second arc is 0 to "
            f"{_ARCS_UNDER_ROOTS_0_AND_1 - 1}, not {arcs[1]}; check the number"
        )
    return value


def check_pseudonym(value: str) -> str:
    """Return a client pseudonym (64 lowercase hex digits) unchanged."""
    if not _PSEUDONYM.fullmatch(value):
        raise InvalidIdentifierError(
            "not a client pseudonym: expected 64 lowercase hexadecimal digits "
            "(HMAC-SHA256 of the identity code)"
        )
    return value


def oid_urn(oid: str) -> str:
    """The ``urn:oid:`` form used in ce_source and FHIR identifiers."""
    return OID_URN_PREFIX + oid


def oid_from_urn(urn: str) -> str:
    """The bare OID of a ``urn:oid:`` URI."""
    if not urn.startswith(OID_URN_PREFIX):
        raise InvalidIdentifierError(f"{echoed(urn)} is not an OID URI: expected 'urn:oid:<OID>'")
    return check_oid(urn.removeprefix(OID_URN_PREFIX))


IdentityCode = Annotated[
    str,
    AfterValidator(check_identity_code),
    Field(
        json_schema_extra={
            "pattern": _IDENTITY_CODE_JSON_PATTERN,
            "minLength": _IDENTITY_CODE_LENGTH,
            "maxLength": _IDENTITY_CODE_LENGTH,
        },
        description="Finnish personal identity code (henkilötunnus), urn:oid:1.2.246.21.",
    ),
]
Oid = Annotated[
    str,
    AfterValidator(check_oid),
    Field(
        json_schema_extra={"pattern": _OID_JSON_PATTERN, "maxLength": MAX_OID_LENGTH},
        description="Dotted-decimal OID.",
    ),
]


def _checked_urn(urn: str) -> str:
    oid_from_urn(urn)
    return urn


OidUrn = Annotated[
    str,
    AfterValidator(_checked_urn),
    Field(
        json_schema_extra={
            "pattern": "^urn:oid:" + _OID_JSON_PATTERN.removeprefix("^"),
            "maxLength": len(OID_URN_PREFIX) + MAX_OID_LENGTH,
        },
        description="An OID as a URI: urn:oid:<OID>.",
    ),
]
ClientPseudonym = Annotated[
    str,
    AfterValidator(check_pseudonym),
    Field(
        json_schema_extra={
            "pattern": _PSEUDONYM.pattern,
            "minLength": _PSEUDONYM_LENGTH,
            "maxLength": _PSEUDONYM_LENGTH,
        },
        description="HMAC-SHA256 of the identity code, 64 hex digits.",
    ),
]


def _written_as_uuid(value: Any) -> Any:
    # fullmatch, not match: '$' also matches before a final line feed.
    if isinstance(value, str) and not _UUID_TEXT.fullmatch(value):
        raise ValueError(
            "expected a UUID as RFC 4122 writes it, 8-4-4-4-12 hexadecimal digits with their "
            "hyphens, such as 72a1edd3-6591-516b-9b5c-606d28a76e72"
        )
    return value


EventId = Annotated[
    uuid.UUID,
    BeforeValidator(_written_as_uuid),
    Field(
        json_schema_extra={
            "pattern": _UUID_JSON_PATTERN,
            "minLength": _UUID_LENGTH,
            "maxLength": _UUID_LENGTH,
        }
    ),
]
"""An event's id (ce_id), written as RFC 4122 writes a UUID."""


class OrganisationKind(StrEnum):
    """The kinds of organisation that take part in work-ability support."""

    SOTE = "sote"
    """Wellbeing services county: social services, health centre, rehabilitation clinic."""
    KELA = "kela"
    """Social Insurance Institution: rehabilitation, work-ability advisers."""
    TYOLLISYYS = "tyollisyys"
    """Municipal employment services."""
    TYP = "typ"
    """Multi-sectoral joint service promoting employment."""
    JARJESTO = "jarjesto"
    """NGO or foundation: rehabilitative work activity, job coaching."""


@dataclass(frozen=True, slots=True)
class Pseudonymiser:
    """Keyed HMAC-SHA256 of identity codes.

    A bare hash would not do: the space of identity codes is small enough to enumerate.
    """

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) < 32:
            raise InvalidIdentifierError("the pseudonym secret must be at least 32 bytes long")

    def pseudonym(self, identity_code: str) -> str:
        """The client pseudonym used as Kafka key and ce_subject."""
        code = check_identity_code(identity_code)
        return hmac.new(self.secret, code.encode("ascii"), hashlib.sha256).hexdigest()

    def fingerprint(self) -> str:
        """What tells this secret from another without revealing it: an HMAC of a fixed label.

        The same secret always gives the same fingerprint, so that a database filled under
        one secret can refuse a process that has another.
        """
        return hmac.new(self.secret, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()
