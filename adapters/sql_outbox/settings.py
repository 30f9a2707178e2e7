"""The adapter's settings (``SAATTAJA_SQL_OUTBOX_*``): which database, which tables, how often."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SqlOutboxSettings"]

_TABLE_NAME = r"^[a-z_][a-z0-9_]{0,62}$"


class SqlOutboxSettings(BaseSettings):
    """Where the organisation's outbox and inbox tables are, and how the adapter polls them."""

    # An env file blanks a value to unset it: empty is the default, not an empty value.
    model_config = SettingsConfigDict(
        env_prefix="SAATTAJA_SQL_OUTBOX_",
        frozen=True,
        extra="ignore",
        env_ignore_empty=True,
    )

    database_url: str = Field(
        min_length=1,
        description="SQLAlchemy async URL of the organisation's database, e.g. "
        "postgresql+asyncpg://saattaja@db.example/asiakas or sqlite+aiosqlite:///var/demo/sote.db; "
        "a URL without a driver (postgresql://...) gets the async one.",
    )
    outbox_table: str = Field(
        default="saattaja_outbox",
        pattern=_TABLE_NAME,
        description="Table the organisation's system writes its records into.",
    )
    inbox_table: str = Field(
        default="saattaja_inbox",
        pattern=_TABLE_NAME,
        description="Table the adapter writes received events and rejection notices into.",
    )
    poll_interval_seconds: float = Field(
        default=1.0, gt=0, le=3_600, description="Pause between reads of an empty outbox table."
    )
    batch_size: int = Field(
        default=100, ge=1, le=10_000, description="Outbox rows read and marked per transaction."
    )
