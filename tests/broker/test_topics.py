"""Topic names, idempotent creation and end offsets."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from broker.cli.topics_command import format_creation
from broker.embedded import free_port
from broker.errors import ConfigurationError, KafkaUnavailableError
from broker.kafka import KafkaConnection
from broker.registry import Organisation, OrganisationRegistry
from broker.topics import (
    AUDIT_TOPIC,
    DLQ_TOPIC,
    KEPT_FOR_EVER,
    TopicCreation,
    TopicDescription,
    create_topics,
    describe_topics,
    group_positions,
    inbox_topic,
    outbox_topic,
    topic_configs,
    topic_plan,
)
from schemas import OrganisationKind
from tests.audit_stream.harness import delete_audit_topic
from tests.broker.conditions import eventually


@pytest.fixture
def fresh_registry() -> OrganisationRegistry:
    """Two organisations whose topics no other test has created, on any broker."""
    suffix = uuid.uuid4().hex[:8]
    arc = int(suffix, 16)
    return OrganisationRegistry(
        [
            Organisation(
                id=f"a{suffix}", name="A", oid=f"1.2.246.10.{arc}", kind=OrganisationKind.KELA
            ),
            Organisation(
                id=f"b{suffix}", name="B", oid=f"1.2.246.10.{arc + 1}", kind=OrganisationKind.TYP
            ),
        ],
        source="test",
    )


def test_each_organisation_has_an_outbox_and_an_inbox() -> None:
    assert outbox_topic("kela") == "saattaja.kela.outbox"
    assert inbox_topic("kela") == "saattaja.kela.inbox"
    assert (DLQ_TOPIC, AUDIT_TOPIC) == ("saattaja.dlq", "saattaja.audit")


def test_topic_plan_lists_every_topic_of_the_registry(registry: OrganisationRegistry) -> None:
    plan = topic_plan(registry)
    assert plan[:2] == ("saattaja.sote.outbox", "saattaja.sote.inbox")
    assert plan[-2:] == (DLQ_TOPIC, AUDIT_TOPIC)
    assert len(plan) == len(set(plan)) == 2 * len(registry) + 2


def test_an_id_that_cannot_name_a_topic_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="cannot name a topic"):
        outbox_topic("../kela")


async def test_zero_partitions_is_refused_before_connecting(
    fresh_registry: OrganisationRegistry,
) -> None:
    connection = KafkaConnection(f"127.0.0.1:{free_port('127.0.0.1')}")
    with pytest.raises(ConfigurationError, match="0 partitions"):
        await create_topics(connection, fresh_registry, 0)


async def test_creating_topics_without_a_broker_raises_kafka_unavailable(
    fresh_registry: OrganisationRegistry,
) -> None:
    connection = KafkaConnection(f"127.0.0.1:{free_port('127.0.0.1')}")
    with pytest.raises(KafkaUnavailableError, match="SAATTAJA_KAFKA_BOOTSTRAP"):
        await create_topics(connection, fresh_registry, 1)


@pytest.mark.kafka
async def test_create_makes_outbox_and_inbox_per_organisation_plus_dlq_and_audit(
    kafka_bootstrap: str, fresh_registry: OrganisationRegistry
) -> None:
    connection = KafkaConnection(kafka_bootstrap)
    creation = await create_topics(connection, fresh_registry, 2)
    organisation_topics = topic_plan(fresh_registry)[:-2]
    assert set(organisation_topics) <= set(creation.created)
    # Other tests share the session's broker, so dlq and audit may exist already.
    assert set(creation.created) | set(creation.existing) == set(topic_plan(fresh_registry))
    described = {d.name: d for d in await describe_topics(connection, fresh_registry)}
    assert {described[topic].partitions for topic in organisation_topics} == {2}
    assert described[DLQ_TOPIC].exists
    assert described[AUDIT_TOPIC].exists


@pytest.mark.kafka
async def test_creating_twice_finds_everything_existing_the_second_time(
    kafka_bootstrap: str, fresh_registry: OrganisationRegistry
) -> None:
    connection = KafkaConnection(kafka_bootstrap)
    first = await create_topics(connection, fresh_registry, 1)
    second = await create_topics(connection, fresh_registry, 1)
    assert second.created == ()
    assert second.existing == topic_plan(fresh_registry)
    assert set(first.created) | set(first.existing) == set(second.existing)


@pytest.mark.kafka
async def test_planned_topics_not_yet_created_are_described_as_missing(
    kafka_bootstrap: str, fresh_registry: OrganisationRegistry
) -> None:
    described = await describe_topics(KafkaConnection(kafka_bootstrap), fresh_registry)
    outbox = next(d for d in described if d.name == outbox_topic(fresh_registry.ids[0]))
    assert outbox == TopicDescription(name=outbox.name, end_offsets=(), exists=False)


@pytest.mark.kafka
async def test_end_offsets_grow_after_producing(
    kafka_bootstrap: str, fresh_registry: OrganisationRegistry
) -> None:
    connection = KafkaConnection(kafka_bootstrap)
    await create_topics(connection, fresh_registry, 3)
    topic = outbox_topic(fresh_registry.ids[0])

    async def outbox() -> TopicDescription:
        return next(d for d in await describe_topics(connection, fresh_registry) if d.name == topic)

    assert (await outbox()).end_offsets == (0, 0, 0)
    producer = AIOKafkaProducer(**connection.client_kwargs())
    await producer.start()
    try:
        for _ in range(2):
            await producer.send_and_wait(topic, b"event", key=b"client", partition=1)
    finally:
        await producer.stop()

    async def two_records_on_partition_1() -> bool:
        return (await outbox()).end_offsets == (0, 2, 0)

    await eventually(two_records_on_partition_1, within=10, what="end offsets did not grow")
    assert (await outbox()).total == 2


@pytest.mark.kafka
async def test_saattaja_topics_the_registry_no_longer_lists_are_described_too(
    kafka_bootstrap: str, fresh_registry: OrganisationRegistry, registry: OrganisationRegistry
) -> None:
    connection = KafkaConnection(kafka_bootstrap)
    await create_topics(connection, fresh_registry, 1)
    described = {d.name: d for d in await describe_topics(connection, registry)}
    leftover = described[outbox_topic(fresh_registry.ids[0])]
    assert leftover.exists
    assert not leftover.planned


@pytest.mark.kafka
async def test_the_audit_topic_is_created_with_one_partition_whatever_the_others_get(
    kafka_bootstrap: str, fresh_registry: OrganisationRegistry
) -> None:
    connection = KafkaConnection(kafka_bootstrap)
    await delete_audit_topic(connection)  # the audit stream tests take turns with it too

    creation = await create_topics(connection, fresh_registry, 3)

    described = {d.name: d for d in await describe_topics(connection, fresh_registry)}
    assert AUDIT_TOPIC in creation.created
    assert described[AUDIT_TOPIC].partitions == 1
    assert described[outbox_topic(fresh_registry.ids[0])].partitions == 3


@pytest.mark.kafka
async def test_new_outboxes_of_another_partition_count_than_the_existing_are_refused(
    kafka_bootstrap: str, fresh_registry: OrganisationRegistry
) -> None:
    connection = KafkaConnection(kafka_bootstrap)
    first, joining = fresh_registry
    await create_topics(connection, OrganisationRegistry([first], source="test"), 2)

    with pytest.raises(ConfigurationError) as caught:
        await create_topics(connection, fresh_registry, 3)

    message = str(caught.value)
    assert f"{outbox_topic(first.id)}: 2" in message
    assert "cannot create outboxes with 3 partitions" in message
    described = {d.name: d for d in await describe_topics(connection, fresh_registry)}
    assert not described[outbox_topic(joining.id)].exists


def test_the_creation_summary_says_the_audit_topic_has_one_partition() -> None:
    creation = TopicCreation(created=("saattaja.a.outbox", AUDIT_TOPIC), existing=())

    summary = format_creation(creation, bootstrap="kafka:9092", partitions=3, retention_hours=336)

    assert "2 created (3 partitions each; saattaja.audit 1" in summary


def test_the_creation_summary_says_how_long_records_are_kept() -> None:
    creation = TopicCreation(created=("saattaja.a.outbox", AUDIT_TOPIC), existing=())

    summary = format_creation(creation, bootstrap="kafka:9092", partitions=1, retention_hours=336)

    assert "records kept 14 days, saattaja.audit's for ever)" in summary


@pytest.mark.parametrize(("replicas", "acknowledging"), [(1, "1"), (2, "1"), (3, "2"), (5, "2")])
def test_with_three_replicas_or_more_two_must_have_a_record_before_it_is_acknowledged(
    replicas: int, acknowledging: str
) -> None:
    configs = topic_configs("saattaja.a.inbox", retention_hours=24, replication_factor=replicas)
    assert configs["min.insync.replicas"] == acknowledging


@pytest.mark.parametrize("topic", ["saattaja.a.outbox", "saattaja.a.inbox", DLQ_TOPIC])
def test_topics_carrying_personal_data_keep_it_as_long_as_configured(topic: str) -> None:
    configs = topic_configs(topic, retention_hours=24, replication_factor=1)
    assert configs["retention.ms"] == str(24 * 3_600_000)


def test_without_a_retention_the_clusters_default_applies() -> None:
    configs = topic_configs("saattaja.a.inbox", retention_hours=None, replication_factor=1)
    assert "retention.ms" not in configs


def test_the_audit_topic_is_kept_for_ever_whatever_the_retention() -> None:
    configs = topic_configs(AUDIT_TOPIC, retention_hours=24, replication_factor=1)
    assert (configs["retention.ms"], configs["retention.bytes"]) == (KEPT_FOR_EVER, KEPT_FOR_EVER)


@pytest.mark.kafka
async def test_created_topics_carry_their_retention_and_describing_them_shows_it(
    kafka_bootstrap: str, fresh_registry: OrganisationRegistry
) -> None:
    connection = KafkaConnection(kafka_bootstrap)
    await delete_audit_topic(connection)  # so that this creation makes it

    await create_topics(connection, fresh_registry, 1, retention_hours=24)

    described = {d.name: d for d in await describe_topics(connection, fresh_registry)}
    for organisation_id in fresh_registry.ids:
        assert described[outbox_topic(organisation_id)].retention_ms == 24 * 3_600_000
        assert described[inbox_topic(organisation_id)].retention_ms == 24 * 3_600_000
    assert described[AUDIT_TOPIC].retention_ms == -1


@pytest.mark.kafka
async def test_a_topic_that_exists_keeps_the_retention_it_has(
    kafka_bootstrap: str, fresh_registry: OrganisationRegistry
) -> None:
    connection = KafkaConnection(kafka_bootstrap)
    await create_topics(connection, fresh_registry, 1, retention_hours=24)

    await create_topics(connection, fresh_registry, 1, retention_hours=48)

    described = {d.name: d for d in await describe_topics(connection, fresh_registry)}
    assert described[outbox_topic(fresh_registry.ids[0])].retention_ms == 24 * 3_600_000


async def _send_one_by_one(connection: KafkaConnection, topic: str, count: int) -> None:
    # One batch each: the embedded broker's end offset then counts every record.
    producer = AIOKafkaProducer(**connection.client_kwargs())
    await producer.start()
    try:
        for n in range(count):
            await producer.send_and_wait(topic, b"event", key=f"client-{n}".encode())
    finally:
        await producer.stop()


async def _commit(connection: KafkaConnection, group: str, topic: str, offset: int) -> None:
    consumer = AIOKafkaConsumer(
        **connection.client_kwargs(), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.commit({TopicPartition(topic, 0): offset})
    finally:
        await consumer.stop()


@pytest.mark.kafka
async def test_group_positions_say_how_far_the_router_and_each_adapter_have_read(
    kafka_bootstrap: str, fresh_registry: OrganisationRegistry
) -> None:
    connection = KafkaConnection(kafka_bootstrap)
    await create_topics(connection, fresh_registry, 1)
    first, second = fresh_registry.ids
    router_group = f"router-{uuid.uuid4().hex[:8]}"
    await _send_one_by_one(connection, outbox_topic(first), 3)
    await _send_one_by_one(connection, inbox_topic(second), 2)
    await _commit(connection, router_group, outbox_topic(first), 2)

    positions = await group_positions(
        connection,
        fresh_registry,
        router_group=router_group,
        adapter_group=lambda organisation: f"adapter-{organisation.id}",
    )

    found = {(p.topic, p.reader, p.group): (p.committed, p.ends, p.behind) for p in positions}
    assert found == {
        (outbox_topic(first), "router", router_group): ((2,), (3,), 1),
        (inbox_topic(first), first, f"adapter-{first}"): ((None,), (0,), 0),
        (outbox_topic(second), "router", router_group): ((None,), (0,), 0),
        # Never committed: behind by everything in it.
        (inbox_topic(second), second, f"adapter-{second}"): ((None,), (2,), 2),
    }
