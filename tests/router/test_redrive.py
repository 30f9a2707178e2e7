"""`saattaja topics redrive`: a record rejected for the operators' mistake, once it is fixed,
is sent back to its outbox and routed as if it had just arrived, once."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from broker.cli import main
from broker.dead_letters import DeadLetterFilter, read_dead_letters
from broker.kafka import KafkaConnection
from broker.registry import Organisation, OrganisationRegistry
from broker.router import RouterService
from broker.topics import create_topics
from schemas import DataCategory, Event
from tests.broker.conditions import eventually
from tests.conftest import write_registry_file
from tests.router.events import KELA, KELA_KIND, consent, new_client, referral
from tests.router.harness import Harness, router_settings, suffixed_registry, wait_until_handled

pytestmark = pytest.mark.kafka

_WRONG_OID = "1.2.246.10.99999999.10.0"


def _with_wrong_oid(registry: OrganisationRegistry, organisation_id: str) -> OrganisationRegistry:
    """The registry as it was written with a typo in one organisation's OID."""
    return OrganisationRegistry(
        org.model_copy(update={"oid": _WRONG_OID}) if org.id == organisation_id else org
        for org in registry
    )


@dataclass
class Region:
    """Topics and a database; a router runs on the registry of the moment, as operators have it."""

    harness: Harness
    connection: KafkaConnection

    @asynccontextmanager
    async def routing(self, registry: OrganisationRegistry) -> AsyncIterator[RouterService]:
        """A router on ``registry``; stopped when the block ends."""
        service = RouterService(self.harness.settings, registry, self.connection)
        await service.start()
        try:
            yield service
        finally:
            await service.stop()


@pytest.fixture
async def region(
    kafka_bootstrap: str,
    sqlite_database_url: str,
    registry: OrganisationRegistry,
    clean_environment: pytest.MonkeyPatch,
    tmp_path: Path,
) -> AsyncIterator[Region]:
    corrected = suffixed_registry(registry)
    settings = router_settings(kafka_bootstrap, sqlite_database_url)
    connection = KafkaConnection(kafka_bootstrap)
    await create_topics(connection, corrected, settings.topic_partitions)
    registry_file = write_registry_file(corrected, tmp_path / "organisations.yaml")
    clean_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    clean_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", kafka_bootstrap)
    producer = AIOKafkaProducer(**connection.client_kwargs(), enable_idempotence=False)
    await producer.start()
    try:
        yield Region(Harness(settings, corrected, producer), connection)
    finally:
        await producer.stop()


async def _rejected_while_the_registry_was_wrong(region: Region, *events: Event) -> Organisation:
    """Publish events from the health centre while the registry has its OID wrong."""
    harness = region.harness
    sote = harness.org("sote")
    async with region.routing(_with_wrong_oid(harness.registry, sote.id)) as service:
        for event in events:
            await harness.publish(event)
        await wait_until_handled(service, len(events))
    wanted = DeadLetterFilter(organisation=sote.id)
    letters = await read_dead_letters(harness.connection, harness.registry, wanted)
    assert len(letters) == len(events)
    assert all("publishes only as itself" in letter.reason for letter in letters)
    return sote


async def _redrive(*arguments: str) -> int:
    # main() runs its own event loop, which cannot start inside the test's.
    return await asyncio.to_thread(main, ["topics", "redrive", *arguments])


async def test_a_record_rejected_for_a_registry_mistake_is_routed_once_sent_back_after_the_fix(
    region: Region,
) -> None:
    harness = region.harness
    client = new_client()
    granted = consent("C-RD1", (KELA_KIND,), (DataCategory.REFERRAL,), client=client)
    requested = referral("R-RD1", client=client)
    sote = await _rejected_while_the_registry_was_wrong(region, granted, requested)

    async with region.routing(harness.registry) as service:
        assert await _redrive("--organisation", sote.id, "--yes") == 0
        await wait_until_handled(service, 2)

        [delivered] = await harness.events_of("kela", client)
        assert delivered.event_id == requested.event_id
        audited = [r for r in await harness.audit_records() if r.event_id == requested.event_id]
        assert [(r.recipient, r.decision) for r in audited] == [(KELA, "permit")]


