"""The example SQL an IT team copies runs, and its row becomes a valid event."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

import adapters.sql_outbox
from adapters.sql_outbox import create_tables, event_from_row, outbox_rows
from adapters.sql_outbox.mapping import OutboxRow
from schemas import ReferralRequested
from tests.adapters.events import SOTE_OID

EXAMPLE: Final = Path(adapters.sql_outbox.__file__).parent / "examples" / "outbox_rows.sql"


def statements(sql: str) -> list[str]:
    without_comments = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    return [part.strip() for part in without_comments.split(";") if part.strip()]


async def test_the_example_insert_makes_a_row_that_becomes_a_referral(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sote.db'}"
    await create_tables(url)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements(EXAMPLE.read_text(encoding="utf-8")):
                await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()
    [row] = await outbox_rows(url)
    outbox_row = OutboxRow(row["id"], row["event_type"], row["payload"], row["created_at"])
    event = event_from_row(outbox_row, sender_oid=SOTE_OID, table="saattaja_outbox")
    assert isinstance(event, ReferralRequested)
    assert event.document_id == "EKHVA-LAH-2026-0001"
