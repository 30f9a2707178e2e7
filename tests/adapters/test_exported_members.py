"""The SDK's public names, pinned: the reference adapters and third parties code against them."""

from __future__ import annotations

import adapters.sdk
from adapters.sdk import errors

PUBLIC_NAMES = [
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


def test_the_sdk_exports_exactly_its_public_names() -> None:
    assert adapters.sdk.__all__ == PUBLIC_NAMES
    assert all(hasattr(adapters.sdk, name) for name in PUBLIC_NAMES)


def test_every_sdk_error_has_the_common_root() -> None:
    assert all(
        issubclass(getattr(errors, name), errors.SaattajaAdapterError) for name in errors.__all__
    )
