"""FHIR R4 building blocks of the contract: message Bundles, element builders and readers."""

from schemas.fhir.elements import (
    FhirJson,
    business_identifier,
    codeable_concept,
    coding,
    instant,
    organisation_reference,
    patient_reference,
    period,
    resource_reference,
)
from schemas.fhir.message import MessageBundle, build_message_bundle, parse_message_bundle
from schemas.fhir.reader import ElementView

__all__ = [
    "ElementView",
    "FhirJson",
    "MessageBundle",
    "build_message_bundle",
    "business_identifier",
    "codeable_concept",
    "coding",
    "instant",
    "organisation_reference",
    "parse_message_bundle",
    "patient_reference",
    "period",
    "resource_reference",
]
