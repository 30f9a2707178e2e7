"""AdapterSettings: read once from SAATTAJA_ADAPTER_*, a wrong value named by its variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.sdk import (
    AdapterConfigurationError,
    AdapterSettings,
    load_adapter_settings,
    load_settings_model,
)


class _LimitsSettings(BaseSettings):
    """An adapter's own settings model with a setting written as JSON."""

    model_config = SettingsConfigDict(env_prefix="SAATTAJA_EXAMPLE_")

    limits: dict[str, int] = {}


def test_defaults_derive_from_the_organisation(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("SAATTAJA_ADAPTER_ORGANISATION", "kela")
    settings = load_adapter_settings()
    assert settings.state_path == Path("var/adapters/kela/adapter.db")
    assert settings.consumer_group == "saattaja-adapter-kela"


def test_a_missing_organisation_is_named(clean_environment: pytest.MonkeyPatch) -> None:
    with pytest.raises(AdapterConfigurationError, match="SAATTAJA_ADAPTER_ORGANISATION"):
        load_adapter_settings()


def test_a_bad_value_is_named_by_its_variable(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("SAATTAJA_ADAPTER_ORGANISATION", "kela")
    clean_environment.setenv("SAATTAJA_ADAPTER_HANDLER_ATTEMPTS", "0")
    with pytest.raises(AdapterConfigurationError, match="SAATTAJA_ADAPTER_HANDLER_ATTEMPTS"):
        load_adapter_settings()


def test_an_organisation_id_that_cannot_name_a_topic_is_refused(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_ADAPTER_ORGANISATION", "Kela Oy")
    with pytest.raises(AdapterConfigurationError, match="SAATTAJA_ADAPTER_ORGANISATION"):
        load_adapter_settings()


def test_a_first_delay_longer_than_the_longest_is_refused(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_ADAPTER_ORGANISATION", "kela")
    clean_environment.setenv("SAATTAJA_ADAPTER_RELAY_FIRST_DELAY_SECONDS", "60")
    with pytest.raises(AdapterConfigurationError, match="SAATTAJA_ADAPTER_RELAY_FIRST_DELAY"):
        load_adapter_settings()


def test_settings_are_frozen() -> None:
    settings = AdapterSettings(organisation="kela")
    with pytest.raises(ValueError, match="frozen"):
        settings.organisation = "sote"  # type: ignore[misc]


def test_an_adapters_json_setting_that_is_not_json_is_named_by_its_variable(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_EXAMPLE_LIMITS", "{kela: 3}")
    with pytest.raises(
        AdapterConfigurationError, match=r"SAATTAJA_EXAMPLE_LIMITS: is not valid JSON"
    ):
        load_settings_model(_LimitsSettings)


def test_a_blank_metrics_port_is_unset(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("SAATTAJA_ADAPTER_ORGANISATION", "kela")
    clean_environment.setenv("SAATTAJA_ADAPTER_METRICS_PORT", "")
    assert load_adapter_settings().metrics_port is None
