"""Settings of the FHIR REST adapter (``SAATTAJA_FHIR_REST_*``)."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["FhirRestSettings"]


class FhirRestSettings(BaseSettings):
    """Where the adapter listens for the organisation's FHIR, and where it delivers events."""

    model_config = SettingsConfigDict(
        env_prefix="SAATTAJA_FHIR_REST_", frozen=True, extra="ignore", validate_default=True
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
    bearer_token: SecretStr | None = Field(
        default=None,
        description="Bearer token sent to the organisation's FHIR server; none when unset.",
    )
    timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="How long one request to the organisation's FHIR server may take.",
    )

    @property
    def endpoint_base(self) -> str:
        """The endpoint URL without a trailing slash, ready for ``/metadata``."""
        return str(self.endpoint_url).rstrip("/")
