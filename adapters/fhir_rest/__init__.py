"""The FHIR REST reference adapter, for organisations whose system speaks FHIR R4.

Their system POSTs a FHIR resource or a transaction Bundle to the adapter's server, which
publishes the matching Saattaja event; events for the organisation are POSTed to its FHIR
server as transaction Bundles. ``adapters.fhir_rest.receiving_server.DemoFhirServer`` is
a small receiving FHIR server for tests and the one-machine demo, not part of the adapter
(and so not imported here: ``python -m adapters.fhir_rest.receiving_server`` runs it).
"""

from adapters.fhir_rest.adapter import FhirRestAdapter
from adapters.fhir_rest.errors import (
    FhirEndpointError,
    FhirInputError,
    FhirRestError,
    MalformedFhirError,
    UnacceptableFhirError,
    UnauthorisedPostError,
)
from adapters.fhir_rest.mapping import event_class_for, event_from_submission, transaction_bundle
from adapters.fhir_rest.resources import Submission, read_submission
from adapters.fhir_rest.settings import FhirRestSettings
from adapters.fhir_rest.sink import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SENDER_HEADER, FhirEndpoint
from adapters.fhir_rest.source import FhirIntake, operation_outcome

__all__ = [
    "EVENT_ID_HEADER",
    "EVENT_TYPE_HEADER",
    "SENDER_HEADER",
    "FhirEndpoint",
    "FhirEndpointError",
    "FhirInputError",
    "FhirIntake",
    "FhirRestAdapter",
    "FhirRestError",
    "FhirRestSettings",
    "MalformedFhirError",
    "Submission",
    "UnacceptableFhirError",
    "UnauthorisedPostError",
    "event_class_for",
    "event_from_submission",
    "operation_outcome",
    "read_submission",
    "transaction_bundle",
]
