"""The adapter abstraction: what an organisation's adapter provides to the SDK."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar, cast, get_args, get_origin

from pydantic_settings import BaseSettings

from adapters.sdk.errors import AdapterConfigurationError
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
    """The name ``saattaja adapter run <name>`` knows it by: its entry point's name."""
    settings_model: ClassVar[type[BaseSettings]]
    """Its settings, read from the environment by ``from_environment``; the model named
    in ``Adapter[YourSettings]`` unless a subclass gives another."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "settings_model" in cls.__dict__:
            return
        # Named once, in Adapter[YourSettings], which also types self.settings.
        for base in getattr(cls, "__orig_bases__", ()):
            if get_origin(base) is Adapter:
                [model] = get_args(base)
                if isinstance(model, type) and issubclass(model, BaseSettings):
                    cls.settings_model = model

    def __init__(self, settings: SettingsT) -> None:
        self.settings = settings

    @classmethod
    def from_environment(cls) -> Self:
        """The adapter with its settings read from the environment, once.

        AdapterConfigurationError names each variable that is missing or wrong, or what the
        class lacks (its ``name``, its ``settings_model``, a ``SAATTAJA_`` prefix of its own
        for that model). This is the factory to register (an entry point may name
        ``module:Class.from_environment``, or the class).
        """
        _check_declaration(cls)
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


# Prefixes that are not an adapter's own: its variables would be read as (or shadow) the
# settings of every Saattaja process, or the SDK's.
_SHARED_PREFIXES = ("SAATTAJA_", "SAATTAJA_ADAPTER_")


def _check_declaration(adapter: type[Adapter[Any]]) -> None:
    """Refuse, naming the fix, a subclass that would fail later with an AttributeError or
    read settings that are not its own."""
    where = f"{adapter.__module__}.{adapter.__qualname__}"
    name = getattr(adapter, "name", None)
    if not isinstance(name, str) or not name:
        raise AdapterConfigurationError(
            f'{where} has no name: give it `name: ClassVar[str] = "..."`, the name of its '
            "entry point in the saattaja.adapters group (docs/adapters.md)"
        )
    model = getattr(adapter, "settings_model", None)
    if not (isinstance(model, type) and issubclass(model, BaseSettings)):
        raise AdapterConfigurationError(
            f"{where} has no settings model: subclass Adapter[YourSettings], YourSettings a "
            f"pydantic-settings model with the prefix SAATTAJA_{name.upper()}_ "
            "(docs/adapters.md)"
        )
    prefix = str(model.model_config.get("env_prefix") or "")
    if not prefix.upper().startswith("SAATTAJA_") or prefix.upper() in _SHARED_PREFIXES:
        raise AdapterConfigurationError(
            f"{where}.settings_model {model.__name__} reads its variables "
            + (f"with the prefix {prefix!r}" if prefix else "without a prefix")
            + ", so it would take settings that are not its own: give it "
            f'`model_config = SettingsConfigDict(env_prefix="SAATTAJA_{name.upper()}_")`'
        )
