"""Typed reading of validated FHIR JSON, with errors that name the element at fault."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any, Final, TypeVar

from pydantic import ValidationError

from schemas.codesystems import RESOURCE_ID_SYSTEM, URI_IDENTIFIER_SYSTEM
from schemas.echo import echoed
from schemas.errors import InvalidBundleError, InvalidIdentifierError
from schemas.fhir.periods import first_moment_after, first_moment_of
from schemas.identifiers import IDENTITY_CODE_SYSTEM, check_identity_code, oid_from_urn
from schemas.moments import MOMENTS

__all__ = ["ElementView"]

_CodeT = TypeVar("_CodeT", bound=StrEnum)
# The shape of an ISO 8601 date or time (its numbers may be out of range): quoted when a
# time is refused, to show the mistake, since it holds nothing but a date and a time.
_TIME_SHAPED: Final = re.compile(
    r"[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?"
)


@cache
def _keys(path: str) -> tuple[str, ...]:
    # Paths are a few dozen literals in the readers' code: each is split once.
    return tuple(path.split("."))


class ElementView:
    """A FHIR element (a resource or a part of one) read by dotted paths.

    Every missing or mistyped element raises InvalidBundleError naming the full path,
    such as ``Task.owner.identifier.value``, so the sender can find it. It reads parsed
    JSON, whose objects are ``dict``: checked as such, not as ``Mapping``, whose check
    costs several times as much, and one decode makes hundreds of them.
    """

    __slots__ = ("_data", "_where")

    def __init__(self, data: dict[str, Any], where: str) -> None:
        self._data = data
        self._where = where

    @property
    def where(self) -> str:
        """The path of this element from its resource, e.g. ``CarePlan.activity[1]``."""
        return self._where

    def _lookup(self, path: str) -> Any:
        node: Any = self._data
        if not path:
            return node
        for key in _keys(path):
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node

    def _missing(self, path: str, expected: str) -> InvalidBundleError:
        return InvalidBundleError(f"{self._where}.{path} is missing or is not {expected}")

    def has(self, path: str) -> bool:
        """Whether the element at path is present."""
        return self._lookup(path) is not None

    def refuse_others(self, honoured: Collection[str], why: str) -> None:
        """Refuse the first element present beyond ``honoured``, saying ``why``."""
        others = sorted(name for name in self._data if name not in honoured)
        if others:
            raise InvalidBundleError(
                f"{self._where}.{others[0]} is not honoured here: {why}; "
                f"this element may hold only {', '.join(sorted(honoured))}"
            )

    def text(self, path: str) -> str:
        """A required string element."""
        value = self._lookup(path)
        if not isinstance(value, str) or not value:
            raise self._missing(path, "a non-empty string")
        return value

    def optional_text(self, path: str) -> str | None:
        """A string element that may be absent."""
        return self.text(path) if self.has(path) else None

    def integer(self, path: str) -> int:
        """A required integer element."""
        value = self._lookup(path)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._missing(path, "an integer")
        return value

    def optional_integer(self, path: str) -> int | None:
        """An integer element that may be absent."""
        return self.integer(path) if self.has(path) else None

    def moment(self, path: str) -> datetime:
        """A required dateTime with a time zone."""
        value = self.text(path)
        try:
            return MOMENTS.validate_python(value)
        except ValidationError as exc:
            raise InvalidBundleError(
                f"{self._where}.{path} is {_shown_time(value)}: expected a date and time with a "
                "time zone, within the years 1-9999 in UTC"
            ) from exc

    def optional_moment(self, path: str) -> datetime | None:
        """A dateTime with a time zone that may be absent."""
        return self.moment(path) if self.has(path) else None

    def optional_start(self, path: str) -> datetime | None:
        """A Period's start as its first moment (a date is a Finnish day); may be absent."""
        return self._period_bound(path, first_moment_of) if self.has(path) else None

    def optional_end(self, path: str) -> datetime | None:
        """A Period's end as the first moment after it (it includes itself); may be absent."""
        return self._period_bound(path, first_moment_after) if self.has(path) else None

    def _period_bound(self, path: str, moment_of: Callable[[str], datetime]) -> datetime:
        value = self.text(path)
        try:
            return moment_of(value)
        except ValueError as exc:
            raise InvalidBundleError(
                f"{self._where}.{path} is {_shown_time(value)}: expected a date (2026-12-31, a "
                "whole day in Finland), a month, a year, or a date and time with a time zone, "
                "within the years 1-9999 in UTC"
            ) from exc

    def element(self, path: str) -> ElementView:
        """A required complex element; the empty path is this element itself."""
        if not path:
            return self
        value = self._lookup(path)
        if not isinstance(value, dict):
            raise self._missing(path, "an element")
        return ElementView(value, f"{self._where}.{path}")

    def elements(self, path: str) -> list[ElementView]:
        """The items of a repeating element; empty when absent."""
        value = self._lookup(path)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._missing(path, "a list")
        return [
            ElementView(item, f"{self._where}.{path}[{index}]")
            for index, item in enumerate(value)
            if isinstance(item, dict)
        ]

    def strings(self, path: str) -> list[str]:
        """A repeating string element; empty when absent."""
        value = self._lookup(path)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._missing(path, "a list of strings")
        return list(value)

    def first(self, path: str) -> ElementView:
        """The first item of a required repeating element."""
        items = self.elements(path)
        if not items:
            raise self._missing(path, "a list with at least one item")
        return items[0]

    def first_text(self, path: str) -> str:
        """The ``text`` of the first item of a repeating element such as note or reasonCode."""
        return self.first(path).text("text")

    def optional_first_text(self, path: str) -> str | None:
        """Like first_text(), or None when the repeating element is absent."""
        return self.first_text(path) if self.elements(path) else None

    def code(self, path: str, system: str) -> str:
        """The code of the first coding of ``system`` in a CodeableConcept or Coding at path."""
        found = self.optional_code(path, system)
        if found is None:
            raise self._missing(path, f"coded in {system}")
        return found

    def optional_code(self, path: str, system: str) -> str | None:
        """Like code(), or None when the element has no coding of that system."""
        node = self._lookup(path)
        codings: list[Any]
        if isinstance(node, dict):
            codings = _codings(node)
        elif isinstance(node, list):
            codings = [c for item in node if isinstance(item, dict) for c in _codings(item)]
        else:
            return None
        for candidate in codings:
            if isinstance(candidate, dict) and candidate.get("system") == system:
                code = candidate.get("code")
                if isinstance(code, str):
                    return code
        return None

    def coded(self, path: str, system: str, codes: type[_CodeT]) -> _CodeT:
        """A code of ``system`` at path that must be one of the values of enum ``codes``."""
        code = self.code(path, system)
        try:
            return codes(code)
        except ValueError as exc:
            allowed = ", ".join(member.value for member in codes)
            raise InvalidBundleError(
                f"{self._where}.{path} has code {echoed(code)} of {system}; expected one of "
                f"{allowed}"
            ) from exc

    def optional_extension(self, url: str) -> ElementView | None:
        """This element's extension of ``url``, or None when it has none."""
        return next(
            (item for item in self.elements("extension") if item.optional_text("url") == url),
            None,
        )

    def extension(self, url: str) -> ElementView:
        """This element's required extension of ``url``."""
        found = self.optional_extension(url)
        if found is None:
            raise InvalidBundleError(f"{self._where}.extension lacks the extension {url}")
        return found

    def organisation(self, path: str) -> str:
        """The OID of an organisation referenced by identifier at path."""
        reference = self.element(path)
        if reference.optional_text("identifier.system") != URI_IDENTIFIER_SYSTEM:
            raise InvalidBundleError(
                f"{reference.where}.identifier.system must be {URI_IDENTIFIER_SYSTEM!r} "
                "with the organisation's 'urn:oid:<OID>' as value"
            )
        try:
            return oid_from_urn(reference.text("identifier.value"))
        except InvalidIdentifierError as exc:
            raise InvalidBundleError(f"{reference.where}.identifier.value: {exc}") from exc

    def client(self, path: str) -> str:
        """The personal identity code of the client referenced at path."""
        reference = self.element(path)
        if reference.optional_text("identifier.system") != IDENTITY_CODE_SYSTEM:
            raise InvalidBundleError(
                f"{reference.where}.identifier.system must be {IDENTITY_CODE_SYSTEM!r} "
                "(the personal identity code)"
            )
        try:
            return check_identity_code(reference.text("identifier.value"))
        except InvalidIdentifierError as exc:
            raise InvalidBundleError(f"{reference.where}.identifier.value: {exc}") from exc

    def business_id(self, path: str) -> str:
        """The value of the Saattaja business identifier at path (an Identifier or a list)."""
        node = self._lookup(path)
        candidates = node if isinstance(node, list) else [node]
        for candidate in candidates:
            if isinstance(candidate, dict) and candidate.get("system") == RESOURCE_ID_SYSTEM:
                value = candidate.get("value")
                if isinstance(value, str) and value:
                    return value
        raise self._missing(path, f"an identifier of system {RESOURCE_ID_SYSTEM}")


def _shown_time(value: str) -> str:
    return repr(value) if _TIME_SHAPED.fullmatch(value) else echoed(value)


def _codings(element: dict[str, Any]) -> list[Any]:
    """The codings of a CodeableConcept, or the element itself when it is a Coding."""
    if "coding" not in element:
        return [element]
    codings = element["coding"]
    # FHIR validation lets an explicit null through where a list of codings may be.
    return codings if isinstance(codings, list) else []
