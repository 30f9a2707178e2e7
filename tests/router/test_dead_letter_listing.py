"""Integration staff list what the router rejected: `saattaja topics dlq` and its reader."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from broker.cli import main
from broker.dead_letters import DeadLetter, DeadLetterFilter, read_dead_letters
from broker.embedded import EmbeddedBroker
from broker.errors import ConfigurationError, InvalidPeriodError, UnknownOrganisationError
from broker.kafka import KafkaConnection
from broker.registry import OrganisationRegistry
from broker.topics import DLQ_TOPIC, outbox_topic
from consent.database import upgrade_database
from schemas import KafkaRecord
from tests.broker.conditions import eventually
from tests.conftest import write_registry_file
from tests.router.events import KELA, acceptance
from tests.router.harness import CODEC, Harness, Routed, running_router

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
async def routed(
    kafka_bootstrap: str, registry: OrganisationRegistry, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Routed]:
    """One router for the module; each test finds its own records by their event ids."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('dlq') / 'router.db'}"
    await upgrade_database(url)
    async with running_router(kafka_bootstrap, url, registry) as pair:
        yield pair


def _not_json(event_id: str) -> KafkaRecord:
    return KafkaRecord(key=b"k", headers=(("ce_id", event_id.encode()),), value=b"{not json")


async def _rejected(harness: Harness, organisation: str, record: KafkaRecord) -> DeadLetter:
    """Publish a record the router rejects; the dead letter it becomes."""
    await harness.publish_raw(harness.org(organisation).id, record)
    return await _listed(harness, dict(record.headers)["ce_id"].decode(), organisation)


async def _listed(harness: Harness, event_id: str, organisation: str) -> DeadLetter:
    """The dead letter of this event id from this organisation, once it is there."""
    wanted = DeadLetterFilter(harness.org(organisation).id)
    found: list[DeadLetter] = []

    async def listed() -> bool:
        letters = await read_dead_letters(harness.connection, harness.registry, wanted)
        found[:] = [letter for letter in letters if letter.event_id == event_id]
        return bool(found)

    await eventually(listed, within=30, what=f"{event_id} in {DLQ_TOPIC}")
    [letter] = found
    return letter


async def _written_by_hand(
    harness: Harness, value: bytes, headers: list[tuple[str, bytes | None]]
) -> bytes:
    """Write a message to the dead-letter topic as someone other than the router; its key."""
    key = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(**harness.connection.client_kwargs())
    await producer.start()
    try:
        await producer.send_and_wait(DLQ_TOPIC, value, key=key, headers=headers)
    finally:
        await producer.stop()
    return key


async def test_a_rejected_record_is_listed_with_its_reason_and_where_it_came_from(
    routed: Routed,
) -> None:
    harness, _ = routed
    sote = harness.org("sote").id
    partition = await harness.publish_raw(sote, _not_json("broken-1"))

    letter = await _listed(harness, "broken-1", "sote")

    [published] = [
        r for r in await harness.read(outbox_topic(sote)) if dict(r.headers)["ce_id"] == b"broken-1"
    ]
    assert letter.organisation == sote
    assert "missing header" in letter.reason
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == (
        outbox_topic(sote),
        partition,
        published.offset,
    )
    assert letter.rejected_at is not None
    assert abs(letter.rejected_at - datetime.now(UTC)) < timedelta(minutes=1)


async def test_the_listed_record_is_the_rejected_one_as_it_arrived_without_the_routers_headers(
    routed: Routed,
) -> None:
    harness, _ = routed
    spoofed = CODEC.encode(acceptance("R-DLQ-1", by=KELA))

    letter = await _rejected(harness, "sote", spoofed)

    assert letter.record == spoofed
    assert letter.event_type == "fi.saattaja.referral.accepted.v1"
    assert "publishes only as itself" in letter.reason


async def test_a_header_the_record_gave_twice_is_listed_with_both_values(routed: Routed) -> None:
    harness, _ = routed
    sent = CODEC.encode(acceptance("R-DLQ-2", by=KELA))
    twice = KafkaRecord(
        key=sent.key, headers=(("ce_id", b"dlq-twice-1"), *sent.headers), value=sent.value
    )

    await harness.publish_raw(harness.org("kela").id, twice)
    letter = await _listed(harness, "dlq-twice-1", "kela")

    listed = letter.to_json()["record"]["headers"]["ce_id"]
    assert listed == ["dlq-twice-1", dict(sent.headers)["ce_id"].decode()]
    assert "ce_id appears more than once" in letter.reason


