"""Errors raised by the consent store, the decisions and the audit log.

SaattajaConsentError
├── StoreUnavailableError (ConnectionError)  the database does not answer; callers fail closed
│   └── DatabaseRefusedError                 it refuses what SAATTAJA_DATABASE_URL says: fix it
├── SchemaOutOfDateError (RuntimeError)      the database is not migrated: run `saattaja db upgrade`
│                                            (or it is a later release's: run that release)
├── LegalBasisConfigurationError (ValueError) the legal-bases file is missing or wrong
├── AuditChainBrokenError (ValueError)       verify found a record that does not match its hash
├── EventIdTakenError (ValueError)           an event id is on record for another client's event
└── InvalidAuditEntryError (ValueError)      an audit entry or filter that cannot be right
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

__all__ = [
    "AuditChainBrokenError",
    "DatabaseRefusedError",
    "EventIdTakenError",
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


class DatabaseRefusedError(StoreUnavailableError):
    """The database refuses what SAATTAJA_DATABASE_URL says: no such database, user or file,
    a wrong password, a file that is not a SQLite database.

    At start a mistake to fix, so a service stops; once running, waited out like an outage
    (a database being restored, a password being rotated), failing closed meanwhile.
    """


class SchemaOutOfDateError(SaattajaConsentError, RuntimeError):
    """The database is not at the schema this version needs: not yet migrated to it, or
    migrated by a later release."""


class LegalBasisConfigurationError(SaattajaConsentError, ValueError):
    """The file of statutory bases is missing or invalid."""


class AuditChainBrokenError(SaattajaConsentError, ValueError):
    """An audit record was changed, removed or reordered."""


class EventIdTakenError(SaattajaConsentError, ValueError):
    """Decisions on an event were to be appended under an id on record for another client.

    One event is about one client, so the entries are another event's, sent under an id
    already used (a second router process routed the first moments before). Nothing was
    appended; ``holders`` gives, by event id, the client pseudonym on record.
    """

    def __init__(self, holders: Mapping[uuid.UUID, str]) -> None:
        self.holders = dict(holders)
        ids = ", ".join(str(event_id) for event_id in sorted(holders, key=str))
        super().__init__(
            f"event id {ids} is on record for another client's event: the entries belong "
            "to another event sent under a used id, and that event must be refused"
        )


class InvalidAuditEntryError(SaattajaConsentError, ValueError):
    """An audit entry, record or filter with a value the log must not hold or cannot match.

    For example an identity code where the client's pseudonym belongs.
    """


class PseudonymSecretMismatchError(SaattajaConsentError, ValueError):
    """The database was filled under another pseudonym secret than this process has."""
