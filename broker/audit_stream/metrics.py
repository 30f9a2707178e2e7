"""What the audit stream counts for Prometheus: records shipped, how far behind, and its state."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge

from consent.audit import AuditRecord, ChainAnchor

__all__ = ["AuditStreamMetrics"]


class AuditStreamMetrics:
    """The metrics of one audit stream process, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._records = Counter(
            "saattaja_audit_stream_records",
            "Audit records written to the audit topic and acknowledged by Kafka.",
            registry=self.registry,
        )
        self._last_sequence = Gauge(
            "saattaja_audit_stream_last_sequence",
            "Sequence of the audit record the audit topic ends with (0 before the first).",
            registry=self.registry,
        )
        self._behind = Gauge(
            "saattaja_audit_stream_behind_records",
            "Audit records appended to the log and not yet on the audit topic, as of the "
            "stream's last look.",
            registry=self.registry,
        )
        self._paused = Gauge(
            "saattaja_audit_stream_paused",
            "1 while the stream waits because the audit store or Kafka is unavailable.",
            registry=self.registry,
        )
        self._active = Gauge(
            "saattaja_audit_stream_active",
            "1 while this stream ships; 0 while another of its group does and it stands by.",
            registry=self.registry,
        )
        self._broken = Gauge(
            "saattaja_audit_stream_chain_broken",
            "1 once the stream stopped at an audit record that does not follow the chain "
            "(the log was changed behind its back): run `saattaja audit verify`.",
            registry=self.registry,
        )

    def shipped(self, records: Sequence[AuditRecord]) -> None:
        """Count records acknowledged on the topic."""
        self._records.inc(len(records))
        if records:
            self._last_sequence.set(records[-1].sequence)

    def looked(self, position: ChainAnchor | None, head: ChainAnchor | None) -> None:
        """Note how far the topic is behind the log's head after a look."""
        shipped = 0 if position is None else position.sequence
        self._last_sequence.set(shipped)
        self._behind.set(max(0, (0 if head is None else head.sequence) - shipped))

    def paused(self, waiting: bool) -> None:
        """Note that the stream waits for a store or Kafka, or no longer does."""
        self._paused.set(1 if waiting else 0)

    def active(self, shipping: bool) -> None:
        """Note whether this stream ships or stands by."""
        self._active.set(1 if shipping else 0)

    def broken(self) -> None:
        """Note that the stream stopped at a broken chain."""
        self._broken.set(1)
