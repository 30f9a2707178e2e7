"""An event published to an outbox travels unchanged through a real Kafka-protocol broker.

A second consumer group reads it back, and so does the official CloudEvents SDK's Kafka
binding: a reader we did not write must understand our headers.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Final

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from broker.kafka import KafkaConnection
from broker.registry import OrganisationRegistry
from broker.topics import create_topics, outbox_topic
from schemas import CONTENT_TYPE, KafkaRecord, ReferralRequested, oid_urn
from schemas.examples import example_codec, journey_events

pytestmark = pytest.mark.kafka

_RECEIVE_TIMEOUT_S: Final = 30.0
REFERRAL: Final = next(
    event for _, event in journey_events() if isinstance(event, ReferralRequested)
)


@pytest.fixture(scope="module")
async def published(kafka_bootstrap: str, registry: OrganisationRegistry) -> str:
    """Publish the example referral to the health centre's outbox; return the topic."""
    connection = KafkaConnection(kafka_bootstrap)
    await create_topics(connection, registry, 1)
    topic = outbox_topic(registry.by_oid(REFERRAL.sender).id)
    record = example_codec().encode(REFERRAL)
    producer = AIOKafkaProducer(**connection.client_kwargs())
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, record.value, key=record.key, headers=list(record.headers)
        )
    finally:
        await producer.stop()
    return topic


async def _read_one(bootstrap: str, topic: str, group: str) -> Any:
    consumer = AIOKafkaConsumer(
        topic,
        **KafkaConnection(bootstrap).client_kwargs(),
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        return await asyncio.wait_for(consumer.getone(), _RECEIVE_TIMEOUT_S)
    finally:
        await consumer.stop()


async def test_another_consumer_group_reads_back_the_same_event(
    kafka_bootstrap: str, published: str
) -> None:
    message = await _read_one(kafka_bootstrap, published, f"reader-{uuid.uuid4()}")
    record = KafkaRecord(key=message.key, headers=tuple(message.headers), value=message.value)

    assert example_codec().decode(record) == REFERRAL


async def test_two_consumer_groups_each_receive_the_event(
    kafka_bootstrap: str, published: str
) -> None:
    first, second = await asyncio.gather(
        _read_one(kafka_bootstrap, published, f"reader-{uuid.uuid4()}"),
        _read_one(kafka_bootstrap, published, f"reader-{uuid.uuid4()}"),
    )

    assert first.value == second.value
    assert dict(first.headers)["ce_id"] == str(REFERRAL.event_id).encode()


async def test_cloudevents_sdk_reads_our_kafka_headers(
    kafka_bootstrap: str, published: str
) -> None:
    message = await _read_one(kafka_bootstrap, published, f"cloudevents-{uuid.uuid4()}")

    event = from_binary(
        KafkaMessage(headers=dict(message.headers), key=message.key, value=message.value),
        JSONFormat(),
    )

    pseudonym = example_codec().pseudonymiser.pseudonym(REFERRAL.client)
    assert event.get_specversion() == "1.0"
    assert event.get_id() == str(REFERRAL.event_id)
    assert event.get_source() == oid_urn(REFERRAL.sender)
    assert event.get_type() == "fi.saattaja.referral.requested.v1"
    assert event.get_subject() == pseudonym
    assert event.get_time() == REFERRAL.occurred_at
    assert event.get_datacontenttype() == CONTENT_TYPE
    assert event.get_extension("partitionkey") == pseudonym
    data = event.get_data()
    assert isinstance(data, dict)
    assert data["resourceType"] == "Bundle"
    assert data["entry"][0]["resource"]["resourceType"] == "MessageHeader"
