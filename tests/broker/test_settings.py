"""Settings: a wrong SAATTAJA_* variable is reported by its name."""

from __future__ import annotations

import pytest

from broker.errors import ConfigurationError
from broker.settings import load_settings
from schemas.examples import EXAMPLE_PSEUDONYM_SECRET


def test_defaults_start_the_embedded_broker(clean_environment: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.uses_embedded_broker
    assert (settings.embedded_host, settings.embedded_port) == ("127.0.0.1", 9092)
    assert settings.topic_partitions == 3
    assert settings.topic_retention_hours == 14 * 24


@pytest.mark.parametrize("value", ["99999", "0", "kafka"])
def test_bad_embedded_port_fails_naming_the_variable(
    clean_environment: pytest.MonkeyPatch, value: str
) -> None:
    clean_environment.setenv("SAATTAJA_EMBEDDED_PORT", value)
    with pytest.raises(ConfigurationError, match="SAATTAJA_EMBEDDED_PORT"):
        load_settings()


def test_short_pseudonym_secret_fails_naming_the_variable(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_PSEUDONYM_SECRET", "too-short")
    with pytest.raises(ConfigurationError, match=r"SAATTAJA_PSEUDONYM_SECRET.*at least 32"):
        load_settings()


def test_the_env_examples_placeholder_pseudonym_secret_is_refused_naming_the_variable(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv(
        "SAATTAJA_PSEUDONYM_SECRET", "change-me-to-the-regions-secret-of-64-hex-digits"
    )
    with pytest.raises(
        ConfigurationError, match=r"SAATTAJA_PSEUDONYM_SECRET: .*placeholder.*openssl rand"
    ):
        load_settings()


def test_the_published_example_pseudonym_secret_is_refused_naming_the_variable(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_PSEUDONYM_SECRET", EXAMPLE_PSEUDONYM_SECRET.decode())
    with pytest.raises(
        ConfigurationError,
        match=r"SAATTAJA_PSEUDONYM_SECRET: .*EXAMPLE_PSEUDONYM_SECRET.*openssl rand",
    ):
        load_settings()


def test_missing_pseudonym_secret_says_how_to_make_one(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigurationError, match=r"SAATTAJA_PSEUDONYM_SECRET.*openssl rand"):
        load_settings().require_pseudonym_secret()


def test_configured_bootstrap_turns_the_embedded_broker_off(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", "kafka-1:9093,kafka-2:9093")
    assert not load_settings().uses_embedded_broker


@pytest.mark.parametrize(
    ("value", "entry", "problem"),
    [
        ("kafka-1..example.internal:9093", "kafka-1..example.internal:9093", "not a host name"),
        ("kafka-1:9093,host:notaport", "host:notaport", "port 'notaport', which is not a number"),
        ("127.0.0.1:99999", "127.0.0.1:99999", "port '99999', which is not a number"),
        ("kafka-1.example.internal", "kafka-1.example.internal", "has no port"),
        ("::1:9092", "::1:9092", "write it in brackets"),
    ],
)
def test_a_bad_kafka_bootstrap_entry_fails_naming_the_variable_and_the_entry(
    clean_environment: pytest.MonkeyPatch, value: str, entry: str, problem: str
) -> None:
    clean_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"SAATTAJA_KAFKA_BOOTSTRAP: entry '{entry}' " in message
    assert problem in message
    assert "expected host:port,..." in message


@pytest.mark.parametrize("value", ["[::1]:9092", "kafka_1:9092, 10.0.0.7:9093,", "käfka.fi:9092"])
def test_a_kafka_bootstrap_of_names_and_addresses_with_ports_is_taken(
    clean_environment: pytest.MonkeyPatch, value: str
) -> None:
    clean_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", value)
    assert load_settings().kafka_bootstrap == value


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SAATTAJA_AUDIT_STREAM_POLL_SECONDS", "0"),
        ("SAATTAJA_AUDIT_STREAM_BATCH_SIZE", "0"),
        ("SAATTAJA_AUDIT_STREAM_FORMAT", "xml"),
        ("SAATTAJA_AUDIT_STREAM_METRICS_PORT", "70000"),
    ],
)
def test_a_bad_audit_stream_setting_fails_naming_the_variable(
    clean_environment: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    clean_environment.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        load_settings()


@pytest.mark.parametrize("value", ["0", "two weeks", "100000"])
def test_a_bad_topic_retention_fails_naming_the_variable(
    clean_environment: pytest.MonkeyPatch, value: str
) -> None:
    clean_environment.setenv("SAATTAJA_TOPIC_RETENTION_HOURS", value)
    with pytest.raises(ConfigurationError, match="SAATTAJA_TOPIC_RETENTION_HOURS"):
        load_settings()


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("mysql+aiomysql://saattaja@db/saattaja", "names a mysql database"),
        ("foo://saattaja@db/saattaja", "names a foo database"),
        ("postgresql+psycopg2://saattaja@db/saattaja", "names the driver psycopg2"),
        ("sqlite+pysqlite:///var/saattaja.db", "names the driver pysqlite"),
        ("saattaja.db", "is not a database URL"),
    ],
)
def test_a_database_url_the_stores_cannot_use_fails_naming_the_variable_and_the_forms(
    clean_environment: pytest.MonkeyPatch, value: str, said: str
) -> None:
    clean_environment.setenv("SAATTAJA_DATABASE_URL", value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"SAATTAJA_DATABASE_URL: {said}" in message
    assert "postgresql+asyncpg://user@host:5432/database" in message


def test_a_rejected_database_url_is_not_echoed_since_it_may_hold_a_password(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_DATABASE_URL", "mysql://saattaja:s3cret-pw@db/saattaja")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "s3cret-pw" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "used"),
    [
        (
            "postgresql://saattaja:pw@db.example:5432/saattaja",
            "postgresql+asyncpg://saattaja:pw@db.example:5432/saattaja",
        ),
        ("postgres://saattaja@db/saattaja", "postgresql+asyncpg://saattaja@db/saattaja"),
        ("postgres+asyncpg://saattaja@db/saattaja", "postgresql+asyncpg://saattaja@db/saattaja"),
        ("sqlite:///var/saattaja.db", "sqlite+aiosqlite:///var/saattaja.db"),
        (
            "sqlite:///file:/var/saattaja.db?mode=rwc&uri=true",
            "sqlite+aiosqlite:///file:/var/saattaja.db?mode=rwc&uri=true",
        ),
        (
            "postgresql://saattaja:p%40ss@db/saattaja?ssl=require",
            "postgresql+asyncpg://saattaja:p%40ss@db/saattaja?ssl=require",
        ),
        ("postgresql+asyncpg://saattaja@db/saattaja", "postgresql+asyncpg://saattaja@db/saattaja"),
    ],
)
def test_a_database_url_without_a_driver_gets_the_async_one(
    clean_environment: pytest.MonkeyPatch, value: str, used: str
) -> None:
    clean_environment.setenv("SAATTAJA_DATABASE_URL", value)
    assert load_settings().database_url == used


def test_a_rule_over_several_settings_is_said_without_pydantics_prefix(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_REFERRAL_EXPIRY_WORKING_DAYS", "5")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert str(caught.value).startswith(
        "invalid settings: SAATTAJA_REFERRAL_EXPIRY_WORKING_DAYS (5) must be more than "
        "SAATTAJA_REFERRAL_DUE_WORKING_DAYS (5)"
    )


@pytest.mark.parametrize(
    "field",
    ["metrics_port", "audit_stream_metrics_port", "legal_bases_file", "pseudonym_secret"],
)
def test_a_blank_optional_setting_is_unset(
    clean_environment: pytest.MonkeyPatch, field: str
) -> None:
    clean_environment.setenv(f"SAATTAJA_{field.upper()}", "")
    assert getattr(load_settings(), field) is None
