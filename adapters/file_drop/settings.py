"""Settings of the file-drop adapter (``SAATTAJA_FILE_DROP_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["FileDropSettings"]


class FileDropSettings(BaseSettings):
    """Where the legacy system drops its exports and where it picks up what was received."""

    # An env file blanks a value to unset it: empty is the default, not an empty value.
    model_config = SettingsConfigDict(
        env_prefix="SAATTAJA_FILE_DROP_",
        frozen=True,
        extra="ignore",
        validate_default=True,
        env_ignore_empty=True,
    )

    drop_folder: Path = Field(
        default=Path("var/file_drop/in"),
        description="Folder the legacy system writes *.csv / *.json exports into; done/ and "
        "failed/ are kept inside it, so that moves stay renames on one volume.",
    )
    outgoing_folder: Path = Field(
        default=Path("var/file_drop/out"),
        description="Folder each received event is written into as one JSON file.",
    )
    poll_seconds: float = Field(
        default=5.0, gt=0, le=3_600, description="Pause between two looks at the drop folder."
    )
    take_at_first_sight: bool = Field(
        default=False,
        description="Take a file on the first poll that sees it. Only when every writer "
        "writes name.csv.part and renames it to name.csv; otherwise a file is taken once its "
        "size and modification time are unchanged since the previous poll.",
    )
    csv_delimiter: Literal[";", ",", "\t"] | None = Field(
        default=None,
        description="Delimiter of the CSV files; unset: detected per file (; or , or tab).",
    )
    timezone: str = Field(
        default="Europe/Helsinki",
        description="Time zone of CSV timestamps written without an offset.",
    )
    create_folders: bool = Field(
        default=False,
        description="Create missing folders at start (the demo does); in production a "
        "missing share is a mistake that check() reports.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}: use an IANA name") from exc
        return value

    @property
    def done_folder(self) -> Path:
        """Where a file goes when every record in it was published."""
        return self.drop_folder / "done"

    @property
    def failed_folder(self) -> Path:
        """Where a file goes, with its ``.errors.txt``, when a record in it was refused."""
        return self.drop_folder / "failed"
