"""Kafka client set-up shared by the router, the adapters and the CLI."""

from broker.kafka.clients import open_admin, open_consumer
from broker.kafka.connection import KafkaConnection

__all__ = ["KafkaConnection", "open_admin", "open_consumer"]
