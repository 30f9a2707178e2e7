"""What a running adapter gets from the SDK: who it is, how to publish, how it is doing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from adapters.sdk.health import AdapterHealth
from adapters.sdk.publisher import Publisher
from adapters.sdk.settings import AdapterSettings
from broker.registry import Organisation
from schemas import Event, KafkaRecord, Pseudonymiser

__all__ = ["AdapterContext"]


@dataclass(frozen=True, slots=True)
class AdapterContext:
    """Handed to ``Adapter.run``; everything an adapter needs to publish."""

    organisation: Organisation
    """This adapter's organisation; events it publishes name ``organisation.oid`` as sender."""
    settings: AdapterSettings
    publisher: Publisher
    pseudonymiser: Pseudonymiser
    """For an adapter that must look up its own records by client pseudonym."""
    health: Callable[[], Awaitable[AdapterHealth]]

    async def publish(self, event: Event) -> KafkaRecord:
        """Validate and durably accept an event; see ``Publisher.publish``."""
        return await self.publisher.publish(event)
