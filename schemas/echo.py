"""Values quoted back in error messages, as far as they cannot be personal data.

A rejection reason travels into logs, dead-letter reasons and notices to the sender, each
read by more people than the event itself. A field that fails its check may hold anything a
sender's system put there by mistake, an identity code and a diagnosis too, so a value is
quoted only when it cannot carry such data; otherwise the message names the field and says
what the value is like. Pydantic's own error text quotes the input (``input_value=...``):
``validation_problems`` tells where and what is wrong without it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final, get_args

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_core.core_schema import ErrorType

__all__ = ["echoed", "validation_message", "validation_problems"]

# Digits and dots with at least one dot, bare or as an OID URN: a mistyped OID, never a
# name, an identity code (its century sign is a letter or a dash) or a phone number. Longer
# than the longest OID the stores keep (128) helps nobody.
_DOTTED_NUMBER: Final = re.compile(r"(?:urn:oid:)?[0-9]*\.[0-9.]*")
_LONGEST_QUOTED: Final = 128
# The messages of pydantic's own error types never quote the input, but for these: our
# validators' (value_error, assertion_error) and union_tag_invalid's, handled apart. Those
# of other libraries' custom types (fhir.resources') may quote it too.
_PYDANTIC_ERROR_TYPES: Final = frozenset(get_args(ErrorType))
_OWN_MESSAGES: Final = frozenset({"value_error", "assertion_error"})


def echoed(value: str, *, known: Collection[str] = ()) -> str:
    """``value`` quoted when it is a dotted number (or its OID URN) or one of ``known`` codes.

    Anything else is described by its length.
    """
    if value in known or (len(value) <= _LONGEST_QUOTED and _DOTTED_NUMBER.fullmatch(value)):
        return repr(value)
    if not value:
        return "''"
    return f"a value of {len(value)} characters (not shown: it may hold personal data)"


def validation_problems(error: ValidationError, *, whole: str, limit: int | None = 5) -> str:
    """The first ``limit`` problems of ``error`` as ``where: what``, never quoting the input.

    ``whole`` names what a problem with no location is about (``event``, ``payload``).
    """
    return "; ".join(
        _problem(details, whole) for details in error.errors(include_url=False)[:limit]
    )


def validation_message(details: ErrorDetails) -> str:
    """What one of pydantic's errors says is wrong, never quoting the input."""
    context = details.get("ctx") or {}
    if details["type"] == "union_tag_invalid":
        return (
            f"{context.get('discriminator')} is {echoed(str(context.get('tag')))}: expected one "
            f"of {context.get('expected_tags')}"
        )
    if details["type"] in _OWN_MESSAGES or details["type"] not in _PYDANTIC_ERROR_TYPES:
        return _without(details.get("input"), details["msg"])
    return details["msg"]


def _problem(details: ErrorDetails, whole: str) -> str:
    where = [str(part) for part in details["loc"]]
    if details["type"] == "extra_forbidden" and where:
        # The location's last part is the key the sender wrote, not a field of the model.
        what = f"{echoed(where.pop())} is not an element here ({details['msg']})"
    else:
        what = validation_message(details)
    return f"{'.'.join(where) or whole}: {what}"


def _without(given: object, message: str) -> str:
    # A safety net: our validators describe values with echoed() themselves, but a
    # message that still holds the value whole has it replaced.
    if not isinstance(given, str) or not given or echoed(given) == repr(given):
        return message
    return message.replace(repr(given), echoed(given)).replace(given, echoed(given))
