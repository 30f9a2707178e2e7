"""AcknowledgedSender: records reach the partitions Kafka's keyed partitioner picks, in order."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import NewTopic

from broker.kafka import AcknowledgedSender, KafkaConnection, open_admin, start_producer
from broker.kafka.sending import MAX_BATCH_BYTES
from schemas import KafkaRecord
from tests.broker.reading import read_topic

pytestmark = pytest.mark.kafka

_PARTITIONS = 3


@pytest.fixture
def connection(kafka_bootstrap: str) -> KafkaConnection:
    return KafkaConnection(kafka_bootstrap)


@pytest.fixture
async def topic(connection: KafkaConnection) -> str:
    name = f"test-sending-{uuid.uuid4().hex[:8]}"
    async with open_admin(connection) as admin:
        await admin.create_topics([NewTopic(name, _PARTITIONS, 1)])
    return name


@pytest.fixture
async def producer(connection: KafkaConnection) -> AsyncIterator[AIOKafkaProducer]:
    started = await start_producer(connection)
    try:
        yield started
    finally:
        await started.stop()


def _record(key: bytes, number: int, size: int = 100) -> KafkaRecord:
    headers = (("ce_id", str(number).encode()), ("ce_type", b"fi.saattaja.test.v1"))
    return KafkaRecord(key=key, headers=headers, value=str(number).encode().ljust(size, b"."))


async def test_every_record_is_in_the_topic_when_send_all_returns(
    producer: AIOKafkaProducer, connection: KafkaConnection, topic: str
) -> None:
    records = [_record(f"client-{n % 7}".encode(), n) for n in range(50)]

    await AcknowledgedSender(producer).send_all([(topic, record) for record in records])

    found = await read_topic(connection, topic)
    assert sorted(int(dict(m.headers)["ce_id"]) for m in found) == list(range(50))


async def test_keys_land_on_the_partitions_aiokafka_send_picks(
    producer: AIOKafkaProducer, connection: KafkaConnection, topic: str
) -> None:
    keys = [f"client-{n}".encode() for n in range(30)]
    sent = [(topic, _record(key, n)) for n, key in enumerate(keys)]
    await AcknowledgedSender(producer).send_all(sent)
    plain = f"{topic}-plain"
    async with open_admin(connection) as admin:
        await admin.create_topics([NewTopic(plain, _PARTITIONS, 1)])
    for n, key in enumerate(keys):
        await producer.send_and_wait(plain, _record(key, n).value, key=key)

    def partitions(messages: list[object]) -> dict[bytes, int]:
        return {m.key: m.partition for m in messages}  # type: ignore[attr-defined]

    batched = partitions(await read_topic(connection, topic))
    assert batched == partitions(await read_topic(connection, plain))
    assert len(set(batched.values())) > 1  # the keys were spread, not all on one partition


async def test_records_of_one_key_keep_their_order_across_full_batches(
    producer: AIOKafkaProducer, connection: KafkaConnection, topic: str
) -> None:
    # Records of a quarter of a batch each: several batches per partition, sent in turn.
    size = MAX_BATCH_BYTES // 4
    records = [_record(f"client-{n % 2}".encode(), n, size) for n in range(24)]

    await AcknowledgedSender(producer).send_all([(topic, record) for record in records])

    found = await read_topic(connection, topic)
    for key in (b"client-0", b"client-1"):
        in_topic = [int(dict(m.headers)["ce_id"]) for m in found if m.key == key]
        sent = [int(dict(r.headers)["ce_id"]) for r in records if r.key == key]
        assert in_topic == sent


async def test_headers_and_value_arrive_exactly_as_given(
    producer: AIOKafkaProducer, connection: KafkaConnection, topic: str
) -> None:
    record = KafkaRecord(
        key=b"client", headers=(("ce_id", b"1"), ("empty", b""), ("ce_id", b"2")), value=b"{}"
    )

    await AcknowledgedSender(producer).send_all([(topic, record)])

    (found,) = await read_topic(connection, topic)
    assert (found.key, tuple(found.headers), found.value) == (
        record.key,
        record.headers,
        record.value,
    )


async def test_records_carry_the_time_they_were_sent(
    producer: AIOKafkaProducer, connection: KafkaConnection, topic: str
) -> None:
    # The latency benchmark reads it as the moment the router handed the delivery over.
    before = time.time()
    await AcknowledgedSender(producer).send_all([(topic, _record(b"client", 1))])
    after = time.time()

    (found,) = await read_topic(connection, topic)
    assert before - 1 <= found.timestamp / 1000 <= after + 1


async def test_a_record_without_a_key_is_sent_too(
    producer: AIOKafkaProducer, connection: KafkaConnection, topic: str
) -> None:
    await AcknowledgedSender(producer).send_all([(topic, _record(b"", 1))])

    (found,) = await read_topic(connection, topic)
    assert found.key is None
    assert dict(found.headers)["ce_id"] == b"1"


async def test_a_record_larger_than_a_batch_goes_alone(
    producer: AIOKafkaProducer, connection: KafkaConnection, topic: str
) -> None:
    big = _record(b"client", 1, MAX_BATCH_BYTES + 1_000)
    small = _record(b"client", 2)

    await AcknowledgedSender(producer).send_all([(topic, small), (topic, big), (topic, small)])

    found = await read_topic(connection, topic)
    assert [len(m.value) for m in found] == [len(small.value), len(big.value), len(small.value)]
