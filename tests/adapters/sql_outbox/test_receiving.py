"""Received events and rejection notices land in the inbox table, each once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.sql_outbox import SqlOutboxAdapter, create_tables, inbox_rows
from broker.topics import outbox_topic
from schemas import REJECTION_NOTICE_TYPE, ROUTER_SOURCE, ReferralRequested, RejectionNotice
from tests.adapters.events import CODEC, client_code, referral
from tests.adapters.kafka import deliver_to_inbox
from tests.adapters.sql_outbox.harness import WITHIN, running, settings_for
from tests.broker.conditions import eventually

pytestmark = pytest.mark.postgres


async def inbox_holds(url: str, count: int) -> bool:
    return len(await inbox_rows(url)) >= count


@pytest.mark.kafka
async def test_a_received_event_lands_in_the_inbox_table_once_when_delivered_twice(
    kafka_bootstrap: str, state_file: Path, postgres_database_url: str
) -> None:
    url = postgres_database_url
    await create_tables(url)
    twice, then = referral(client_code(50), 0), referral(client_code(50), 1)
    async with running(kafka_bootstrap, state_file, url) as run:
        record = CODEC.encode(twice)
        await deliver_to_inbox(run.connection, run.organisation, record, record, CODEC.encode(then))
        # The third event arrives after the redelivery, so once it is in, both copies were seen.
        await eventually(lambda: inbox_holds(url, 2), within=WITHIN, what="two inbox rows")
    rows = await inbox_rows(url)
    assert [row["event_id"] for row in rows] == [str(twice.event_id), str(then.event_id)]
    assert rows[0]["event_type"] == ReferralRequested.ce_type()
    assert rows[0]["client"] == client_code(50)
    assert rows[0]["sender"] == twice.sender
    assert rows[0]["payload"] == twice.model_dump(mode="json")
    assert ReferralRequested.model_validate(rows[0]["payload"]) == twice


async def test_handling_an_event_again_after_a_crash_writes_no_second_row(
    postgres_database_url: str,
) -> None:
    await create_tables(postgres_database_url)
    adapter = SqlOutboxAdapter(settings_for(postgres_database_url))
    event = referral(client_code(51))
    try:
        # As when the adapter stopped after writing the row but before the SDK noted it.
        await adapter.handle(event)
        await adapter.handle(event)
    finally:
        await adapter.close()
    assert [row["event_id"] for row in await inbox_rows(postgres_database_url)] == [
        str(event.event_id)
    ]


@pytest.mark.kafka
async def test_a_rejection_notice_lands_in_the_inbox_table_with_its_type_and_reason(
    kafka_bootstrap: str, state_file: Path, postgres_database_url: str
) -> None:
    url = postgres_database_url
    await create_tables(url)
    async with running(kafka_bootstrap, state_file, url) as run:
        notice = RejectionNotice(
            rejected_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
            recipient=run.organisation.oid,
            rejected_event_id="6f1c2a5e-0000-4a43-9a39-2f3d5c0e8b10",
            reason="the event names an organisation that is not in the registry",
            source_topic=outbox_topic(run.organisation.id),
            source_partition=0,
            source_offset=7,
        )
        await deliver_to_inbox(run.connection, run.organisation, notice.encode(None))
        await eventually(lambda: inbox_holds(url, 1), within=WITHIN, what="the notice's row")
    [row] = await inbox_rows(url)
    assert (row["event_id"], row["event_type"], row["client"], row["sender"]) == (
        str(notice.notice_id),
        REJECTION_NOTICE_TYPE,
        None,
        ROUTER_SOURCE,
    )
    assert RejectionNotice.model_validate(row["payload"]) == notice
