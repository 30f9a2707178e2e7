"""The outgoing folder: each received event or notice as one JSON file, written whole."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from adapters.file_drop.files import write_atomically
from schemas import Event, RejectionNotice

__all__ = ["NOTICE_TYPE", "OutgoingFolder", "outgoing_name"]

NOTICE_TYPE = "event.rejected"
"""The ``type`` of a rejection notice file, beside the event types such as referral.requested."""


def outgoing_name(occurred: datetime, type_name: str, item_id: object) -> str:
    """``<occurred>_<type>_<id>.json``: sorting the names sorts the files by time."""
    # Basic ISO 8601 in UTC: no colons, which Windows shares do not allow in names.
    stamp = occurred.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}_{type_name}_{item_id}.json"


class OutgoingFolder:
    """Where the legacy system picks up what its organisation received."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write_event(self, event: Event) -> Path:
        """``{"type": "referral.requested", ...its fields}``; the same name on redelivery."""
        content = {"type": event.event_code, **event.model_dump(mode="json")}
        return self._write(
            outgoing_name(event.occurred_at, event.event_code, event.event_id), content
        )

    def write_notice(self, notice: RejectionNotice) -> Path:
        """``{"type": "event.rejected", ...the notice's fields}``."""
        content = {"type": NOTICE_TYPE, **notice.model_dump(mode="json")}
        return self._write(
            outgoing_name(notice.rejected_at, NOTICE_TYPE, notice.notice_id), content
        )

    def _write(self, name: str, content: dict[str, object]) -> Path:
        path = self.folder / name
        text = json.dumps(content, ensure_ascii=False, indent=2) + "\n"
        write_atomically(path, text.encode())
        return path