async def test_sending_the_same_dead_letters_back_again_delivers_nothing_more(
    region: Region,
) -> None:
    harness = region.harness
    client = new_client()
    granted = consent("C-RD2", (KELA_KIND,), (DataCategory.REFERRAL,), client=client)
    requested = referral("R-RD2", client=client)
    sote = await _rejected_while_the_registry_was_wrong(region, granted, requested)

    async with region.routing(harness.registry) as service:
        assert await _redrive("--organisation", sote.id, "--yes") == 0
        await wait_until_handled(service, 2)
        assert await _redrive("--organisation", sote.id, "--yes") == 0
        await wait_until_handled(service, 4)

        assert service.status.outcomes.get("rejected", 0) == 0
        assert [e.event_id for e in await harness.events_of("kela", client)] == [requested.event_id]
        audited = [r for r in await harness.audit_records() if r.event_id == requested.event_id]
        assert len(audited) == 1


async def test_a_dead_letter_whose_id_the_sender_has_used_since_is_refused_again(
    region: Region, capsys: pytest.CaptureFixture[str]
) -> None:
    # The sender sent the event again, another under the same id, before the fix: the
    # one routed stands, and the old record is rejected again, then no longer sent back.
    harness = region.harness
    client = new_client()
    granted = consent("C-RD3", (KELA_KIND,), (DataCategory.REFERRAL,), client=client)
    old = referral("R-RD3", client=client)
    sote = await _rejected_while_the_registry_was_wrong(region, old)
    resent = referral("R-RD3-fixed", client=client).model_copy(update={"event_id": old.event_id})

    async with region.routing(harness.registry) as service:
        await harness.publish(granted)
        await harness.publish(resent)
        await wait_until_handled(service, 2)
        assert await _redrive("--event-id", str(old.event_id), "--yes") == 0
        await wait_until_handled(service, 3)

        async def rejected_again() -> bool:
            wanted = DeadLetterFilter(
                organisation=sote.id, event_ids=frozenset({str(old.event_id)})
            )
            letters = await read_dead_letters(harness.connection, harness.registry, wanted)
            return any("was already used for another event" in d.reason for d in letters)

        await eventually(rejected_again, within=30, what="the old record rejected again")
        assert await harness.events_of("kela", client) == [resent]

        capsys.readouterr()
        assert await _redrive("--event-id", str(old.event_id), "--yes") == 1
        printed = capsys.readouterr().out
        assert "Not sent back, 1 record(s):" in printed
        assert "another event was applied under its event id first" in printed


async def test_without_yes_nothing_is_sent_and_the_records_that_would_be_are_listed(
    region: Region, capsys: pytest.CaptureFixture[str]
) -> None:
    harness = region.harness
    requested = referral("R-RD4", client=new_client())
    sote = await _rejected_while_the_registry_was_wrong(region, requested)

    assert await _redrive("--organisation", sote.id) == 0

    printed = _printed(capsys)
    assert printed[0] == "Would send back 1 record(s) to their outboxes:"
    assert str(requested.event_id) in printed[2]
    assert printed[-1] == "Nothing was sent: run again with --yes to send them."
    outbox = await harness.read(f"saattaja.{sote.id}.outbox")
    assert len(outbox) == 1  # as published, and nothing sent back


async def test_an_event_id_not_in_the_dead_letter_topic_sends_nothing(
    region: Region, capsys: pytest.CaptureFixture[str]
) -> None:
    harness = region.harness
    requested = referral("R-RD5", client=new_client())
    sote = await _rejected_while_the_registry_was_wrong(region, requested)
    mistyped = str(uuid.uuid4())

    code = await _redrive("--event-id", str(requested.event_id), "--event-id", mistyped, "--yes")

    assert code == 1
    assert f"no record of event id {mistyped} is in saattaja.dlq" in capsys.readouterr().err
    assert len(await harness.read(f"saattaja.{sote.id}.outbox")) == 1


_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")


def _printed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """What the command printed; a running router logs to the same stdout meanwhile."""
    return [line for line in capsys.readouterr().out.splitlines() if not _LOG_LINE.match(line)]
