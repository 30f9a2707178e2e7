"""Errors raised by the adapter SDK, and the one signal a handler may raise on purpose.

SaattajaAdapterError
├── AdapterConfigurationError (ValueError)  a setting is missing or wrong; names the variable
├── UnknownAdapterError (LookupError)       no installed adapter has that name
├── InvalidEventError (ValueError)          publish() refused an event; nothing was stored
├── LocalStoreError (RuntimeError)          the adapter's SQLite file cannot be opened or written
├── AdapterFailedError (RuntimeError)       an adapter's own loop (run) ended with an error
└── RejectEvent                             raised by a handler: park this event now, no retries

RejectEvent is a signal, not a failure of the SDK (like FastStream's ``RejectMessage``): a
handler raises it when retrying cannot help, for example when the organisation's system says
the event can never be accepted.
"""

from __future__ import annotations

__all__ = [
    "AdapterConfigurationError",
    "AdapterFailedError",
    "InvalidEventError",
    "LocalStoreError",
    "RejectEvent",
    "SaattajaAdapterError",
    "UnknownAdapterError",
]


class SaattajaAdapterError(Exception):
    """Root of every error the adapter SDK raises."""


class AdapterConfigurationError(SaattajaAdapterError, ValueError):
    """A setting of the SDK or of an adapter is missing or invalid."""


class UnknownAdapterError(SaattajaAdapterError, LookupError):
    """No adapter of that name is installed or registered.

    LookupError rather than KeyError: KeyError quotes its message when printed.
    """

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        listing = ", ".join(known) if known else "none is installed"
        super().__init__(f"unknown adapter {name!r}; known adapters: {listing}")
        self.name = name
        self.known = known


class InvalidEventError(SaattajaAdapterError, ValueError):
    """An event handed to publish() breaks the contract or names another sender."""


class LocalStoreError(SaattajaAdapterError, RuntimeError):
    """The adapter's local SQLite file (outbox, seen events, parked events) failed."""


class AdapterFailedError(SaattajaAdapterError, RuntimeError):
    """An adapter's ``run`` raised: the process stops rather than run half an adapter."""


class RejectEvent(SaattajaAdapterError):  # noqa: N818 - a signal, named for what it asks
    """Raised by a handler to park the event at once with ``reason``, without retrying."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
