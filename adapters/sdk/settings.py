"""The SDK's settings (``SAATTAJA_ADAPTER_*``), and reading any adapter's settings model.

Kafka, TLS/SASL, the pseudonym secret and the registry come from the broker's
``SaattajaSettings`` (``SAATTAJA_*``); these are only what an adapter process adds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import AfterValidator, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from adapters.sdk.errors import AdapterConfigurationError
from adapters.sdk.retry import RetryPolicy
from broker.registry import check_organisation_id
from broker.setting_problems import describe_setting_problems

__all__ = [
    "AdapterSettings",
    "default_consumer_group",
    "load_adapter_settings",
    "load_settings_model",
]

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class AdapterSettings(BaseSettings):
    """What an adapter process needs besides the Kafka settings: who it is, where it keeps state."""

    # An env file blanks a value to unset it: empty is the default, not an empty value.
    model_config = SettingsConfigDict(
        env_prefix="SAATTAJA_ADAPTER_",
        frozen=True,
        extra="ignore",
        validate_default=True,
        env_ignore_empty=True,
    )

    organisation: Annotated[str, AfterValidator(check_organisation_id)] = Field(
        description="Id of this adapter's organisation in the registry (sote, kela, ...)."
    )
    state_file: Path | None = Field(
        default=None,
        description="SQLite file of the local outbox, the seen events and the parked events; "
        "default var/adapters/<organisation>/adapter.db. Keep it on durable storage.",
    )
    group_id: str | None = Field(
        default=None,
        min_length=1,
        description="Consumer group of the inbox reader; default saattaja-adapter-<organisation>.",
    )
    handler_attempts: int = Field(
        default=5, ge=1, le=100, description="Tries of the handler per event before parking it."
    )
    handler_first_delay_seconds: float = Field(
        default=0.5, gt=0, le=3_600, description="Pause after a handler's first failure."
    )
    handler_max_delay_seconds: float = Field(
        default=30.0, gt=0, le=3_600, description="Longest pause between handler retries."
    )
    relay_first_delay_seconds: float = Field(
        default=0.5, gt=0, le=3_600, description="Pause after the outbox relay's first failure."
    )
    relay_max_delay_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3_600,
        description="Longest pause between sends while Kafka is unreachable.",
    )
    relay_batch_size: int = Field(
        default=100, ge=1, le=10_000, description="Outbox records sent per Kafka round trip."
    )
    relay_request_timeout_ms: int = Field(
        default=30_000,
        ge=1_000,
        le=600_000,
        description="How long one send waits for Kafka before the relay backs off and retries.",
    )
    outbox_keep_sent_hours: float = Field(
        default=24.0,
        ge=0,
        le=24 * 365,
        description="How long records Kafka acknowledged stay in the state file, for inspection.",
    )
    health_log_seconds: float = Field(
        default=60.0,
        gt=0,
        le=86_400,
        description="How often `saattaja adapter run` logs the outbox depth and age and the "
        "parked count.",
    )
    session_timeout_ms: int = Field(
        default=10_000,
        ge=1_000,
        le=300_000,
        description="How long a silent adapter keeps its inbox partitions.",
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="Address the adapter serves /metrics (Prometheus) and /health on.",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65_535,
        description="Port the adapter serves /metrics (Prometheus) and /health on; none when "
        "unset, 0 picks a free one.",
    )

    @model_validator(mode="after")
    def _delays_ordered(self) -> AdapterSettings:
        for first, longest in (
            ("handler_first_delay_seconds", "handler_max_delay_seconds"),
            ("relay_first_delay_seconds", "relay_max_delay_seconds"),
        ):
            if getattr(self, first) > getattr(self, longest):
                raise ValueError(
                    f"SAATTAJA_ADAPTER_{first.upper()} is longer than "
                    f"SAATTAJA_ADAPTER_{longest.upper()}: make the first pause the shorter"
                )
        return self

    @property
    def state_path(self) -> Path:
        """The SQLite file actually used."""
        if self.state_file is not None:
            return self.state_file
        return Path("var") / "adapters" / self.organisation / "adapter.db"

    @property
    def consumer_group(self) -> str:
        """The consumer group actually used."""
        return self.group_id or default_consumer_group(self.organisation)

    @property
    def handler_retry(self) -> RetryPolicy:
        """How a failing handler is retried."""
        return RetryPolicy(
            self.handler_attempts, self.handler_first_delay_seconds, self.handler_max_delay_seconds
        )

    @property
    def relay_retry(self) -> RetryPolicy:
        """How the relay backs off while Kafka is unreachable (it never gives up)."""
        return RetryPolicy(None, self.relay_first_delay_seconds, self.relay_max_delay_seconds)


def default_consumer_group(organisation_id: str) -> str:
    """The inbox reader's consumer group when SAATTAJA_ADAPTER_GROUP_ID is not set."""
    return f"saattaja-adapter-{organisation_id}"


def load_settings_model(model: type[SettingsT]) -> SettingsT:
    """Read a settings model from the environment; the error names each variable that is wrong.

    For the SDK's own settings and for every adapter's settings model alike.
    """
    try:
        return model()
    except (ValidationError, SettingsError) as exc:
        problems = describe_setting_problems(model, exc)
        raise AdapterConfigurationError(f"invalid settings: {problems}") from exc


def load_adapter_settings() -> AdapterSettings:
    """The SDK's settings, read once at start."""
    return load_settings_model(AdapterSettings)
