"""Errors raised by the consent store, the decisions and the audit log.

SaattajaConsentError
├── StoreUnavailableError (ConnectionError)  the database does not answer; callers fail closed
├── SchemaOutOfDateError (RuntimeError)      the database is not migrated: run `saattaja db upgrade`
├── LegalBasisConfigurationError (ValueError) the legal-bases file is missing or wrong
├── AuditChainBrokenError (ValueError)       verify found a record that does not match its hash
└── InvalidAuditEntryError (ValueError)      an audit entry or filter that cannot be right
"""

from __future__ import annotations

__all__ = [
    "AuditChainBrokenError",
    "InvalidAuditEntryError",
    "LegalBasisConfigurationError",
    "PseudonymSecretMismatchError",
    "SaattajaConsentError",
    "SchemaOutOfDateError",
    "StoreUnavailableError",
]


class SaattajaConsentError(Exception):
    """Root of every error the consent package raises."""


class StoreUnavailableError(SaattajaConsentError, ConnectionError):
    """The consent or audit database cannot be reached; nothing may be routed until it can."""


class SchemaOutOfDateError(SaattajaConsentError, RuntimeError):
    """The database has not been migrated to the schema this version needs."""


class LegalBasisConfigurationError(SaattajaConsentError, ValueError):
    """The file of statutory bases is missing or invalid."""


class AuditChainBrokenError(SaattajaConsentError, ValueError):
    """An audit record was changed, removed or reordered."""


class InvalidAuditEntryError(SaattajaConsentError, ValueError):
    """An audit entry, record or filter with a value the log must not hold or cannot match.

    For example an identity code where the client's pseudonym belongs.
    """


class PseudonymSecretMismatchError(SaattajaConsentError, ValueError):
    """The database was filled under another pseudonym secret than this process has."""
