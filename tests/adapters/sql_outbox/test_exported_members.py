"""The SQL outbox adapter's public names, pinned: IT teams copy and import them."""

from __future__ import annotations

import adapters.sql_outbox

PUBLIC_NAMES = [
    "DEFAULT_INBOX_TABLE",
    "DEFAULT_OUTBOX_TABLE",
    "EVENT_ID_NAMESPACE",
    "InvalidRowError",
    "SourceRefusedError",
    "SourceTables",
    "SourceUnavailableError",
    "SqlOutboxAdapter",
    "SqlOutboxError",
    "SqlOutboxSettings",
    "add_outbox_row",
    "create_tables",
    "ddl",
    "event_from_row",
    "inbox_rows",
    "outbox_rows",
    "row_event_id",
]


def test_the_package_exports_exactly_its_public_names() -> None:
    assert adapters.sql_outbox.__all__ == PUBLIC_NAMES
    assert all(hasattr(adapters.sql_outbox, name) for name in PUBLIC_NAMES)