async def test_listing_one_organisation_leaves_out_what_others_sent(routed: Routed) -> None:
    harness, _ = routed
    await _rejected(harness, "sote", _not_json("from-sote"))
    await _rejected(harness, "kela", _not_json("from-kela"))

    letters = await read_dead_letters(
        harness.connection, harness.registry, DeadLetterFilter(harness.org("kela").id)
    )

    assert "from-kela" in [letter.event_id for letter in letters]
    assert {letter.organisation for letter in letters} == {harness.org("kela").id}


async def test_a_period_lists_only_what_was_rejected_within_it(routed: Routed) -> None:
    harness, _ = routed
    kela = harness.org("kela").id
    letter = await _rejected(harness, "kela", _not_json("in-period"))
    assert letter.rejected_at is not None
    at = letter.rejected_at

    async def listed(since: datetime | None, until: datetime | None) -> list[DeadLetter]:
        wanted = DeadLetterFilter(organisation=kela, since=since, until=until)
        return await read_dead_letters(harness.connection, harness.registry, wanted)

    assert letter in await listed(at, None)
    assert letter not in await listed(None, at)
    assert letter not in await listed(at + timedelta(microseconds=1), None)
    assert letter in await listed(at - timedelta(minutes=1), at + timedelta(microseconds=1))


async def test_a_message_the_router_did_not_write_is_listed_without_failing(
    routed: Routed,
) -> None:
    harness, _ = routed
    key = await _written_by_hand(harness, b"\xff\xfe not text", [("ce_id", None)])

    letters = await read_dead_letters(harness.connection, harness.registry)

    [foreign] = [letter for letter in letters if letter.record.key == key]
    assert foreign.reason == "no reason given: the router did not write this message"
    assert (foreign.rejected_at, foreign.organisation, foreign.source_topic) == (None, None, None)
    assert foreign.to_json()["record"]["value"] == "\ufffd\ufffd not text"
    assert foreign.to_json()["record"]["headers"] == {"ce_id": ""}
    # Of unknown time, it is listed after every message whose time is known.
    known = [letter.rejected_at is not None for letter in letters]
    assert known == sorted(known, reverse=True)


async def test_a_rejection_time_without_an_offset_is_taken_as_utc(routed: Routed) -> None:
    harness, _ = routed
    key = await _written_by_hand(
        harness, b"{}", [("saattaja_dlq_rejected_at", b"2026-01-01T09:00:00")]
    )
    january = DeadLetterFilter(since=datetime(2026, 1, 1, 8, 59, tzinfo=UTC))

    letters = await read_dead_letters(harness.connection, harness.registry, january)

    [naive] = [letter for letter in letters if letter.record.key == key]
    assert naive.rejected_at == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


async def test_an_organisation_the_registry_does_not_list_is_refused_naming_the_known_ones(
    routed: Routed,
) -> None:
    harness, _ = routed
    with pytest.raises(UnknownOrganisationError, match="known: sote-"):
        await read_dead_letters(harness.connection, harness.registry, DeadLetterFilter("nobody"))


async def test_a_cluster_without_the_dead_letter_topic_is_told_to_create_the_topics(
    registry: OrganisationRegistry,
) -> None:
    async with EmbeddedBroker("127.0.0.1", 0) as bare:
        with pytest.raises(ConfigurationError, match="saattaja topics create"):
            await read_dead_letters(KafkaConnection(bare.bootstrap), registry)


@pytest.fixture
def registry_environment(
    routed: Routed, clean_environment: pytest.MonkeyPatch, tmp_path: Path
) -> pytest.MonkeyPatch:
    """Settings for main() that name the routed harness's broker and registry."""
    harness, _ = routed
    registry_file = write_registry_file(harness.registry, tmp_path / "organisations.yaml")
    clean_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    clean_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", harness.settings.kafka_bootstrap)
    return clean_environment


