"""Consent store, consent decisions, the care network and the tamper-evident audit log.

``consent`` uses ``schemas`` only, so that decisions never depend on the transport or on an
organisation's system. Its parts, each a subpackage:

- ``decisions``: ``decide(disclosure, consents, legal_bases) -> Decision``, pure and default deny;
- ``store``: the append-only consent store (``ConsentStore``);
- ``network``: the client's care network, the router's standing candidates (``CareNetwork``);
- ``legal_bases``: statutory bases that permit without consent, configuration only;
- ``audit``: the hash-chained audit log (``AuditLog``), its FHIR export and reports;
- ``database``: engines, shared table metadata and the migrations of every table.
"""

from consent.errors import (
    AuditChainBrokenError,
    EventIdTakenError,
    InvalidAuditEntryError,
    LegalBasisConfigurationError,
    SaattajaConsentError,
    SchemaOutOfDateError,
    StoreUnavailableError,
)

__all__ = [
    "AuditChainBrokenError",
    "EventIdTakenError",
    "InvalidAuditEntryError",
    "LegalBasisConfigurationError",
    "SaattajaConsentError",
    "SchemaOutOfDateError",
    "StoreUnavailableError",
]
