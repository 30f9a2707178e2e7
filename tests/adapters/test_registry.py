"""Finding and making an adapter: an entry point may name the class; mistakes name their fix."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any, ClassVar

import pytest
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.sdk import (
    ENTRY_POINT_GROUP,
    Adapter,
    AdapterConfigurationError,
    AdapterContext,
    AdapterRegistry,
)
from schemas import Event
from tests.adapters.memory_adapter import MemoryAdapter


def _installed(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> AdapterRegistry:
    """A registry read from entry points, with one entry point of the test's own installed."""
    entry_point = EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(
        "adapters.sdk.registry.entry_points",
        lambda group: [entry_point] if group == ENTRY_POINT_GROUP else [],
    )
    return AdapterRegistry.from_entry_points()


def test_an_entry_point_naming_the_adapter_class_makes_it_from_the_environment(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_MEMORY_TEST_SOURCE_NAME", "queue")
    registry = _installed(
        clean_environment, "memory_test", "tests.adapters.memory_adapter:MemoryAdapter"
    )

    adapter = registry.create("memory_test")

    assert isinstance(adapter, MemoryAdapter)
    assert adapter.settings.source_name == "queue"


def test_an_entry_point_that_makes_no_adapter_is_refused_naming_the_form_to_use(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    registry = _installed(
        clean_environment, "not_one", "tests.adapters.test_registry:_not_an_adapter"
    )

    with pytest.raises(AdapterConfigurationError) as raised:
        registry.create("not_one")

    message = str(raised.value)
    assert "the entry point tests.adapters.test_registry:_not_an_adapter made a dict" in message
    assert 'not_one = "your_module:YourAdapter.from_environment"' in message


def _not_an_adapter() -> dict[str, Any]:
    """What an entry point naming the wrong function of a module gives."""
    return {}


class _Nothing(Adapter[Any]):
    """Publishes nothing, takes everything; its declaration is what the tests vary."""

    async def run(self, context: AdapterContext) -> None:
        return None

    async def handle(self, event: Event) -> None:
        return None


class _OwnSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAATTAJA_NOTHING_")


class _Nameless(_Nothing):
    settings_model: ClassVar[type[BaseSettings]] = _OwnSettings


def test_an_adapter_without_a_name_is_refused_naming_the_class_and_the_fix(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(AdapterConfigurationError) as raised:
        _Nameless.from_environment()

    assert "tests.adapters.test_registry._Nameless has no name: give it" in str(raised.value)


class _WithoutSettings(_Nothing):
    name: ClassVar[str] = "nothing"


def test_an_adapter_without_a_settings_model_is_refused_naming_the_prefix_to_give_it(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(AdapterConfigurationError) as raised:
        _WithoutSettings.from_environment()

    assert "has no settings model: subclass Adapter[YourSettings]" in str(raised.value)
    assert "SAATTAJA_NOTHING_" in str(raised.value)


@pytest.mark.parametrize("prefix", ["", "NOTHING_", "SAATTAJA_", "saattaja_adapter_"])
def test_a_settings_model_without_a_saattaja_prefix_of_its_own_is_refused(
    prefix: str, clean_environment: pytest.MonkeyPatch
) -> None:
    # Without a prefix of its own, a field `url` is read from URL, whatever set that.
    class Settings(BaseSettings):
        model_config = SettingsConfigDict(env_prefix=prefix)

    class Misprefixed(_Nothing):
        name: ClassVar[str] = "nothing"
        settings_model: ClassVar[type[BaseSettings]] = Settings

    with pytest.raises(AdapterConfigurationError) as raised:
        Misprefixed.from_environment()

    assert 'env_prefix="SAATTAJA_NOTHING_"' in str(raised.value)


class _Typed(Adapter[_OwnSettings]):
    """Names its settings model once, as its type parameter."""

    name: ClassVar[str] = "nothing"

    async def run(self, context: AdapterContext) -> None:
        return None

    async def handle(self, event: Event) -> None:
        return None


def test_the_settings_model_is_the_one_named_as_the_adapters_type_parameter(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    assert isinstance(_Typed.from_environment().settings, _OwnSettings)