async def test_the_command_prints_a_table_of_the_organisations_rejected_records(
    routed: Routed, registry_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    harness, _ = routed
    event_id = str(uuid.uuid4())
    await _rejected(harness, "sote", _not_json(event_id))

    assert await _main_in_thread(["topics", "dlq", "--organisation", harness.org("sote").id]) == 0

    header, *rows, summary = _printed(capsys)
    assert header.split() == ["REJECTED", "(UTC)", "FROM", "EVENT", "ID", "TYPE", "WHERE", "REASON"]
    [row] = [row for row in rows if row.split()[2] == event_id]
    assert row.split()[1] == harness.org("sote").id
    assert "missing header" in row
    assert summary == f"{len(rows)} rejected record(s) of those asked for."


async def test_the_table_shows_no_event_id_or_type_a_record_filled_with_personal_data(
    routed: Routed, registry_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A rejected record's headers may hold anything; the table is for a person's screen.
    harness, _ = routed
    marker = str(uuid.uuid4())
    record = KafkaRecord(
        key=b"k",
        headers=(
            ("ce_id", b"150388-9127"),
            ("ce_type", b"Matti Meikalainen"),
            ("mark", marker.encode()),
        ),
        value=b"{not json",
    )
    await harness.publish_raw(harness.org("tyollisyys").id, record)

    async def listed() -> bool:
        letters = await read_dead_letters(harness.connection, harness.registry, DeadLetterFilter())
        return any(letter.record.header("mark") == marker for letter in letters)

    await eventually(listed, within=30, what=f"the record marked {marker} in {DLQ_TOPIC}")
    organisation = harness.org("tyollisyys").id
    assert await _main_in_thread(["topics", "dlq", "--organisation", organisation]) == 0

    printed = "\n".join(_printed(capsys))
    assert "a value of 11 characters (not shown" in printed
    assert ("150388" in printed, "Meikalainen" in printed) == (False, False)


async def test_the_command_writes_json_lines_whose_record_schemas_validate_reads(
    routed: Routed, registry_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    harness, _ = routed
    spoofed = CODEC.encode(acceptance("R-DLQ-2", by=KELA))
    await _rejected(harness, "sote", spoofed)
    sote = harness.org("sote").id

    assert (
        await _main_in_thread(["topics", "dlq", "--organisation", sote, "--format", "jsonl"]) == 0
    )

    [listed] = [
        json.loads(line)
        for line in _printed(capsys)
        if json.loads(line)["event_id"] == dict(spoofed.headers)["ce_id"].decode()
    ]
    assert listed["organisation"] == sote
    assert "publishes only as itself" in listed["reason"]
    assert KafkaRecord.from_json(listed["record"]) == spoofed


async def test_the_command_lists_only_the_event_ids_asked_for(
    routed: Routed, registry_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    harness, _ = routed
    asked, other = str(uuid.uuid4()), str(uuid.uuid4())
    await _rejected(harness, "typ", _not_json(asked))
    await _rejected(harness, "typ", _not_json(other))

    assert await _main_in_thread(["topics", "dlq", "--event-id", asked, "--format", "jsonl"]) == 0

    assert [json.loads(line)["event_id"] for line in _printed(capsys)] == [asked]


async def test_the_command_says_when_nothing_was_rejected(
    routed: Routed, registry_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    harness, _ = routed
    assert (
        await _main_in_thread(["topics", "dlq", "--organisation", harness.org("jarjesto").id]) == 0
    )
    assert _printed(capsys) == [f"No record of those asked for is in {DLQ_TOPIC}."]


def test_a_time_that_is_not_iso_8601_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["topics", "dlq", "--since", "yesterday"])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja topics dlq" in error
    assert "'yesterday' is not an ISO 8601 date or time" in error


def test_a_time_utc_cannot_express_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["topics", "dlq", "--since", "0001-01-01T00:00+01:00"])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja topics dlq" in error
    assert "argument --since: '0001-01-01T00:00+01:00' has no UTC form" in error


def test_an_empty_period_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["topics", "dlq", "--since", "2026-12-14", "--until", "2026-12-13"])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja topics dlq" in error
    assert "--since 2026-12-14T00:00:00+00:00 is not before --until" in error


_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")


def _printed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """What the command printed; the running router logs to the same stdout meanwhile."""
    return [line for line in capsys.readouterr().out.splitlines() if not _LOG_LINE.match(line)]


async def _main_in_thread(argv: list[str]) -> int:
    # main() runs its own event loop, which cannot start inside the test's.
    return await asyncio.to_thread(main, argv)


def test_an_empty_period_is_refused_naming_both_bounds() -> None:
    moment = datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(
        InvalidPeriodError, match=r"--since 2026-01-02T00:00:00\+00:00 is not before"
    ):
        DeadLetterFilter(since=moment, until=moment)
