"""Saattaja's Kafka topics: their names, their creation and what they hold."""

from broker.topics.access import AclBinding, AclOperation, AclPattern, AclResource, access_plan
from broker.topics.groups import GroupPosition, group_positions
from broker.topics.inspection import (
    OutboxSurvey,
    TopicDescription,
    describe_topics,
    missing_topics,
    partition_counts,
    survey_outboxes,
)
from broker.topics.naming import (
    AUDIT_TOPIC,
    DLQ_TOPIC,
    TOPIC_PREFIX,
    inbox_topic,
    is_outbox_topic,
    is_saattaja_topic,
    outbox_topic,
    planned_partitions,
    topic_plan,
)
from broker.topics.policy import KEPT_FOR_EVER, topic_configs
from broker.topics.provisioning import TopicCreation, create_topics

__all__ = [
    "AUDIT_TOPIC",
    "DLQ_TOPIC",
    "KEPT_FOR_EVER",
    "TOPIC_PREFIX",
    "AclBinding",
    "AclOperation",
    "AclPattern",
    "AclResource",
    "GroupPosition",
    "OutboxSurvey",
    "TopicCreation",
    "TopicDescription",
    "access_plan",
    "create_topics",
    "describe_topics",
    "group_positions",
    "inbox_topic",
    "is_outbox_topic",
    "is_saattaja_topic",
    "missing_topics",
    "outbox_topic",
    "partition_counts",
    "planned_partitions",
    "survey_outboxes",
    "topic_configs",
    "topic_plan",
]
