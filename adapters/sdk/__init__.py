"""The adapter SDK: publish through a durable local outbox, receive each event once.

An adapter subclasses ``Adapter``; ``AdapterRuntime`` runs it with a ``Publisher`` (the
event is validated, then kept in a SQLite file until Kafka acknowledges it, sent in order
by an ``OutboxRelay``) and a ``Receiver`` (the organisation's inbox, duplicates dropped by
event id, failures retried and then parked). ``adapters.sdk.testing.AdapterHarness`` runs
one against Kafka in a test, playing the router's two ends.
"""

from adapters.sdk.adapter import Adapter
from adapters.sdk.context import AdapterContext
from adapters.sdk.errors import (
    AdapterConfigurationError,
    AdapterFailedError,
    InvalidEventError,
    LocalStoreError,
    RejectEvent,
    SaattajaAdapterError,
    UnknownAdapterError,
)
from adapters.sdk.health import AdapterHealth
from adapters.sdk.outbox import LocalOutbox, OutboxDepth, StoredRecord
from adapters.sdk.parking import ParkedEvent, ReceivedEvents, ReceivedOutcome
from adapters.sdk.publisher import Publisher
from adapters.sdk.receiver import EventHandler, Receiver, ReceiverStatus, RejectionHandler
from adapters.sdk.registry import (
    ENTRY_POINT_GROUP,
    AdapterFactory,
    AdapterRegistry,
    installed_adapters,
)
from adapters.sdk.relay import OutboxRelay, RelayStatus
from adapters.sdk.retry import RetryPolicy
from adapters.sdk.runtime import AdapterRuntime, organisation_of
from adapters.sdk.settings import (
    AdapterSettings,
    default_consumer_group,
    load_adapter_settings,
    load_settings_model,
)
from adapters.sdk.store import AdapterStore

__all__ = [
    "ENTRY_POINT_GROUP",
    "Adapter",
    "AdapterConfigurationError",
    "AdapterContext",
    "AdapterFactory",
    "AdapterFailedError",
    "AdapterHealth",
    "AdapterRegistry",
    "AdapterRuntime",
    "AdapterSettings",
    "AdapterStore",
    "EventHandler",
    "InvalidEventError",
    "LocalOutbox",
    "LocalStoreError",
    "OutboxDepth",
    "OutboxRelay",
    "ParkedEvent",
    "Publisher",
    "ReceivedEvents",
    "ReceivedOutcome",
    "Receiver",
    "ReceiverStatus",
    "RejectEvent",
    "RejectionHandler",
    "RelayStatus",
    "RetryPolicy",
    "SaattajaAdapterError",
    "StoredRecord",
    "UnknownAdapterError",
    "default_consumer_group",
    "installed_adapters",
    "load_adapter_settings",
    "load_settings_model",
    "organisation_of",
]
