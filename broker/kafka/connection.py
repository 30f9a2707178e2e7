"""How every Kafka client of Saattaja reaches the cluster, configured in one place."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import SecretStr

from broker.errors import ConfigurationError, KafkaUnavailableError
from broker.settings import KafkaSecurityProtocol, SaattajaSettings, SaslMechanism

__all__ = ["KafkaConnection"]


@dataclass(frozen=True, slots=True)
class KafkaConnection:
    """Bootstrap address and security settings shared by producers, consumers and admins.

    ``embedded`` records that the address is Saattaja's own embedded broker, so that a
    failure can say "start `saattaja up`" rather than "check your cluster".
    """

    bootstrap: str
    security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = field(default=None, repr=False)
    ssl_cafile: Path | None = None
    embedded: bool = False

    def __post_init__(self) -> None:
        if not self.bootstrap.strip():
            raise ConfigurationError(
                "the Kafka bootstrap address is empty: set SAATTAJA_KAFKA_BOOTSTRAP to "
                "host:port[,host:port...] of your cluster"
            )
        if self.security_protocol.startswith("SASL_"):
            missing = [
                name
                for name, value in (
                    ("SAATTAJA_KAFKA_SASL_MECHANISM", self.sasl_mechanism),
                    ("SAATTAJA_KAFKA_SASL_USERNAME", self.sasl_username),
                    ("SAATTAJA_KAFKA_SASL_PASSWORD", self.sasl_password),
                )
                if value is None
            ]
            if missing:
                raise ConfigurationError(
                    f"SAATTAJA_KAFKA_SECURITY_PROTOCOL is {self.security_protocol} but "
                    f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
                    "set them to the credentials of this process's Kafka user"
                )

    @classmethod
    def from_settings(
        cls, settings: SaattajaSettings, *, bootstrap: str | None = None
    ) -> KafkaConnection:
        """The connection the settings describe.

        Without a configured cluster this is the embedded broker's address, where
        `saattaja up` listens. ``bootstrap`` overrides it (an embedded broker on a port
        chosen at start).
        """
        if bootstrap is None and not settings.uses_embedded_broker:
            return cls(
                bootstrap=settings.kafka_bootstrap.strip(),
                security_protocol=settings.kafka_security_protocol,
                sasl_mechanism=settings.kafka_sasl_mechanism,
                sasl_username=settings.kafka_sasl_username,
                sasl_password=settings.kafka_sasl_password,
                ssl_cafile=settings.kafka_ssl_cafile,
            )
        # The embedded broker speaks plaintext only, whatever the cluster settings say.
        address = bootstrap or f"{settings.embedded_host}:{settings.embedded_port}"
        return cls(bootstrap=address, embedded=settings.uses_embedded_broker)

    @property
    def bootstrap_servers(self) -> list[str]:
        """The bootstrap addresses as aiokafka takes them."""
        return [server.strip() for server in self.bootstrap.split(",") if server.strip()]

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin).

        Builds the TLS context here, reading the CA file: an explicit step, not import-time I/O.
        """
        kwargs: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol in ("SSL", "SASL_SSL"):
            kwargs["ssl_context"] = self._ssl_context()
        if self.security_protocol.startswith("SASL_"):
            # __post_init__ has checked that all three are set.
            assert self.sasl_password is not None  # noqa: S101 - narrowing for mypy
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.sasl_password.get_secret_value()
        return kwargs

    def faststream_security(self) -> BaseSecurity | None:
        """The same security settings in the form FastStream's KafkaBroker takes."""
        use_ssl = self.security_protocol in ("SSL", "SASL_SSL")
        context = self._ssl_context() if use_ssl else None
        if not self.security_protocol.startswith("SASL_"):
            return BaseSecurity(ssl_context=context, use_ssl=use_ssl) if use_ssl else None
        assert self.sasl_password is not None  # noqa: S101 - checked in __post_init__
        assert self.sasl_username is not None  # noqa: S101 - checked in __post_init__
        sasl = {
            "PLAIN": SASLPlaintext,
            "SCRAM-SHA-256": SASLScram256,
            "SCRAM-SHA-512": SASLScram512,
        }[self.sasl_mechanism or "PLAIN"]
        return sasl(
            username=self.sasl_username,
            password=self.sasl_password.get_secret_value(),
            ssl_context=context,
            use_ssl=use_ssl,
        )

    def unavailable(self, cause: BaseException) -> KafkaUnavailableError:
        """The error to raise ``from cause`` when no broker answers at the bootstrap address."""
        if self.embedded:
            advice = (
                "start the embedded broker with `saattaja up` (check SAATTAJA_EMBEDDED_HOST "
                "and SAATTAJA_EMBEDDED_PORT), or set SAATTAJA_KAFKA_BOOTSTRAP to your cluster"
            )
        else:
            advice = (
                "check SAATTAJA_KAFKA_BOOTSTRAP, that the cluster is up and reachable from "
                "here, and the SAATTAJA_KAFKA_SECURITY_PROTOCOL / SASL / SSL settings"
            )
        detail = str(cause) or type(cause).__name__
        return KafkaUnavailableError(
            f"no Kafka broker answers at {self.bootstrap} ({detail}): {advice}"
        )

    def _ssl_context(self) -> ssl.SSLContext:
        if self.ssl_cafile is None:
            # The system trust store: right for clusters with publicly signed certificates.
            context: ssl.SSLContext = create_ssl_context()
            return context
        try:
            context = create_ssl_context(cafile=str(self.ssl_cafile))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(
                f"SAATTAJA_KAFKA_SSL_CAFILE={self.ssl_cafile} cannot be used as a CA bundle "
                f"({exc}): point it at the PEM file of the CA that signed the cluster's "
                "certificates"
            ) from exc
        return context
