"""Kafka client configuration: one place that turns settings into aiokafka arguments."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr

from broker.embedded import free_port
from broker.errors import ConfigurationError, KafkaUnavailableError
from broker.kafka import KafkaConnection, open_admin, open_consumer
from broker.settings import SaattajaSettings


def test_without_a_cluster_the_connection_is_the_embedded_broker(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    connection = KafkaConnection.from_settings(SaattajaSettings(embedded_port=19092))
    assert connection.bootstrap == "127.0.0.1:19092"
    assert connection.embedded
    assert connection.client_kwargs() == {
        "bootstrap_servers": ["127.0.0.1:19092"],
        "security_protocol": "PLAINTEXT",
    }


def test_a_configured_cluster_brings_its_sasl_credentials(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    settings = SaattajaSettings(
        kafka_bootstrap="kafka-1:9093, kafka-2:9093",
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="saattaja-router",
        kafka_sasl_password=SecretStr("router-password"),
    )
    kwargs = KafkaConnection.from_settings(settings).client_kwargs()
    assert kwargs["bootstrap_servers"] == ["kafka-1:9093", "kafka-2:9093"]
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "saattaja-router"
    assert kwargs["sasl_plain_password"] == "router-password"


def test_password_is_not_in_the_repr() -> None:
    connection = KafkaConnection(
        "kafka:9093",
        security_protocol="SASL_SSL",
        sasl_mechanism="PLAIN",
        sasl_username="u",
        sasl_password=SecretStr("router-password"),
    )
    assert "router-password" not in repr(connection)


def test_sasl_without_credentials_names_the_missing_variables() -> None:
    with pytest.raises(
        ConfigurationError,
        match="SAATTAJA_KAFKA_SASL_USERNAME, SAATTAJA_KAFKA_SASL_PASSWORD are not set",
    ):
        KafkaConnection("kafka:9093", security_protocol="SASL_SSL", sasl_mechanism="PLAIN")


def test_ssl_uses_a_tls_context() -> None:
    kwargs = KafkaConnection("kafka:9093", security_protocol="SSL").client_kwargs()
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)


def test_unreadable_ca_file_names_the_variable(tmp_path: Path) -> None:
    connection = KafkaConnection(
        "kafka:9093", security_protocol="SSL", ssl_cafile=tmp_path / "missing-ca.pem"
    )
    with pytest.raises(ConfigurationError, match=r"SAATTAJA_KAFKA_SSL_CAFILE=.*missing-ca\.pem"):
        connection.client_kwargs()


def test_empty_bootstrap_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="SAATTAJA_KAFKA_BOOTSTRAP"):
        KafkaConnection(" ")


async def test_no_broker_at_the_address_raises_kafka_unavailable() -> None:
    connection = KafkaConnection(f"127.0.0.1:{free_port('127.0.0.1')}")
    with pytest.raises(KafkaUnavailableError) as caught:
        async with open_admin(connection):
            pass
    assert connection.bootstrap in str(caught.value)
    assert "check SAATTAJA_KAFKA_BOOTSTRAP" in str(caught.value)
    assert caught.value.__cause__ is not None


async def test_no_embedded_broker_says_to_run_saattaja_up() -> None:
    connection = KafkaConnection(f"127.0.0.1:{free_port('127.0.0.1')}", embedded=True)
    with pytest.raises(KafkaUnavailableError, match="saattaja up"):
        async with open_consumer(connection):
            pass
