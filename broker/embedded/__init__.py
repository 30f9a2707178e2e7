"""The embedded Kafka-protocol broker for one machine: demos, development and tests."""

from broker.embedded.broker import EmbeddedBroker
from broker.embedded.ports import ensure_port_free, free_port

__all__ = ["EmbeddedBroker", "ensure_port_free", "free_port"]
