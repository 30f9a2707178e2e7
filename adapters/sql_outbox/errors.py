"""Errors of the SQL outbox adapter.

SaattajaAdapterError (adapters.sdk)
└── SqlOutboxError
    ├── SourceUnavailableError (RuntimeError)  the organisation's database does not answer
    │   └── SourceRefusedError                 it turned away the URL's user, password or database
    └── InvalidRowError (ValueError)           an outbox row cannot become an event

A refusal met at start stops the adapter as a mistake in its settings; met later (a
password changed on the server), it is waited out like a database that does not answer.

InvalidRowError never leaves the adapter: its message is written into the row's ``error``
column, where the organisation's IT team sees it.
"""

from __future__ import annotations

from adapters.sdk import SaattajaAdapterError

__all__ = [
    "InvalidRowError",
    "SourceRefusedError",
    "SourceUnavailableError",
    "SqlOutboxError",
]


class SqlOutboxError(SaattajaAdapterError):
    """Root of the SQL outbox adapter's errors."""


class SourceUnavailableError(SqlOutboxError, RuntimeError):
    """The organisation's database cannot be reached or refused a statement."""


class SourceRefusedError(SourceUnavailableError):
    """The organisation's database turned away the user, password or database the URL names."""


class InvalidRowError(SqlOutboxError, ValueError):
    """An outbox row names an unknown event type or its payload breaks the event's model."""
