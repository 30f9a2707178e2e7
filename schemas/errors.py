"""Errors raised when something does not follow the event contract.

    ContractError (ValueError)
    ├── InvalidIdentifierError      an identity code, OID or pseudonym is malformed
    ├── InvalidHeadersError         a CloudEvents Kafka header is missing or wrong
    │   └── UnknownEventTypeError   ce_type names no event of the catalogue
    ├── InvalidBundleError          the value is not the FHIR message Bundle the event type needs
    └── PayloadTooLargeError        the value is over the configured size limit

Every message names the header, resource or field at fault, so that the sending
organisation's IT team can find it in their own system.
"""

from __future__ import annotations

__all__ = [
    "ContractError",
    "InvalidBundleError",
    "InvalidHeadersError",
    "InvalidIdentifierError",
    "PayloadTooLargeError",
    "UnknownEventTypeError",
]


class ContractError(ValueError):
    """Root of every error about an event that breaks the contract."""


class InvalidIdentifierError(ContractError):
    """An identity code, organisation OID or client pseudonym is malformed."""


class InvalidHeadersError(ContractError):
    """A CloudEvents header is missing, malformed or disagrees with the payload."""


class UnknownEventTypeError(InvalidHeadersError):
    """ce_type names no event type of the catalogue."""


class InvalidBundleError(ContractError):
    """The value is not a FHIR R4 message Bundle of the shape the event type needs."""


class PayloadTooLargeError(ContractError):
    """The value is larger than the configured limit."""
