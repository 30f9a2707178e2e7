"""Topic names: one outbox and one inbox per organisation, one dead-letter and one audit topic.

One topic per organisation and direction, so that Kafka ACLs can give each adapter exactly
one topic to write and one to read.
"""

from __future__ import annotations

from typing import Final

from broker.errors import ConfigurationError
from broker.registry import OrganisationRegistry, check_organisation_id

__all__ = [
    "AUDIT_TOPIC",
    "DLQ_TOPIC",
    "TOPIC_PREFIX",
    "inbox_topic",
    "is_outbox_topic",
    "is_saattaja_topic",
    "outbox_topic",
    "planned_partitions",
    "topic_plan",
]

TOPIC_PREFIX: Final = "saattaja"
DLQ_TOPIC: Final = f"{TOPIC_PREFIX}.dlq"
"""Events the router rejected, each with the reason."""
_OUTBOX_SUFFIX: Final = ".outbox"
AUDIT_TOPIC: Final = f"{TOPIC_PREFIX}.audit"
"""The audit log's records, in the order appended (``saattaja audit stream`` writes it)."""


def outbox_topic(organisation_id: str) -> str:
    """Where the organisation's adapter publishes; only the router reads it."""
    return f"{TOPIC_PREFIX}.{_checked(organisation_id)}{_OUTBOX_SUFFIX}"


def inbox_topic(organisation_id: str) -> str:
    """Where the router delivers to the organisation; only its adapter reads it."""
    return f"{TOPIC_PREFIX}.{_checked(organisation_id)}.inbox"


def is_outbox_topic(topic: str) -> bool:
    """True for a name of an outbox's form, whichever organisation's, registered or not."""
    return is_saattaja_topic(topic) and topic.endswith(_OUTBOX_SUFFIX)


def is_saattaja_topic(topic: str) -> bool:
    """True for a topic in Saattaja's namespace, planned or left over from an old registry."""
    return topic.startswith(f"{TOPIC_PREFIX}.")


def topic_plan(registry: OrganisationRegistry) -> tuple[str, ...]:
    """Every topic Saattaja needs for these organisations, in a stable order."""
    per_organisation = (
        topic
        for organisation in registry
        for topic in (outbox_topic(organisation.id), inbox_topic(organisation.id))
    )
    return (*per_organisation, DLQ_TOPIC, AUDIT_TOPIC)


def planned_partitions(topic: str, partitions: int) -> int:
    """The partitions ``topic`` is created with when the others get ``partitions``.

    The audit topic gets one: it carries one hash chain, which a reader checks in order.
    """
    return 1 if topic == AUDIT_TOPIC else partitions


def _checked(organisation_id: str) -> str:
    try:
        return check_organisation_id(organisation_id)
    except ValueError as exc:
        raise ConfigurationError(f"cannot name a topic: {exc}") from exc
