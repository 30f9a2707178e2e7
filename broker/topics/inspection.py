"""What each Saattaja topic holds: its partitions and how far each has been written."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, for_code

from broker.errors import TopicError
from broker.kafka import KafkaConnection, open_admin, open_consumer
from broker.registry import OrganisationRegistry
from broker.topics.naming import AUDIT_TOPIC, is_outbox_topic, is_saattaja_topic, topic_plan

__all__ = [
    "OutboxSurvey",
    "TopicDescription",
    "describe_topics",
    "missing_topics",
    "partition_counts",
    "partitions_by_topic",
    "survey_outboxes",
]


@dataclass(frozen=True, slots=True)
class TopicDescription:
    """One topic: its end offset per partition (index = partition number).

    ``exists`` is False for a planned topic that has not been created; ``planned`` is False
    for a Saattaja topic the registry no longer asks for (an organisation that left).
    """

    name: str
    end_offsets: tuple[int, ...]
    exists: bool = True
    planned: bool = True
    retention_ms: int | None = None
    """The topic's retention.ms (-1: kept for ever); None where Kafka does not say."""

    @property
    def partitions(self) -> int:
        """How many partitions the topic has."""
        return len(self.end_offsets)

    @property
    def total(self) -> int:
        """Sum of the end offsets: records ever written, for topics that are not compacted."""
        return sum(self.end_offsets)


async def describe_topics(
    connection: KafkaConnection, registry: OrganisationRegistry
) -> tuple[TopicDescription, ...]:
    """The registry's topics in plan order, then any other ``saattaja.*`` topic of the cluster.

    End offsets come from a consumer's ``end_offsets``; the admin client's offset calls are
    avoided because the embedded broker drops the connection on some of them.
    """
    plan = topic_plan(registry)
    async with open_admin(connection) as admin:
        existing = set(await admin.list_topics())
        leftovers = sorted(t for t in existing - set(plan) if is_saattaja_topic(t))
        present = [topic for topic in (*plan, *leftovers) if topic in existing]
        partitions = await partitions_by_topic(admin, present)
        retention = await _retention(admin, present)
    offsets = await _end_offsets(connection, partitions)
    return tuple(
        TopicDescription(
            name=topic,
            end_offsets=tuple(offsets[topic, p] for p in range(partitions.get(topic, 0))),
            exists=topic in existing,
            planned=topic in plan,
            retention_ms=retention.get(topic),
        )
        for topic in (*plan, *leftovers)
    )


@dataclass(frozen=True, slots=True)
class OutboxSurvey:
    """What a router checks of the cluster's outboxes before it reads them."""

    partitions: dict[str, int]
    """Partitions of each of the registry's outboxes that exists."""
    unplanned: tuple[str, ...]
    """Outbox topics of the cluster that are no organisation's of the registry, by name.

    The router reads only the registry's outboxes: what an organisation removed from the
    registry (or never in it) still publishes there reaches nobody.
    """
    missing: tuple[str, ...]
    """The registry's outboxes and inboxes and the dead-letter topic that do not exist:
    what the router would read or write, and Kafka create with its own defaults."""


async def survey_outboxes(
    connection: KafkaConnection, registry: OrganisationRegistry
) -> OutboxSurvey:
    """The registry's outboxes' partitions and the outboxes no organisation has, through one
    admin connection."""
    planned = topic_plan(registry)
    async with open_admin(connection) as admin:
        existing = set(await admin.list_topics())
        outboxes = [topic for topic in planned if is_outbox_topic(topic) and topic in existing]
        partitions = await partitions_by_topic(admin, outboxes)
    unplanned = sorted(t for t in existing - set(planned) if is_outbox_topic(t))
    missing = tuple(topic for topic in planned if topic != AUDIT_TOPIC and topic not in existing)
    return OutboxSurvey(partitions=partitions, unplanned=tuple(unplanned), missing=missing)


async def partition_counts(connection: KafkaConnection, topics: Iterable[str]) -> dict[str, int]:
    """How many partitions each of these topics has; a topic not created yet is left out."""
    async with open_admin(connection) as admin:
        existing = set(await admin.list_topics())
        return await partitions_by_topic(admin, [topic for topic in topics if topic in existing])


async def missing_topics(admin: Any, topics: Iterable[str]) -> tuple[str, ...]:
    """Those of ``topics`` that do not exist, in their order, asked through ``admin``.

    Listing asks Kafka to create nothing, as a client's metadata request for one topic
    would (auto.create.topics.enable).
    """
    try:
        existing = set(await admin.list_topics())
    except KafkaError as exc:
        raise TopicError(f"listing the topics failed ({exc})") from exc
    return tuple(topic for topic in topics if topic not in existing)


async def partitions_by_topic(admin: Any, topics: list[str]) -> dict[str, int]:
    """How many partitions each of these existing topics has, asked through ``admin``."""
    if not topics:
        return {}
    try:
        described = await admin.describe_topics(topics)
    except KafkaError as exc:
        raise TopicError(f"describing topics {', '.join(topics)} failed ({exc})") from exc
    counts: dict[str, int] = {}
    for topic in described:
        if topic["error_code"]:
            code = topic["error_code"]
            raise TopicError(
                f"Kafka would not describe topic {topic['topic']!r}: "
                f"{for_code(code).__name__} (error {code}); check that this Kafka user may "
                "describe it"
            )
        counts[topic["topic"]] = len(topic["partitions"])
    return counts


async def _retention(admin: Any, topics: list[str]) -> dict[str, int]:
    """retention.ms of each topic whose configuration Kafka gives.

    A user without the right to describe configurations still gets the rest of the
    listing: what Kafka does not give is left out, not an error.
    """
    if not topics:
        return {}
    try:
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic) for topic in topics]
        )
    except KafkaError:
        return {}
    retention: dict[str, int] = {}
    for response in responses:
        for error_code, _message, _type, topic, entries in response.resources:
            values = {entry[0]: entry[1] for entry in entries}
            if not error_code and values.get("retention.ms") is not None:
                retention[topic] = int(values["retention.ms"])
    return retention


async def _end_offsets(
    connection: KafkaConnection, partitions: dict[str, int]
) -> dict[tuple[str, int], int]:
    wanted = [TopicPartition(t, p) for t, count in partitions.items() for p in range(count)]
    if not wanted:
        return {}
    async with open_consumer(connection) as consumer:
        try:
            offsets = await consumer.end_offsets(wanted)
        except KafkaError as exc:
            raise TopicError(f"reading end offsets failed ({exc})") from exc
    return {(tp.topic, tp.partition): int(offset) for tp, offset in offsets.items()}
