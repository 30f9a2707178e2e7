"""The one-machine demo path: the same tables in a SQLite file, without PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import SQLAlchemyError

from adapters.sdk import AdapterConfigurationError, AdapterContext
from adapters.sql_outbox import (
    SqlOutboxAdapter,
    add_outbox_row,
    create_tables,
    inbox_rows,
    outbox_rows,
)
from tests.adapters.events import CODEC, client_code, referral
from tests.adapters.kafka import deliver_to_inbox
from tests.adapters.sql_outbox.harness import (
    WITHIN,
    domain_record,
    published,
    running,
    settings_for,
)
from tests.broker.conditions import eventually

pytestmark = pytest.mark.kafka


async def test_a_sqlite_outbox_row_is_published_and_a_received_event_written(
    kafka_bootstrap: str, state_file: Path, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sote.db'}"
    await create_tables(url)
    outgoing, incoming = referral(client_code(60)), referral(client_code(61))
    await add_outbox_row(url, "referral.requested", domain_record(outgoing))

    async def sent() -> bool:
        return [row["sent_at"] is not None for row in await outbox_rows(url)] == [True]

    async def received() -> bool:
        return len(await inbox_rows(url)) == 1

    async with running(kafka_bootstrap, state_file, url) as run:
        await deliver_to_inbox(run.connection, run.organisation, CODEC.encode(incoming))
        [event] = await published(run, 1)
        await eventually(sent, within=WITHIN, what="the row marked sent")
        await eventually(received, within=WITHIN, what="the received event's row")
        assert await run.adapter.check() == []
    assert event.document_id == outgoing.document_id
    assert event.occurred_at == (await outbox_rows(url))[0]["created_at"]
    [row] = await inbox_rows(url)
    assert (row["event_id"], row["client"]) == (str(incoming.event_id), incoming.client)


async def test_rows_a_system_wrote_unreadable_fail_alone_and_the_rows_after_them_go(
    kafka_bootstrap: str, state_file: Path, tmp_path: Path
) -> None:
    # SQLite keeps whatever text a system writes, whatever the column's declared type.
    path = tmp_path / "sote.db"
    url = f"sqlite+aiosqlite:///{path}"
    await create_tables(url)
    good = referral(client_code(62))
    with closing(sqlite3.connect(path)) as database, database:
        database.executemany(
            "INSERT INTO saattaja_outbox (event_type, payload, created_at) VALUES (?, ?, ?)",
            [
                ("referral.requested", "{not json", "2026-12-05 09:00:00"),
                ("referral.requested", json.dumps(domain_record(good)), "5.12.2026 klo 9"),
                ("referral.requested", json.dumps(domain_record(good)), "2026-12-05 09:00:00"),
            ],
        )

    async def all_done() -> bool:
        rows = await outbox_rows(url)
        return all(row["sent_at"] is not None or row["error"] is not None for row in rows)

    async with running(kafka_bootstrap, state_file, url) as run:
        [event] = await published(run, 1)
        await eventually(all_done, within=WITHIN, what="every row sent or failed")
    # outbox_rows gives the rows that failed as they were written.
    not_json, not_a_time, fine = await outbox_rows(url)
    assert not_json["payload"] == "{not json"
    assert str(not_json["error"]).startswith("payload is not JSON: Expecting property name")
    assert not_a_time["created_at"] == "5.12.2026 klo 9"
    assert str(not_a_time["error"]).startswith(
        "created_at a value of 15 characters (not shown: it may hold personal data) is not a date"
    )
    assert (fine["error"], fine["sent_at"] is not None) == (None, True)
    assert fine["created_at"] == event.occurred_at == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


async def test_the_adapter_stops_at_start_on_a_database_without_its_tables(
    local_context: AdapterContext, tmp_path: Path
) -> None:
    database = tmp_path / "other.db"
    with closing(sqlite3.connect(database)):
        pass  # a database of something else, without the adapter's tables
    adapter = SqlOutboxAdapter(settings_for(f"sqlite+aiosqlite:///{database}"))

    try:
        with pytest.raises(AdapterConfigurationError, match="table saattaja_outbox is missing"):
            async with asyncio.timeout(WITHIN):
                await adapter.run(local_context)
    finally:
        await adapter.close()


async def test_an_event_the_inbox_table_refuses_fails_without_quoting_the_event(
    tmp_path: Path,
) -> None:
    # The error becomes the parked reason and a log line, read by more people than the event.
    database = tmp_path / "sote.db"
    url = f"sqlite+aiosqlite:///{database}"
    await create_tables(url)
    with closing(sqlite3.connect(database)) as connection:
        connection.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON saattaja_inbox "
            "BEGIN SELECT RAISE(ABORT, 'the inbox is closed'); END"
        )
        connection.commit()
    event = referral(client_code(63))
    adapter = SqlOutboxAdapter(settings_for(url))

    try:
        with pytest.raises(SQLAlchemyError, match="the inbox is closed") as refused:
            await adapter.handle(event)
    finally:
        await adapter.close()

    assert event.client not in str(refused.value)


async def test_check_finds_the_sqlite_file_a_url_in_uri_form_names(tmp_path: Path) -> None:
    # file:/path?uri=true is SQLite's to read: the path is what follows file:.
    database = tmp_path / "asiakas.db"
    await create_tables(f"sqlite+aiosqlite:///{database}")
    adapter = SqlOutboxAdapter(settings_for(f"sqlite+aiosqlite:///file:{database}?uri=true"))

    assert await adapter.check() == []


async def test_check_says_when_no_sqlite_file_is_where_the_url_points_and_makes_none(
    tmp_path: Path,
) -> None:
    mistyped = tmp_path / "asikas.db"
    adapter = SqlOutboxAdapter(settings_for(f"sqlite+aiosqlite:///{mistyped}"))

    [problem] = await adapter.check()

    assert problem.startswith(f"there is no SQLite database at {mistyped}: check the path")
    assert not mistyped.exists()
