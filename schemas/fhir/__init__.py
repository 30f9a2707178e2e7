"""FHIR R4 building blocks of the contract: message Bundles, element builders and readers."""

from schemas.fhir.elements import (
    BUNDLE_TYPES,
    CONSENT_STATES,
    HTTP_VERBS,
    TASK_STATES,
    FhirJson,
    business_identifier,
    codeable_concept,
    coding,
    instant,
    organisation_reference,
    patient_reference,
    period,
    resource_reference,
    validity_period,
)
from schemas.fhir.message import (
    MessageBundle,
    build_message_bundle,
    fhir_type_names,
    parse_message_bundle,
)
from schemas.fhir.periods import (
    FINNISH_TIME,
    first_moment_after,
    first_moment_of,
    inclusive_end,
    last_whole_day,
)
from schemas.fhir.primitives import FHIR_INTEGER_MAX, FhirString
from schemas.fhir.reader import ElementView
from schemas.fhir.validation import fhir_validation_problem

__all__ = [
    "BUNDLE_TYPES",
    "CONSENT_STATES",
    "FHIR_INTEGER_MAX",
    "FINNISH_TIME",
    "HTTP_VERBS",
    "TASK_STATES",
    "ElementView",
    "FhirJson",
    "FhirString",
    "MessageBundle",
    "build_message_bundle",
    "business_identifier",
    "codeable_concept",
    "coding",
    "fhir_type_names",
    "fhir_validation_problem",
    "first_moment_after",
    "first_moment_of",
    "inclusive_end",
    "instant",
    "last_whole_day",
    "organisation_reference",
    "parse_message_bundle",
    "patient_reference",
    "period",
    "resource_reference",
    "validity_period",
]
