"""Builders for the FHIR data types the contract repeats: references, identifiers, codings.

Resources are built as plain JSON dicts and validated once, as a whole Bundle, by
fhir.resources; these builders keep each shape in one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from schemas.codesystems import RESOURCE_ID_SYSTEM, URI_IDENTIFIER_SYSTEM
from schemas.fhir.periods import inclusive_end
from schemas.identifiers import IDENTITY_CODE_SYSTEM, oid_urn

__all__ = [
    "BUNDLE_TYPES",
    "CONSENT_STATES",
    "HTTP_VERBS",
    "TASK_STATES",
    "FhirJson",
    "business_identifier",
    "codeable_concept",
    "coding",
    "instant",
    "organisation_reference",
    "patient_reference",
    "period",
    "resource_reference",
    "validity_period",
]

FhirJson = dict[str, Any]

# FHIR R4's codes of a few value sets, which a reason may quote since none can be personal
# data; fhir.resources does not check a code against its value set.
BUNDLE_TYPES: Final = frozenset(
    {
        "document",
        "message",
        "transaction",
        "transaction-response",
        "batch",
        "batch-response",
        "history",
        "searchset",
        "collection",
    }
)
"""FHIR R4's Bundle.type codes."""
HTTP_VERBS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"})
"""FHIR R4's http-verb codes (Bundle.entry.request.method)."""
CONSENT_STATES: Final = frozenset(
    {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"}
)
"""FHIR R4's Consent.status codes."""
TASK_STATES: Final = frozenset(
    {
        "draft",
        "requested",
        "received",
        "accepted",
        "rejected",
        "ready",
        "cancelled",
        "in-progress",
        "on-hold",
        "failed",
        "completed",
        "entered-in-error",
    }
)
"""FHIR R4's Task.status codes."""


def instant(moment: datetime) -> str:
    """FHIR dateTime/instant text; the contract only carries aware datetimes."""
    return moment.isoformat()


def coding(system: str, code: str, display: str | None = None) -> FhirJson:
    """A Coding, with a display only where it helps a person reading the message."""
    result: FhirJson = {"system": system, "code": code}
    if display is not None:
        result["display"] = display
    return result


def codeable_concept(
    system: str, code: str, display: str | None = None, text: str | None = None
) -> FhirJson:
    """A CodeableConcept of one coding."""
    result: FhirJson = {"coding": [coding(system, code, display)]}
    if text is not None:
        result["text"] = text
    return result


def business_identifier(value: str) -> FhirJson:
    """The sender-assigned id of a referral, assessment, plan, episode or consent."""
    return {"system": RESOURCE_ID_SYSTEM, "value": value}


def organisation_reference(oid: str) -> FhirJson:
    """A logical reference to an organisation by its OID."""
    return {
        "type": "Organization",
        "identifier": {"system": URI_IDENTIFIER_SYSTEM, "value": oid_urn(oid)},
    }


def patient_reference(identity_code: str) -> FhirJson:
    """A logical reference to the client by personal identity code, without a Patient resource."""
    return {
        "type": "Patient",
        "identifier": {"system": IDENTITY_CODE_SYSTEM, "value": identity_code},
    }


def resource_reference(resource_type: str, business_id: str) -> FhirJson:
    """A logical reference to a resource sent in an earlier event."""
    return {"type": resource_type, "identifier": business_identifier(business_id)}


def validity_period(start: datetime | None, after: datetime | None) -> FhirJson:
    """A Period from its first moment to the first moment after it, whose end includes itself."""
    result = period(start, None)
    if after is not None:
        result["end"] = inclusive_end(after)
    return result


def period(start: datetime | None, end: datetime | None) -> FhirJson:
    """A Period with only the ends that are known."""
    result: FhirJson = {}
    if start is not None:
        result["start"] = instant(start)
    if end is not None:
        result["end"] = instant(end)
    return result
