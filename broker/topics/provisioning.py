"""Creating Saattaja's topics, idempotently: topics that exist already are left as they are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import structlog
from aiokafka.admin import NewTopic
from aiokafka.errors import KafkaError, for_code

from broker.errors import ConfigurationError, TopicError
from broker.kafka import KafkaConnection, open_admin
from broker.registry import OrganisationRegistry
from broker.topics.inspection import partitions_by_topic
from broker.topics.naming import outbox_topic, planned_partitions, topic_plan
from broker.topics.policy import topic_configs

__all__ = ["TopicCreation", "create_topics"]

_TOPIC_ALREADY_EXISTS: Final = 36
# Three copies, as Kafka keeps of its own internal topics, where the cluster has three
# brokers; as many as there are otherwise (one on the embedded broker).
_PREFERRED_REPLICAS: Final = 3

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TopicCreation:
    """What a create_topics call did, each list in topic-plan order."""

    created: tuple[str, ...]
    existing: tuple[str, ...]


async def create_topics(
    connection: KafkaConnection,
    registry: OrganisationRegistry,
    partitions: int,
    *,
    retention_hours: int | None = None,
    replication_factor: int | None = None,
) -> TopicCreation:
    """Create every topic of the registry's plan that does not exist yet.

    Safe to repeat: a topic that exists already (also error 36, TopicAlreadyExists, when
    someone else creates it at the same moment) is reported as existing and left with the
    partitions and configuration it has. Any other refusal raises TopicError naming the
    topic. Without ``replication_factor``: three replicas, or as many as the cluster has
    brokers. ``retention_hours``: see ``topic_configs``.
    """
    if partitions < 1:
        raise ConfigurationError(
            f"cannot create topics with {partitions} partitions: use 1 or more "
            "(--partitions or SAATTAJA_TOPIC_PARTITIONS)"
        )
    plan = topic_plan(registry)
    async with open_admin(connection) as admin:
        existing_before = set(await admin.list_topics())
        missing = [topic for topic in plan if topic not in existing_before]
        await _refuse_other_outbox_partitions(admin, registry, existing_before, partitions)
        if replication_factor is None and missing:
            brokers = (await admin.describe_cluster())["brokers"]
            replication_factor = max(1, min(_PREFERRED_REPLICAS, len(brokers)))
        codes = await _request_creation(
            admin,
            missing,
            partitions,
            replication_factor=replication_factor or 1,
            retention_hours=retention_hours,
        )
    created: list[str] = []
    existing = [topic for topic in plan if topic in existing_before]
    for topic, (code, message) in codes.items():
        if code == 0:
            created.append(topic)
        elif code == _TOPIC_ALREADY_EXISTS:
            existing.append(topic)
        else:
            detail = f": {message}" if message else ""
            raise TopicError(
                f"Kafka at {connection.bootstrap} refused to create topic {topic!r}: "
                f"{for_code(code).__name__} (error {code}){detail}; check that this Kafka "
                f"user may create topics, or create it by hand with {partitions} partitions"
            )
    _log.info("topics_provisioned", created=created, existing=existing)
    return TopicCreation(
        created=_in_plan_order(plan, created), existing=_in_plan_order(plan, existing)
    )


async def _refuse_other_outbox_partitions(
    admin: Any, registry: OrganisationRegistry, existing: set[str], partitions: int
) -> None:
    # The router refuses to start on outboxes of different partition counts: every event
    # of one client must reach one router process.
    outboxes = [outbox_topic(organisation.id) for organisation in registry]
    if all(topic in existing for topic in outboxes):
        return
    counts = await partitions_by_topic(admin, [topic for topic in outboxes if topic in existing])
    if counts and set(counts.values()) != {partitions}:
        found = ", ".join(f"{topic}: {count}" for topic, count in sorted(counts.items()))
        raise ConfigurationError(
            f"cannot create outboxes with {partitions} partitions beside the existing ones "
            f"({found}): every outbox needs the same number, or the router refuses to start; "
            "give the existing outboxes' number (--partitions or SAATTAJA_TOPIC_PARTITIONS)"
        )


async def _request_creation(
    admin: Any,
    topics: list[str],
    partitions: int,
    *,
    replication_factor: int,
    retention_hours: int | None,
) -> dict[str, tuple[int, str | None]]:
    if not topics:
        return {}
    new_topics = [
        NewTopic(
            topic,
            planned_partitions(topic, partitions),
            replication_factor,
            topic_configs=topic_configs(
                topic, retention_hours=retention_hours, replication_factor=replication_factor
            ),
        )
        for topic in topics
    ]
    try:
        response = await admin.create_topics(new_topics)
    except KafkaError as exc:
        raise TopicError(
            f"creating topics {', '.join(topics)} failed ({exc}): check the cluster's health "
            "and that this Kafka user may create topics"
        ) from exc
    return {topic: (code, message) for topic, code, message in response.topic_errors}


def _in_plan_order(plan: tuple[str, ...], topics: Iterable[str]) -> tuple[str, ...]:
    wanted = set(topics)
    return tuple(topic for topic in plan if topic in wanted)
