"""A router under test: its own organisations' topics, database and consumer group.

Each harness suffixes the example organisations' ids, so that tests sharing the session's
broker never read each other's topics.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from broker.kafka import KafkaConnection
from broker.registry import Organisation, OrganisationRegistry
from broker.router import RouterService
from broker.settings import SaattajaSettings
from broker.topics import DLQ_TOPIC, create_topics, inbox_topic, outbox_topic
from consent.audit import AuditLog, AuditRecord
from consent.database import create_database_engine
from schemas import (
    REJECTION_NOTICE_TYPE,
    Event,
    EventCodec,
    KafkaRecord,
    Pseudonymiser,
    RejectionNotice,
)
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic

SECRET: Final = b"router-tests-pseudonym-secret-0123456789"
PSEUDONYMISER: Final = Pseudonymiser(SECRET)
CODEC: Final = EventCodec(PSEUDONYMISER)
_WITHIN: Final = 60.0


class ManualClock:
    """The router's clock in a test: it stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def as_record(consumed: Any) -> KafkaRecord:
    """A consumed Kafka record as the codec reads it."""
    return KafkaRecord(consumed.key, tuple(consumed.headers), consumed.value)


def ce_type(consumed: Any) -> str:
    """The ce_type header of a consumed record."""
    return str(dict(consumed.headers)["ce_type"].decode())


def suffixed_registry(shipped: OrganisationRegistry) -> OrganisationRegistry:
    """The shipped organisations under ids of their own, for topics no other test uses."""
    return shipped.with_id_suffix(uuid.uuid4().hex[:8])


def router_settings(
    bootstrap: str, database_url: str, *, legal_bases_file: Path | None = None, **extra: Any
) -> SaattajaSettings:
    """Settings of a router under test."""
    # Tests that want overdue notices ask the service for them with a clock of their own.
    extra.setdefault("overdue_scan_seconds", 86_400)
    # The embedded broker's first join takes about half the session timeout. A test
    # router's batches are small, so its event loop never goes 2 s without a heartbeat;
    # a test routing large batches without decoding workers asks for more.
    extra.setdefault("router_session_timeout_ms", 2_000)
    extra.setdefault("topic_partitions", 2)
    return SaattajaSettings(
        kafka_bootstrap=bootstrap,
        database_url=database_url,
        pseudonym_secret=SecretStr(SECRET.decode()),
        legal_bases_file=legal_bases_file,
        router_group_id=f"router-test-{uuid.uuid4().hex[:8]}",
        store_retry_max_seconds=0.5,
        **extra,
    )


