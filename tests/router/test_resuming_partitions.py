"""The outbox consumer resumes an assigned partition where the database's routing ends.

Kafka's side stands in for a cluster here: the embedded broker cannot delete records
(DeleteRecords closes the connection) nor ages them out, so a partition whose oldest
records retention removed cannot be made there.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence, Set
from pathlib import Path
from typing import Final, cast

import pytest
import structlog.testing
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import SecretStr

from broker.kafka import KafkaConnection
from broker.registry import OrganisationRegistry
from broker.router import RouterService
from broker.router.consumer import OutboxConsumer
from broker.router.incoming import IncomingRecord
from broker.router.resumption import Resumption
from broker.settings import SaattajaSettings
from broker.topics import outbox_topic
from schemas import KafkaRecord
from tests.broker.conditions import eventually
from tests.router.harness import running_router

_OUTBOX: Final = TopicPartition("saattaja.sote.outbox", 1)
_RECORD: Final = KafkaRecord(key=b"client", headers=(), value=b"{}")


class _Kafka:
    """What the consumer asks Kafka of an assigned partition, answered from a table."""

    def __init__(self, *, committed: int | None, beginning: int) -> None:
        self._committed = committed
        self._beginning = beginning
        self.sought: dict[TopicPartition, int] = {}
        self.paused: set[TopicPartition] = set()

    async def committed(self, _partition: TopicPartition) -> int | None:
        return self._committed

    async def beginning_offsets(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        return dict.fromkeys(partitions, self._beginning)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.sought[partition] = offset

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused.difference_update(partitions)

    def assignment(self) -> set[TopicPartition]:
        return {_OUTBOX}


async def _assign(kafka: _Kafka, recorded: Mapping[tuple[str, int], int]) -> list[Resumption]:
    resumed: list[Resumption] = []

    async def recorded_offsets(_partitions: Set[tuple[str, int]]) -> Mapping[tuple[str, int], int]:
        return recorded

    outboxes = OutboxConsumer(
        cast(AIOKafkaConsumer, kafka),
        batch_size=10,
        read_ahead=lambda _records: None,
        recorded_offsets=recorded_offsets,
        on_resumed=resumed.extend,
    )
    await outboxes.on_partitions_assigned({_OUTBOX})
    return resumed


async def test_a_partition_the_database_holds_less_of_resumes_where_its_routing_ends() -> None:
    kafka = _Kafka(committed=40, beginning=0)
    resumed = await _assign(kafka, {("saattaja.sote.outbox", 1): 25})
    assert kafka.sought == {_OUTBOX: 25}
    assert [(r.start, r.routed_again, r.lost) for r in resumed] == [(25, 15, 0)]
    assert kafka.paused == set()


async def test_a_partition_recorded_before_kafka_s_oldest_record_resumes_there_naming_loss() -> (
    None
):
    kafka = _Kafka(committed=40, beginning=12)
    resumed = await _assign(kafka, {("saattaja.sote.outbox", 1): 5})
    assert kafka.sought == {_OUTBOX: 12}
    assert [(r.start, r.routed_again, r.lost) for r in resumed] == [(12, 28, 7)]


async def test_a_partition_the_database_holds_no_offset_of_resumes_from_kafka_s() -> None:
    kafka = _Kafka(committed=40, beginning=0)
    assert await _assign(kafka, {}) == []
    assert kafka.sought == {}


async def test_records_lost_for_good_are_logged_counted_and_shown_in_health(
    registry: OrganisationRegistry,
) -> None:
    settings = SaattajaSettings(pseudonym_secret=SecretStr("x" * 32))
    service = RouterService(settings, registry, KafkaConnection("127.0.0.1:9"))
    lost = Resumption(_OUTBOX.topic, 1, 5, 40, 12, routed_again=28, lost=7)
    with structlog.testing.capture_logs() as logs:
        service.report_resumed([lost])

    [logged] = [log for log in logs if log["event"] == "outbox_records_lost"]
    assert (logged["log_level"], logged["partition"], logged["records"]) == (
        "error",
        "saattaja.sote.outbox-1",
        7,
    )
    labels = {"topic": _OUTBOX.topic, "partition": "1"}
    assert (
        service.metrics.registry.get_sample_value("saattaja_router_records_lost_total", labels) == 7
    )
    assert (await service.health()).detail["records_lost"] == {"saattaja.sote.outbox-1": 7}


@pytest.mark.kafka
async def test_a_record_that_arrives_while_the_offsets_are_read_is_routed(
    kafka_bootstrap: str, tmp_path: Path, registry: OrganisationRegistry
) -> None:
    # The router itself is not started: only its topics and a producer are used.
    unused_database = f"sqlite+aiosqlite:///{tmp_path / 'saattaja.db'}"
    async with running_router(kafka_bootstrap, unused_database, registry, start_router=False) as (
        harness,
        _service,
    ):
        sote = harness.org("sote").id
        await harness.publish_raw(sote, _RECORD)
        kafka = AIOKafkaConsumer(
            **harness.connection.client_kwargs(),
            group_id=f"resuming-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            session_timeout_ms=2_000,
            heartbeat_interval_ms=500,
        )
        waits = 0
        routed: list[IncomingRecord] = []

        def waiting() -> None:
            nonlocal waits
            waits += 1

        async def recorded_offsets(
            _partitions: Set[tuple[str, int]],
        ) -> Mapping[tuple[str, int], int]:
            # A slow database: the consumer fetches on meanwhile.
            seen = waits
            await eventually(lambda: waits >= seen + 2, within=30, what="two fetches")
            return {}

        async def route(batch: list[IncomingRecord]) -> None:
            routed.extend(batch)

        outboxes = OutboxConsumer(
            kafka,
            batch_size=10,
            read_ahead=lambda _records: None,
            on_waiting=waiting,
            recorded_offsets=recorded_offsets,
        )
        outboxes.subscribe([outbox_topic(sote)])
        await kafka.start()
        consuming = asyncio.create_task(outboxes.run(route))
        try:
            await eventually(lambda: len(routed) == 1, within=30, what="the record routed")
        finally:
            await outboxes.stop(consuming, grace=5)
            await kafka.stop()
