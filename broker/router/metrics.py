"""What a router process counts for Prometheus: records, decisions, batches, pauses and lag."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from broker.router.routing import RoutingOutcome
from consent.audit import AuditRecord

__all__ = ["RouterMetrics"]

# From a few records in a few milliseconds to a full batch after a slow commit.
_BATCH_SECONDS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RouterMetrics:
    """The metrics of one router process, in a registry of its own.

    A registry per process rather than prometheus_client's global one, so that two routers
    in one process (the tests run several) never count into each other.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._records = Counter(
            "saattaja_router_records",
            "Outbox records routed to the end, by outcome: routed (decided and on record, an "
            "answer its referral's state refuses too), applied (a consent event) or rejected "
            "(to the dead-letter topic).",
            ["outcome"],
            registry=self.registry,
        )
        self._decisions = Counter(
            "saattaja_router_decisions",
            "Decisions the router acted on and put on record, by decision (permit, deny) and "
            "reason code: consent decisions, and refusals of a referral step its state does "
            "not allow (deny, invalid-transition).",
            ["decision", "reason"],
            registry=self.registry,
        )
        self._batch_seconds = Histogram(
            "saattaja_router_batch_seconds",
            "Time to route one batch, from its decoding to its deliveries acknowledged and "
            "recorded (the retries of a paused batch not included).",
            buckets=_BATCH_SECONDS,
            registry=self.registry,
        )
        self._paused = Gauge(
            "saattaja_router_paused",
            "1 while routing waits because a store or Kafka is unavailable (failing closed).",
            registry=self.registry,
        )
        self._pauses = Counter(
            "saattaja_router_pauses",
            "Times routing began to wait for a store or Kafka.",
            registry=self.registry,
        )
        self._overdue_watch_paused = Gauge(
            "saattaja_router_overdue_watch_paused",
            "1 while the last look for overdue referrals failed (a store or Kafka unavailable, "
            "or a stored value that cannot be read back): no overdue notice or expiry is sent.",
            registry=self.registry,
        )
        self._lag = Gauge(
            "saattaja_router_lag_records",
            "Records in an outbox partition not yet routed, as of this process's last commit "
            "there.",
            ["topic", "partition"],
            registry=self.registry,
        )
        self._escalations = Counter(
            "saattaja_router_overdue_escalations",
            "Referrals the overdue watch escalated (an overdue notice or an expiry sent).",
            registry=self.registry,
        )
        self._documents_removed = Counter(
            "saattaja_router_pathway_documents_removed",
            "Documents kept for warm handovers removed because they were kept longer than "
            "SAATTAJA_PATHWAY_DOCUMENT_RETENTION_DAYS.",
            registry=self.registry,
        )
        self._routed_again = Counter(
            "saattaja_router_records_routed_again",
            "Outbox records routed again because the database held less of a partition than "
            "the router's committed offset (it was restored from a backup).",
            ["topic", "partition"],
            registry=self.registry,
        )
        self._records_lost = Counter(
            "saattaja_router_records_lost",
            "Outbox records the database never recorded and Kafka no longer holds (a database "
            "restored from a backup older than the outbox's retention): gone for good.",
            ["topic", "partition"],
            registry=self.registry,
        )
        self._waiting = False
        for outcome in RoutingOutcome:
            self._records.labels(outcome.value)  # present at 0 from the start

    def handled(self, outcomes: Iterable[RoutingOutcome]) -> None:
        """Count the records of a batch routed to the end."""
        # One increment per label, not per record: this runs on the router's hot path.
        for outcome, count in collections.Counter(outcomes).items():
            self._records.labels(outcome.value).inc(count)

    def decided(self, records: Sequence[AuditRecord]) -> None:
        """Count the decisions the audit log returned for a batch."""
        tally = collections.Counter((record.decision, record.reason) for record in records)
        for (decision, reason), count in tally.items():
            self._decisions.labels(decision, reason).inc(count)

    def batch_routed(self, seconds: float) -> None:
        """Note how long a batch took to route."""
        self._batch_seconds.observe(seconds)

    def paused(self) -> None:
        """Routing began to wait, or goes on waiting."""
        if not self._waiting:
            self._waiting = True
            self._pauses.inc()
            self._paused.set(1)

    def resumed(self) -> None:
        """Routing goes on."""
        self._waiting = False
        self._paused.set(0)

    def overdue_watch_paused(self) -> None:
        """The look for overdue referrals failed."""
        self._overdue_watch_paused.set(1)

    def overdue_watch_resumed(self) -> None:
        """A look for overdue referrals went through."""
        self._overdue_watch_paused.set(0)

    def lag(self, behind: Mapping[tuple[str, int], int]) -> None:
        """Records not yet routed, by (topic, partition), after a commit."""
        for (topic, partition), records in behind.items():
            self._lag.labels(topic, str(partition)).set(records)

    def given_up(self, partitions: Set[tuple[str, int]]) -> None:
        """Drop the lag of partitions another process routes now.

        Kept, it would be summed with that process's own for ever, as it was last seen.
        """
        for topic, partition in partitions:
            self._lag.remove(topic, str(partition))

    def routed_again(self, topic: str, partition: int, records: int) -> None:
        """Count records routed again after a database restore."""
        self._routed_again.labels(topic, str(partition)).inc(records)

    def records_lost(self, topic: str, partition: int, records: int) -> None:
        """Count records lost for good: older than Kafka holds, never recorded."""
        self._records_lost.labels(topic, str(partition)).inc(records)

    def escalated(self, referrals: int) -> None:
        """Count the referrals the overdue watch escalated."""
        self._escalations.inc(referrals)

    def documents_removed(self, documents: int) -> None:
        """Count the documents removed as kept longer than the retention."""
        self._documents_removed.inc(documents)
