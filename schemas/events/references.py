"""References from the router's own events to the events they are about, by Bundle identifier."""

from __future__ import annotations

import uuid
from typing import Final

from schemas.codesystems import URI_IDENTIFIER_SYSTEM
from schemas.echo import echoed
from schemas.errors import InvalidBundleError
from schemas.fhir import ElementView, FhirJson

__all__ = ["event_reference", "read_event_id"]

_URN_UUID: Final = "urn:uuid:"


def event_reference(event_id: uuid.UUID, display: str | None = None) -> FhirJson:
    """A Reference to the event ``event_id``, whichever resources it carried."""
    # An event is a message Bundle whose identifier is urn:uuid:<event id> (schemas.fhir.message).
    reference: FhirJson = {
        "type": "Bundle",
        "identifier": {"system": URI_IDENTIFIER_SYSTEM, "value": f"{_URN_UUID}{event_id}"},
    }
    if display is not None:
        reference["display"] = display
    return reference


def read_event_id(reference: ElementView) -> uuid.UUID:
    """The event id an ``event_reference`` names; InvalidBundleError when it names none."""
    value = reference.text("identifier.value")
    if reference.optional_text("identifier.system") != URI_IDENTIFIER_SYSTEM or not (
        value.startswith(_URN_UUID)
    ):
        raise InvalidBundleError(
            f"{reference.where}.identifier must be of system {URI_IDENTIFIER_SYSTEM!r} with "
            f"'urn:uuid:<event id>' as value; found {echoed(value)}"
        )
    try:
        return uuid.UUID(value.removeprefix(_URN_UUID))
    except ValueError as exc:
        raise InvalidBundleError(
            f"{reference.where}.identifier.value {echoed(value)} is not 'urn:uuid:<event id>'"
        ) from exc