class Harness:
    """Publishes to outboxes and reads inboxes, the dead-letter topic and the audit log."""

    def __init__(
        self, settings: SaattajaSettings, registry: OrganisationRegistry, producer: AIOKafkaProducer
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.connection = KafkaConnection(settings.kafka_bootstrap)
        self._producer = producer

    def org(self, kind_or_id: str) -> Organisation:
        """The organisation of this id, or whose id starts with ``kind_or_id`` (sote, kela...)."""
        if kind_or_id in self.registry:
            return self.registry.get(kind_or_id)
        return next(org for org in self.registry if org.id.startswith(f"{kind_or_id}-"))

    async def publish(self, event: Event) -> KafkaRecord:
        """Publish an event to its sender's outbox, as that sender's adapter would."""
        record = CODEC.encode(event)
        await self.publish_raw(self.registry.by_oid(event.sender).id, record)
        return record

    async def read_metadata_again(self) -> None:
        """Read the cluster's topics and partitions again, as after Kafka came back empty.

        The embedded broker creates a topic a client asks about, with four partitions: the
        router's consumer may ask before the test creates the topics again, and a producer
        still keying by the partitions it knew would publish where the router refuses.
        """
        await self._producer.client.force_metadata_update()

    async def publish_raw(
        self, organisation_id: str, record: KafkaRecord, *, partition: int | None = None
    ) -> int:
        """Publish any bytes to an organisation's outbox; the partition they went to.

        Without ``partition``, the keyed partitioner picks it, as an adapter's does.
        """
        sent = await self._producer.send_and_wait(
            outbox_topic(organisation_id),
            record.value,
            key=record.key or None,
            headers=list(record.headers),
            partition=partition,
        )
        return int(sent.partition)

    async def read(self, topic: str) -> list[Any]:
        """Every record now in a topic, from the start, without joining a group."""
        return await read_topic(self.connection, topic)

    async def inbox(self, kind_or_id: str) -> list[Any]:
        """Records in an organisation's inbox."""
        return await self.read(inbox_topic(self.org(kind_or_id).id))

    async def inbox_event_ids(self, kind_or_id: str) -> list[str]:
        """ce_id of each record in an organisation's inbox, in order."""
        return [dict(r.headers)["ce_id"].decode() for r in await self.inbox(kind_or_id)]

    async def inbox_of(self, kind_or_id: str, client: str) -> list[Any]:
        """Records in an organisation's inbox about one client (keyed by its pseudonym)."""
        key = PSEUDONYMISER.pseudonym(client).encode()
        return [record for record in await self.inbox(kind_or_id) if record.key == key]

    async def events_of(self, kind_or_id: str, client: str) -> list[Event]:
        """The events about one client in an organisation's inbox, decoded, in order.

        Rejection notices are not events about a client; ``notices_of`` reads them.
        """
        return [
            CODEC.decode(as_record(record))
            for record in await self.inbox_of(kind_or_id, client)
            if ce_type(record) != REJECTION_NOTICE_TYPE
        ]

    async def notices_of(self, kind_or_id: str, client: str) -> list[RejectionNotice]:
        """The rejection notices about one client's events in an organisation's inbox."""
        return [
            RejectionNotice.decode(as_record(record))
            for record in await self.inbox_of(kind_or_id, client)
            if ce_type(record) == REJECTION_NOTICE_TYPE
        ]

    async def dead_letters(self) -> list[Any]:
        """Records of the dead-letter topic that came from this harness's outboxes."""
        ours = {outbox_topic(org.id).encode() for org in self.registry}
        return [
            r
            for r in await self.read(DLQ_TOPIC)
            if dict(r.headers).get("saattaja_dlq_topic") in ours
        ]

    async def wait_for_dead_letters(self, count: int) -> list[Any]:
        """Wait until this harness's outboxes have ``count`` records in the dead-letter topic."""
        holder: list[Any] = []

        async def enough() -> bool:
            holder[:] = await self.dead_letters()
            return len(holder) >= count

        await eventually(enough, within=_WITHIN, what=f"{count} dead letters")
        return holder

    async def wait_for_inbox(self, kind_or_id: str, count: int) -> list[Any]:
        """Wait until an inbox holds at least ``count`` records; return them."""
        holder: list[Any] = []

        async def enough() -> bool:
            holder[:] = await self.inbox(kind_or_id)
            return len(holder) >= count

        await eventually(enough, within=_WITHIN, what=f"{count} records in {kind_or_id}'s inbox")
        return holder

    async def audit_records(self) -> list[AuditRecord]:
        """The whole audit log, in order."""
        engine = create_database_engine(self.settings.database_url)
        try:
            log = AuditLog(engine)
            return [record async for record in log.query()]
        finally:
            await engine.dispose()

    async def audit_records_of(self, client: str) -> list[AuditRecord]:
        """The audit records about one client, in order."""
        pseudonym = PSEUDONYMISER.pseudonym(client)
        return [record for record in await self.audit_records() if record.client == pseudonym]

    async def rows(self, table: sa.Table, client: str | None = None) -> list[dict[str, Any]]:
        """Every row of a table of the router's database; with ``client``, that client's only."""
        query = sa.select(table)
        if client is not None:
            query = query.where(table.c.client == PSEUDONYMISER.pseudonym(client))
        engine = create_database_engine(self.settings.database_url)
        try:
            async with engine.connect() as connection:
                return [dict(row) for row in (await connection.execute(query)).mappings()]
        finally:
            await engine.dispose()


@asynccontextmanager
async def running_router(
    bootstrap: str,
    database_url: str,
    shipped: OrganisationRegistry,
    *,
    legal_bases_file: Path | None = None,
    start_router: bool = True,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    **settings_extra: Any,
) -> AsyncIterator[tuple[Harness, RouterService]]:
    """A harness and a started router over fresh topics; ``clock`` is the router's clock."""
    registry = suffixed_registry(shipped)
    settings = router_settings(
        bootstrap, database_url, legal_bases_file=legal_bases_file, **settings_extra
    )
    connection = KafkaConnection(bootstrap)
    await create_topics(connection, registry, settings.topic_partitions)
    producer = AIOKafkaProducer(**connection.client_kwargs(), enable_idempotence=False)
    await producer.start()
    service = RouterService(settings, registry, connection, clock=clock)
    try:
        if start_router:
            await service.start()
        yield Harness(settings, registry, producer), service
    finally:
        await service.stop()  # also a router the test started itself; a no-op otherwise
        await producer.stop()


async def wait_until_handled(service: RouterService, count: int) -> None:
    """Wait until the router has handled ``count`` records since it started."""
    await eventually(
        lambda: sum(service.status.outcomes.values()) >= count,
        within=_WITHIN,
        what=f"router handled {count} records",
    )


async def route(harness: Harness, service: RouterService, *events: Event) -> None:
    """Publish the events and wait until the router has handled every one of them.

    Events from different outboxes have no order between them: a test that needs one
    routed before another routes them in separate calls.
    """
    before = sum(service.status.outcomes.values())
    for event in events:
        await harness.publish(event)
    await wait_until_handled(service, before + len(events))


@dataclass(frozen=True)
class RouterUnderTest:
    """A started router, the harness that drives it, and the clock it reads."""

    harness: Harness
    service: RouterService
    clock: ManualClock

    async def route(self, *events: Event) -> None:
        """Publish the events and wait until the router has handled every one of them."""
        await route(self.harness, self.service, *events)


def ids(events: Sequence[Event]) -> list[str]:
    """The event ids as they appear in ce_id."""
    return [str(event.event_id) for event in events]


Routed = tuple[Harness, RouterService]
"""What the ``routed`` fixture gives: a harness and the router it drives."""
