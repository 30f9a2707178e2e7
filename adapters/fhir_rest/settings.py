"""Settings of the FHIR REST adapter (``SAATTAJA_FHIR_REST_*``)."""

from __future__ import annotations

import ipaddress

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from broker.chosen_secret import ChosenSecret

__all__ = ["FhirRestSettings"]

_SHORTEST_TOKEN = 32


class FhirRestSettings(BaseSettings):
    """Where the adapter listens for the organisation's FHIR, and where it delivers events."""

    # An env file blanks a value to unset it: empty is the default, not an empty value.
    model_config = SettingsConfigDict(
        env_prefix="SAATTAJA_FHIR_REST_",
        frozen=True,
        extra="ignore",
        validate_default=True,
        env_ignore_empty=True,
    )

    listen_host: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="Address the adapter's FHIR server listens on; 0.0.0.0 for every interface.",
    )
    listen_port: int = Field(
        default=8085,
        ge=0,
        le=65_535,
        description="Port of the adapter's FHIR server; 0 picks a free one (tests).",
    )
    path_prefix: str = Field(
        default="/fhir",
        pattern=r"^(/[A-Za-z0-9._~-]+)+$",
        description="Base path of the adapter's FHIR server: POST <prefix>/Task, <prefix>/Bundle.",
    )
    intake_token: ChosenSecret | None = Field(
        default=None,
        description="Bearer token the organisation's system must send to the adapter's FHIR "
        "server (Authorization: Bearer ...); at least 32 characters. Required unless the "
        "server listens on a loopback address only.",
    )
    intake_token_previous: ChosenSecret | None = Field(
        default=None,
        description="The token replaced by SAATTAJA_FHIR_REST_INTAKE_TOKEN, still taken while "
        "the organisation's system moves to the new one; unset it once it has.",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1_024,
        le=64 * 1_048_576,
        description="Largest request body the adapter's FHIR server accepts.",
    )
    endpoint_url: AnyHttpUrl = Field(
        description="Base URL of the organisation's FHIR server that receives events "
        "(transaction Bundles POSTed to it; GET <url>/metadata must answer)."
    )
    bearer_token: ChosenSecret | None = Field(
        default=None,
        description="Bearer token sent to the organisation's FHIR server; none when unset.",
    )
    timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="How long one request to the organisation's FHIR server may take.",
    )

    @field_validator("intake_token", "intake_token_previous")
    @classmethod
    def _long_enough(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < _SHORTEST_TOKEN:
            raise ValueError(
                f"a token of at least {_SHORTEST_TOKEN} characters, so that it cannot be "
                "guessed (e.g. `openssl rand -hex 32`)"
            )
        return token

    @model_validator(mode="after")
    def _intake_guarded(self) -> FhirRestSettings:
        # Whatever reaches the server is published as the organisation's own event: only
        # the host itself may post without a token.
        if self.intake_token is None and not _loopback(self.listen_host):
            raise ValueError(
                f"SAATTAJA_FHIR_REST_INTAKE_TOKEN is required when the FHIR server listens "
                f"beyond this host (SAATTAJA_FHIR_REST_LISTEN_HOST is {self.listen_host}): "
                f"set a random token of at least {_SHORTEST_TOKEN} characters and give it to "
                "the system that posts to the adapter"
            )
        if self.intake_token_previous is not None and self.intake_token is None:
            raise ValueError(
                "SAATTAJA_FHIR_REST_INTAKE_TOKEN_PREVIOUS is set but "
                "SAATTAJA_FHIR_REST_INTAKE_TOKEN is not: set the new token, and keep the old "
                "one as the previous only while the system moves to the new"
            )
        return self

    @property
    def intake_tokens(self) -> tuple[bytes, ...]:
        """The tokens a request may bear: the current one, and the previous during a rotation."""
        return tuple(
            token.get_secret_value().encode()
            for token in (self.intake_token, self.intake_token_previous)
            if token is not None
        )

    @property
    def endpoint_base(self) -> str:
        """The endpoint URL without a trailing slash, ready for ``/metadata``."""
        return str(self.endpoint_url).rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name may resolve to any address
