"""What an adapter process shows Prometheus: sent, received by outcome, outbox, parked, waits."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector, CollectorRegistry

from adapters.sdk.health import AdapterHealth
from adapters.sdk.receiver import ReceiverStatus
from adapters.sdk.relay import RelayStatus

__all__ = ["AdapterMetrics"]


class AdapterMetrics(Collector):
    """Reads the relay's and the receiver's counts, and the health last read, at each scrape.

    In a registry of its own, so that two adapters in one process never count into each
    other. Every metric carries the organisation, so that one dashboard can show them all.
    """

    def __init__(self, organisation: str, relay: RelayStatus, receiver: ReceiverStatus) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._organisation = organisation
        self._relay = relay
        self._receiver = receiver
        self._health: AdapterHealth | None = None
        self.registry.register(self)

    def refresh(self, health: AdapterHealth) -> None:
        """Keep the health just read, for the scrape that follows."""
        self._health = health

    def collect(self) -> Iterable[Metric]:
        """The metrics as they stand now."""
        organisation = self._organisation
        sent = CounterMetricFamily(
            "saattaja_adapter_sent",
            "Events from the local outbox that Kafka acknowledged, since start.",
            labels=["organisation"],
        )
        sent.add_metric([organisation], self._relay.sent)
        yield sent
        received = CounterMetricFamily(
            "saattaja_adapter_received",
            "Inbox records since start, by outcome: handled by the organisation's system, "
            "duplicate (dropped by event id), parked, retried (a parked event taken when "
            "asked again) and rejection (a rejection notice of the organisation's own event).",
            labels=["organisation", "outcome"],
        )
        status = self._receiver
        for outcome, count in (
            ("handled", status.handled),
            ("duplicate", status.duplicates),
            ("parked", status.parked),
            ("retried", status.retried),
            ("rejection", status.rejections),
        ):
            received.add_metric([organisation, outcome], count)
        yield received
        waiting = GaugeMetricFamily(
            "saattaja_adapter_kafka_waiting",
            "1 while sending or receiving waits for Kafka.",
            labels=["organisation", "direction"],
        )
        waiting.add_metric([organisation, "sending"], self._relay.last_error is not None)
        waiting.add_metric([organisation, "receiving"], self._receiver.last_error is not None)
        yield waiting
        health = self._health
        if health is None:
            return
        for name, documentation, value in (
            (
                "saattaja_adapter_outbox_unsent",
                "Events in the local outbox that Kafka has not acknowledged yet.",
                health.outbox_unsent,
            ),
            (
                "saattaja_adapter_outbox_oldest_age_seconds",
                "How long the oldest unsent event has waited; 0 when none waits.",
                health.outbox_oldest_age_seconds,
            ),
            (
                "saattaja_adapter_parked",
                "Events the organisation's system did not take, waiting for a person.",
                health.parked,
            ),
        ):
            gauge = GaugeMetricFamily(name, documentation, labels=["organisation"])
            gauge.add_metric([organisation], value)
            yield gauge
