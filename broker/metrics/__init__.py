"""Prometheus metrics and a health answer, served by each long-running Saattaja process."""

from broker.metrics.server import Health, MetricsServer

__all__ = ["Health", "MetricsServer"]
