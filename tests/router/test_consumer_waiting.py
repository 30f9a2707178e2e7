"""The outbox consumer says when it waits for records with no batch in hand."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from broker.registry import OrganisationRegistry
from broker.router.consumer import OutboxConsumer
from broker.router.incoming import IncomingRecord
from broker.topics import outbox_topic
from schemas import KafkaRecord
from tests.broker.conditions import eventually
from tests.router.harness import running_router

_RECORD = KafkaRecord(key=b"client", headers=(), value=b"{}")


async def test_the_consumer_says_it_waits_once_the_batch_in_hand_is_committed(
    kafka_bootstrap: str, tmp_path: Path, registry: OrganisationRegistry
) -> None:
    # The router itself is not started: only its topics and a producer are used.
    unused_database = f"sqlite+aiosqlite:///{tmp_path / 'saattaja.db'}"
    async with running_router(kafka_bootstrap, unused_database, registry, start_router=False) as (
        harness,
        _service,
    ):
        sote = harness.org("sote").id
        kafka = AIOKafkaConsumer(
            **harness.connection.client_kwargs(),
            group_id=f"waiting-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            session_timeout_ms=2_000,
            heartbeat_interval_ms=500,
        )
        happened: list[str] = []

        async def route(batch: list[IncomingRecord]) -> None:
            happened.append(f"routed {len(batch)}")

        outboxes = OutboxConsumer(
            kafka,
            batch_size=10,
            read_ahead=lambda _records: None,
            on_committed=lambda _left: happened.append("committed"),
            on_waiting=lambda: happened.append("waiting"),
        )
        outboxes.subscribe([outbox_topic(sote)])
        await kafka.start()
        consuming = asyncio.create_task(outboxes.run(route))
        try:
            await harness.publish_raw(sote, _RECORD)
            await eventually(
                lambda: "committed" in happened and happened[-1] == "waiting",
                within=30,
                what="the consumer waiting after the batch",
            )
        finally:
            await outboxes.stop(consuming, grace=5)
            await kafka.stop()

    routed_at = happened.index("routed 1")
    assert happened[routed_at : routed_at + 3] == ["routed 1", "committed", "waiting"]
