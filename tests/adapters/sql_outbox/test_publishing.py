"""Outbox rows in PostgreSQL become events in the organisation's outbox topic, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from adapters.sql_outbox import add_outbox_row, create_tables, outbox_rows, row_event_id
from broker.kafka import KafkaConnection
from broker.topics import outbox_topic
from schemas import ReferralRequested
from tests.adapters.events import client_code, referral
from tests.adapters.kafka import create_organisation_topics, fresh_organisation
from tests.adapters.sql_outbox.harness import WITHIN, domain_record, published, running
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def all_sent(url: str) -> bool:
    return all(row["sent_at"] is not None for row in await outbox_rows(url))


async def test_rows_are_published_in_id_order_as_valid_events_and_marked_sent(
    kafka_bootstrap: str, state_file: Path, postgres_database_url: str
) -> None:
    url = postgres_database_url
    await create_tables(url)
    records = [referral(client_code(40), n) for n in range(3)]
    # The short type and the full CloudEvents type are both accepted.
    types = ["referral.requested", "referral.requested", ReferralRequested.ce_type()]
    row_ids = [
        await add_outbox_row(url, event_type, domain_record(record))
        for event_type, record in zip(types, records, strict=True)
    ]
    async with running(kafka_bootstrap, state_file, url) as run:
        events = await published(run, 3)
        await eventually(lambda: all_sent(url), within=WITHIN, what="every row marked sent")
    oid, rows = run.organisation.oid, await outbox_rows(url)
    envelope = {"event_id", "sender", "occurred_at"}
    assert [event.model_dump(exclude=envelope) for event in events] == [
        record.model_dump(exclude=envelope) for record in records
    ]
    # The envelope the rows left out: a stable id per row, this organisation, the row's time.
    assert [event.event_id for event in events] == [
        row_event_id(oid, "saattaja_outbox", row_id) for row_id in row_ids
    ]
    assert {event.sender for event in events} == {oid}
    assert [event.occurred_at for event in events] == [row["created_at"] for row in rows]
    assert [row["error"] for row in rows] == [None, None, None]


async def test_a_row_that_is_no_valid_event_gets_its_error_and_the_following_rows_still_go(
    kafka_bootstrap: str, state_file: Path, postgres_database_url: str
) -> None:
    url = postgres_database_url
    await create_tables(url)
    first, last = referral(client_code(41), 0), referral(client_code(41), 1)
    without_receiver = {k: v for k, v in domain_record(first).items() if k != "receiver"}
    await add_outbox_row(url, "referral.requested", domain_record(first))
    await add_outbox_row(url, "referral.requested", without_receiver)
    await add_outbox_row(url, "referral.teleported", domain_record(first))
    await add_outbox_row(url, "referral.requested", domain_record(last))

    async def settled() -> bool:
        rows = await outbox_rows(url)
        return all(row["sent_at"] is not None or row["error"] is not None for row in rows)

    with capture_logs() as logs:
        async with running(kafka_bootstrap, state_file, url) as run:
            events = await published(run, 2)
            await eventually(settled, within=WITHIN, what="every row sent or failed")
            problems = await run.adapter.check()
    assert [event.document_id for event in events] == [first.document_id, last.document_id]
    rows = await outbox_rows(url)
    assert [row["sent_at"] is not None for row in rows] == [True, False, False, True]
    assert "receiver: Field required" in rows[1]["error"]
    assert (
        "a value of 19 characters (not shown: it may hold personal data) is not in the "
        in (rows[2]["error"])
    )
    failures = [log for log in logs if log["event"] == "sql_outbox_row_failed"]
    assert [(log["row"], log["error"]) for log in failures] == [
        (row["id"], row["error"]) for row in rows[1:3]
    ]
    assert len(problems) == 1
    assert problems[0].startswith(
        f"2 row(s) of saattaja_outbox could not become events and are not retried "
        f"(first: id {rows[1]['id']}: "
    )


async def test_a_rerun_does_not_republish_sent_rows(
    kafka_bootstrap: str, state_file: Path, postgres_database_url: str
) -> None:
    url = postgres_database_url
    await create_tables(url)
    connection = KafkaConnection(kafka_bootstrap)
    organisation = fresh_organisation()
    await create_organisation_topics(connection, organisation)
    before, after = referral(client_code(42), 0), referral(client_code(42), 1)

    await add_outbox_row(url, "referral.requested", domain_record(before))
    async with running(kafka_bootstrap, state_file, url, organisation) as run:
        await published(run, 1)
        await eventually(lambda: all_sent(url), within=WITHIN, what="the first row sent")
    await add_outbox_row(url, "referral.requested", domain_record(after))
    async with running(kafka_bootstrap, state_file, url, organisation) as run:
        await published(run, 2)
        await eventually(lambda: all_sent(url), within=WITHIN, what="the second row sent")

        async def drained() -> bool:
            return (await run.runtime.health()).outbox_unsent == 0

        await eventually(drained, within=WITHIN, what="the local outbox drained")
    records = await read_topic(connection, outbox_topic(organisation.id))
    assert len(records) == 2


async def test_two_instances_on_one_table_send_each_row_once(
    kafka_bootstrap: str, tmp_path: Path, postgres_database_url: str
) -> None:
    url = postgres_database_url
    await create_tables(url)
    connection = KafkaConnection(kafka_bootstrap)
    organisation = fresh_organisation()
    await create_organisation_topics(connection, organisation)
    for n in range(30):
        await add_outbox_row(url, "referral.requested", domain_record(referral(client_code(n), n)))
    with capture_logs() as logs:
        async with (
            running(kafka_bootstrap, tmp_path / "a.db", url, organisation),
            running(kafka_bootstrap, tmp_path / "b.db", url, organisation),
        ):
            await eventually(lambda: all_sent(url), within=WITHIN, what="every row sent")
    # Counted where the instances hand events to the SDK: Kafka itself may hold a record
    # twice after a relay retry, which is the SDK's at-least-once, not a double send.
    accepted = [log["event_id"] for log in logs if log["event"] == "event_accepted"]
    assert len(accepted) == len(set(accepted)) == 30
