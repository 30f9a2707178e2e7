"""What each topic is created with beyond its partitions: how long it keeps records, and
how many replicas must have a record before Kafka acknowledges it."""

from __future__ import annotations

from typing import Final

from broker.topics.naming import AUDIT_TOPIC

__all__ = ["KEPT_FOR_EVER", "topic_configs"]

_MS_PER_HOUR: Final = 3_600_000
KEPT_FOR_EVER: Final = "-1"
"""retention.ms and retention.bytes of a topic whose records Kafka never deletes."""


def topic_configs(
    topic: str, *, retention_hours: int | None, replication_factor: int
) -> dict[str, str]:
    """The Kafka topic configuration ``topic`` is created with.

    Outboxes, inboxes and the dead-letter topic carry personal data on its way: they keep
    a record ``retention_hours`` (None: as long as the cluster's default), long enough for
    an adapter that was down over a holiday to catch up, and no longer. The audit topic is
    kept for ever: its last record is the audit stream's bookmark and anchor, and a topic
    emptied by retention would have the whole log shipped again. With three replicas or
    more, two must have a record before it is acknowledged (``acks=all``), so that losing
    one broker loses nothing and stops nothing.
    """
    configs = {"min.insync.replicas": str(max(1, min(2, replication_factor - 1)))}
    if topic == AUDIT_TOPIC:
        configs |= {"retention.ms": KEPT_FOR_EVER, "retention.bytes": KEPT_FOR_EVER}
    elif retention_hours is not None:
        configs["retention.ms"] = str(retention_hours * _MS_PER_HOUR)
    return configs
