"""Kafka client set-up shared by the router, the audit stream, the adapters and the CLI."""

from broker.kafka.clients import open_admin, open_consumer, stop_consumer
from broker.kafka.connection import KafkaConnection
from broker.kafka.partitioning import partition_of
from broker.kafka.reachability import KafkaWatch
from broker.kafka.reading import read_partitions
from broker.kafka.sending import AcknowledgedSender, Outbound, start_producer

__all__ = [
    "AcknowledgedSender",
    "KafkaConnection",
    "KafkaWatch",
    "Outbound",
    "open_admin",
    "open_consumer",
    "partition_of",
    "read_partitions",
    "start_producer",
    "stop_consumer",
]
