"""Errors of the FHIR REST adapter.

SaattajaAdapterError (adapters.sdk)
└── FhirRestError
    ├── FhirInputError (ValueError)      a POSTed resource makes no event; has its HTTP status
    │   ├── MalformedFhirError           400: not JSON, not FHIR R4, or the URL and body disagree
    │   └── UnacceptableFhirError        422: valid FHIR that makes no valid event for this sender
    ├── UnauthorisedPostError (PermissionError) 401: the request lacks the adapter's intake token
    └── FhirEndpointError (RuntimeError) the organisation's FHIR endpoint did not take a delivery

A 4xx of the endpoint that retrying cannot fix is not an error here: the adapter raises the
SDK's RejectEvent signal so that the event is parked at once with the endpoint's reason.
"""

from __future__ import annotations

from typing import ClassVar

from adapters.sdk import SaattajaAdapterError

__all__ = [
    "FhirEndpointError",
    "FhirInputError",
    "FhirRestError",
    "MalformedFhirError",
    "UnacceptableFhirError",
    "UnauthorisedPostError",
]


class FhirRestError(SaattajaAdapterError):
    """Root of the FHIR REST adapter's errors."""


class FhirInputError(FhirRestError, ValueError):
    """What the organisation's system POSTed cannot be published; the message says why."""

    status: ClassVar[int] = 400
    issue_code: ClassVar[str] = "invalid"
    """FHIR OperationOutcome.issue.code (http://hl7.org/fhir/issue-type)."""


class MalformedFhirError(FhirInputError):
    """The body is not a FHIR R4 resource of the kind the URL names."""

    status: ClassVar[int] = 400
    issue_code: ClassVar[str] = "structure"


class UnacceptableFhirError(FhirInputError):
    """Valid FHIR, but no Saattaja event: unknown combination, broken contract, other sender."""

    status: ClassVar[int] = 422
    issue_code: ClassVar[str] = "processing"


class UnauthorisedPostError(FhirRestError, PermissionError):
    """A request to the adapter's FHIR server without the intake token; nothing is read."""


class FhirEndpointError(FhirRestError, RuntimeError):
    """The configured FHIR endpoint is unreachable or failed; the SDK retries, then parks."""
