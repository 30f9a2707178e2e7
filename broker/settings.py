"""Runtime settings, read once at start from ``SAATTAJA_*`` environment variables."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Final, Literal

from pydantic import (
    Field,
    NonNegativeInt,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError
from sqlalchemy.exc import ArgumentError

from broker.chosen_secret import ChosenSecret
from broker.database_urls import ASYNC_DRIVERS, UnsupportedDatabaseError, with_async_driver
from broker.errors import ConfigurationError
from broker.setting_problems import describe_setting_problems
from schemas import ASSESSMENT_KINDS

__all__ = ["MAX_TOPIC_PARTITIONS", "SaattajaSettings", "load_settings"]

KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

MAX_TOPIC_PARTITIONS: Final = 1000
"""Most partitions Saattaja creates a topic with."""

_MIN_SECRET_LENGTH = 32

_DATABASE_URL_FORMS = (
    "postgresql+asyncpg://user@host:5432/database or sqlite+aiosqlite:///path/to/saattaja.db"
)
_BOOTSTRAP_FORM = "host:port,... (e.g. kafka-1.example.internal:9093,kafka-2.example.internal:9093)"
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
_PORT = re.compile(r"[0-9]{1,5}")


class SaattajaSettings(BaseSettings):
    """Everything a Saattaja process needs to know about its surroundings."""

    # An env file blanks a value to unset it: empty is the default, not an empty value.
    model_config = SettingsConfigDict(
        env_prefix="SAATTAJA_",
        frozen=True,
        extra="ignore",
        validate_default=True,
        env_ignore_empty=True,
    )

    kafka_bootstrap: str = Field(
        default="",
        description="Comma-separated host:port list of a Kafka cluster; empty starts the "
        "embedded broker.",
    )
    kafka_security_protocol: KafkaSecurityProtocol = Field(
        default="PLAINTEXT", description="How to reach the Kafka cluster."
    )
    kafka_sasl_mechanism: SaslMechanism | None = Field(
        default=None, description="SASL mechanism when the protocol is SASL_*."
    )
    kafka_sasl_username: str | None = Field(default=None, description="SASL user name.")
    kafka_sasl_password: ChosenSecret | None = Field(default=None, description="SASL password.")
    kafka_ssl_cafile: Path | None = Field(
        default=None, description="CA bundle that signed the cluster's TLS certificates."
    )
    embedded_host: str = Field(
        default="127.0.0.1", description="Address the embedded broker listens on."
    )
    embedded_port: int = Field(
        default=9092, ge=1, le=65535, description="Port the embedded broker listens on."
    )
    topic_partitions: int = Field(
        default=3,
        ge=1,
        le=MAX_TOPIC_PARTITIONS,
        description="Partitions per topic created by Saattaja.",
    )
    topic_retention_hours: int = Field(
        default=336,
        ge=1,
        le=87_600,
        description="How long the outboxes, inboxes and the dead-letter topic that Saattaja "
        "creates keep a record (retention.ms), in hours: long enough for an adapter that was "
        "down to catch up, no longer, as the records carry personal data. The audit topic is "
        "kept for ever. Topics that exist already keep their own.",
    )
    database_url: str = Field(
        default="sqlite+aiosqlite:///var/saattaja.db",
        description="SQLAlchemy URL of the consent and audit stores: PostgreSQL "
        "(postgresql+asyncpg://...) or a SQLite file (sqlite+aiosqlite:///...); a URL "
        "without a driver (postgresql://...) gets the async one.",
    )
    registry_file: Path = Field(
        default=Path("deploy/organisations.yaml"),
        description="YAML file listing the organisations that take part.",
    )
    legal_bases_file: Path | None = Field(
        default=None,
        description="YAML file of statutory bases that permit a disclosure without consent; "
        "none when unset.",
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="Address a router process (and the audit stream) serves /metrics "
        "(Prometheus) and /health on.",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65_535,
        description="Port a router process serves /metrics (Prometheus) and /health on; "
        "none when unset, 0 picks a free one.",
    )
    router_group_id: str = Field(
        default="saattaja-router",
        min_length=1,
        description="Consumer group the router processes share.",
    )
    router_session_timeout_ms: int = Field(
        default=10_000,
        ge=1_000,
        le=300_000,
        description="How long a router process may be silent before its partitions move.",
    )
    router_batch_size: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="Most outbox records a router process routes together, with one read "
        "and one write of each store.",
    )
    router_consent_cache_versions: int = Field(
        default=10_000,
        ge=0,
        description="Consent versions a router process keeps once read (about 4 KiB each), "
        "so that a client's next event reads only versions it has not seen; 0 keeps none.",
    )
    router_known_clients: int = Field(
        default=10_000,
        ge=0,
        description="Clients whose consents, care network and pathway a router process keeps "
        "between batches (a few KiB each), so that their next events read none of them; 0 "
        "reads them for every batch.",
    )
    router_fetch_wait_ms: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Longest a router's fetch waits at the broker for new records: the "
        "floor of outbox-to-inbox latency when traffic is light.",
    )
    router_validation_workers: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Worker processes that decode and FHIR-validate events for a router "
        "process; 0 decodes in the router process itself.",
    )
    referral_due_working_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="Working days (Finnish public holidays excluded) a receiver has to accept "
        "or reject a referral before it is overdue.",
    )
    referral_overdue_repeat_working_days: int = Field(
        default=1,
        ge=1,
        le=60,
        description="Working days between repeated overdue notices while nobody acts.",
    )
    referral_expiry_working_days: int = Field(
        default=20,
        ge=1,
        le=250,
        description="Working days after which an unanswered referral expires and its "
        "responsibility stays with the requester; more than the due days.",
    )
    overdue_scan_seconds: float = Field(
        default=60.0,
        gt=0,
        le=86_400,
        description="How often a router process looks for overdue referrals.",
    )
    duplicate_assessment_window_days: int = Field(
        default=183,
        ge=0,
        le=3_650,
        description="An assessment of the same kind recorded by another organisation less "
        "than this many days earlier makes a new one a duplicate.",
    )
    duplicate_assessment_windows: dict[str, NonNegativeInt] = Field(
        default_factory=dict,
        description='Windows in days per assessment kind, as JSON, e.g. {"kykyviisari": 183}; '
        "kinds not named use duplicate_assessment_window_days.",
    )
    pathway_document_retention_days: int = Field(
        default=365,
        ge=1,
        le=3_650,
        description="Days the router keeps a client's document for warm handovers (the "
        "latest assessment of each kind, current plans, open referrals), counted from the "
        "document's own time; a referral waiting for an answer stays until answered or "
        "expired. At least every duplicate-assessment window.",
    )
    store_retry_max_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3_600,
        description="Longest pause between retries while the consent or audit store is down.",
    )
    audit_stream_format: Literal["jsonl", "fhir"] = Field(
        default="jsonl",
        description="What `saattaja audit stream` writes to saattaja.audit per record: jsonl, "
        "the fields the hash covers and the hash; fhir, a FHIR R4 AuditEvent (IHE BALP).",
    )
    audit_stream_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often the audit stream looks for records appended since its last look.",
    )
    audit_stream_batch_size: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="Audit records the audit stream reads and sends at a time.",
    )
    audit_stream_group_id: str = Field(
        default="saattaja-audit-stream",
        min_length=1,
        description="Consumer group of the audit streams: one of them ships, the others stand "
        "by to take over.",
    )
    audit_stream_session_timeout_ms: int = Field(
        default=10_000,
        ge=1_000,
        le=300_000,
        description="How long an audit stream that stops answering keeps the audit topic "
        "before one standing by takes over.",
    )
    audit_stream_metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65_535,
        description="Port the audit stream serves /metrics (Prometheus) and /health on, at "
        "SAATTAJA_METRICS_HOST; none when unset, 0 picks a free one.",
    )
    pseudonym_secret: ChosenSecret | None = Field(
        default=None,
        description="Key of the HMAC that turns identity codes into client pseudonyms "
        f"(at least {_MIN_SECRET_LENGTH} characters).",
    )
    max_event_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest event value accepted, in bytes."
    )
    log_format: Literal["console", "json"] = Field(
        default="console", description="console for a terminal, json for log collectors."
    )

    @field_validator("pseudonym_secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < _MIN_SECRET_LENGTH:
            raise ValueError(
                f"must be at least {_MIN_SECRET_LENGTH} characters of random data; "
                "a short key lets anyone recompute pseudonyms"
            )
        return value

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_addresses(cls, value: str) -> str:
        # Checked here: aiokafka would fail on the first connection with a bare traceback.
        for address in (entry.strip() for entry in value.split(",")):
            problem = _address_problem(address) if address else None
            if problem is not None:
                raise ValueError(f"entry {address!r} {problem}; expected {_BOOTSTRAP_FORM}")
        return value

    @field_validator("duplicate_assessment_windows")
    @classmethod
    def _known_assessment_kinds(cls, windows: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(windows) - ASSESSMENT_KINDS)
        if unknown:
            raise ValueError(
                f"names no assessment kind: {', '.join(map(repr, unknown))}; the kinds are "
                f"{', '.join(sorted(ASSESSMENT_KINDS))}"
            )
        return windows

    @field_validator("database_url")
    @classmethod
    def _async_database_url(cls, value: str) -> str:
        # The URL is not echoed in an error: it may hold a password.
        try:
            return with_async_driver(value)
        except ArgumentError as exc:
            raise ValueError(f"is not a database URL; expected {_DATABASE_URL_FORMS}") from exc
        except UnsupportedDatabaseError as exc:
            if exc.driver is None:
                raise ValueError(
                    f"names a {exc.backend} database; the stores are PostgreSQL or SQLite: "
                    f"{_DATABASE_URL_FORMS}"
                ) from exc
            raise ValueError(
                f"names the driver {exc.driver}, but the stores use "
                f"{exc.backend}+{ASYNC_DRIVERS[exc.backend]} (asynchronous): "
                f"{_DATABASE_URL_FORMS}"
            ) from exc

    @model_validator(mode="after")
    def _expiry_after_due(self) -> SaattajaSettings:
        if self.referral_expiry_working_days <= self.referral_due_working_days:
            raise ValueError(
                f"SAATTAJA_REFERRAL_EXPIRY_WORKING_DAYS ({self.referral_expiry_working_days}) "
                "must be more than SAATTAJA_REFERRAL_DUE_WORKING_DAYS "
                f"({self.referral_due_working_days}): a referral cannot expire before it is "
                "overdue"
            )
        return self

    @model_validator(mode="after")
    def _documents_kept_through_duplicate_windows(self) -> SaattajaSettings:
        windows = {
            "SAATTAJA_DUPLICATE_ASSESSMENT_WINDOW_DAYS": self.duplicate_assessment_window_days,
            **{
                f"SAATTAJA_DUPLICATE_ASSESSMENT_WINDOWS ({kind})": days
                for kind, days in self.duplicate_assessment_windows.items()
            },
        }
        name, longest = max(windows.items(), key=lambda window: window[1])
        if longest > self.pathway_document_retention_days:
            raise ValueError(
                "SAATTAJA_PATHWAY_DOCUMENT_RETENTION_DAYS "
                f"({self.pathway_document_retention_days}) must be at least {name} "
                f"({longest}): an assessment removed before its window ends could not be "
                "found as the one a new assessment repeats"
            )
        return self

    @property
    def uses_embedded_broker(self) -> bool:
        """True when no cluster is configured and Saattaja runs its own broker."""
        return not self.kafka_bootstrap.strip()

    def require_pseudonym_secret(self) -> bytes:
        """The pseudonym key, or a ConfigurationError saying how to set it."""
        if self.pseudonym_secret is None:
            raise ConfigurationError(
                "SAATTAJA_PSEUDONYM_SECRET is not set: set it to at least "
                f"{_MIN_SECRET_LENGTH} characters of random data shared by every Saattaja "
                "process of the region (for example: openssl rand -hex 32)"
            )
        return self.pseudonym_secret.get_secret_value().encode()


def _address_problem(address: str) -> str | None:
    """What is wrong with one ``host:port`` of a bootstrap list, or None."""
    if address.startswith("["):
        host, closed, rest = address[1:].partition("]")
        if not closed or not rest.startswith(":"):
            return "is not [IPv6 address]:port"
        port = rest.removeprefix(":")
        problem = None if _ipv6(host) else f"has {host!r} in brackets, not an IPv6 address"
    else:
        host, colon, port = address.rpartition(":")
        if not colon:
            return "has no port"
        problem = _host_problem(host)
    if problem is None and (not _PORT.fullmatch(port) or not 1 <= int(port) <= 65_535):
        problem = f"has the port {port!r}, which is not a number from 1 to 65535"
    return problem


def _host_problem(host: str) -> str | None:
    if ":" in host:
        return "looks like an IPv6 address: write it in brackets, as in [2001:db8::1]:9093"
    if not host:
        return "has no host"
    if not _host_name_or_ipv4(host):
        return f"has {host!r}, which is not a host name or an IPv4 address"
    return None


def _ipv6(host: str) -> bool:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def _host_name_or_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        pass
    else:
        return True
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = name.removesuffix(".").split(".")
    numeric = all(label.isdigit() for label in labels)  # 10.0.0.256 is no name either
    return len(name) <= 253 and not numeric and all(map(_HOST_LABEL.fullmatch, labels))


def load_settings() -> SaattajaSettings:
    """Read the settings from the environment, naming the variable that is wrong."""
    try:
        return SaattajaSettings()
    except (ValidationError, SettingsError) as exc:
        problems = describe_setting_problems(SaattajaSettings, exc)
        raise ConfigurationError(f"invalid settings: {problems}") from exc
