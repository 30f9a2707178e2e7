"""The headers the router adds to a record it keeps in the dead-letter topic."""

from __future__ import annotations

from typing import Final

__all__ = [
    "DLQ_HEADERS",
    "DLQ_OFFSET_HEADER",
    "DLQ_PARTITION_HEADER",
    "DLQ_REASON_HEADER",
    "DLQ_REJECTED_AT_HEADER",
    "DLQ_TOPIC_HEADER",
    "DLQ_VALUE_LEFT_OUT_HEADER",
]

DLQ_REASON_HEADER: Final = "saattaja_dlq_reason"
DLQ_TOPIC_HEADER: Final = "saattaja_dlq_topic"
DLQ_PARTITION_HEADER: Final = "saattaja_dlq_partition"
DLQ_OFFSET_HEADER: Final = "saattaja_dlq_offset"
DLQ_REJECTED_AT_HEADER: Final = "saattaja_dlq_rejected_at"
DLQ_VALUE_LEFT_OUT_HEADER: Final = "saattaja_dlq_value_left_out"
"""Only on a dead letter Kafka refused as too large: the size of the value left out."""
DLQ_HEADERS: Final = frozenset(
    {
        DLQ_REASON_HEADER,
        DLQ_TOPIC_HEADER,
        DLQ_PARTITION_HEADER,
        DLQ_OFFSET_HEADER,
        DLQ_REJECTED_AT_HEADER,
        DLQ_VALUE_LEFT_OUT_HEADER,
    }
)
"""Every header the router adds; the rest are the record's own, as it arrived."""
