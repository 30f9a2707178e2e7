"""The adapter abstraction: what an organisation's adapter provides to the SDK."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, Generic, Self, TypeVar, cast

from pydantic_settings import BaseSettings

from adapters.sdk.settings import load_settings_model
from schemas import Event, RejectionNotice

if TYPE_CHECKING:
    from adapters.sdk.context import AdapterContext

__all__ = ["Adapter"]

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class Adapter(ABC, Generic[SettingsT]):
    """One kind of source system (a SQL outbox table, a FHIR server, a folder of files).

    A subclass names itself, names its settings model (pydantic-settings with a prefix of
    its own, such as ``SAATTAJA_SQL_OUTBOX_``), reads from its system in ``run`` and
    publishes through the context, delivers received events in ``handle``, and says in
    ``check`` what stops it from reaching its system. The SDK does the rest: the local
    outbox, the relay to Kafka, the inbox, duplicates, retries and parking.
    """

    name: ClassVar[str]
    """The name ``saattaja adapter run <name>`` knows it by."""
    settings_model: ClassVar[type[BaseSettings]]
    """Its settings, read from the environment by ``from_environment``."""

    def __init__(self, settings: SettingsT) -> None:
        self.settings = settings

    @classmethod
    def from_environment(cls) -> Self:
        """The adapter with its settings read from the environment, once.

        AdapterConfigurationError names each variable that is missing or wrong. This is
        the factory to register (an entry point may name ``module:Class.from_environment``).
        """
        return cls(cast("SettingsT", load_settings_model(cls.settings_model)))

    @abstractmethod
    async def run(self, context: AdapterContext) -> None:
        """Read the source system and ``await context.publish(event)`` for each record.

        Runs until cancelled at shutdown; returning early is fine when there is nothing to
        poll (the receiver keeps running). An exception stops the adapter process.
        """

    @abstractmethod
    async def handle(self, event: Event) -> None:
        """Deliver one received event to the organisation's system.

        Return once the system has it; raise to have it retried with back-off and then
        parked; raise RejectEvent to park it at once. Called at most once at a time, in
        the order of the inbox partition.
        """

    async def on_rejection(self, notice: RejectionNotice) -> None:
        """Tell the organisation's system that the router rejected one of its events.

        The SDK logs every notice; override to show it in the system too.
        """

    async def check(self) -> list[str]:
        """Problems reaching the source system, each a sentence saying what to do; [] if none."""
        return []

    async def close(self) -> None:
        """Release what the adapter holds open (database connections, sessions).

        The runtime calls it once, when it stops, after the last ``handle``: an adapter
        that closes in ``run`` instead would be cancelled there while its receiver may
        still deliver an event, and reopen what it closed.
        """
