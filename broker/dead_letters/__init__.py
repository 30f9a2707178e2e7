"""The dead-letter topic: records the router rejected, kept unchanged with the reason."""

from broker.dead_letters.causes import (
    issued_by_router,
    lasting_cause,
    reserved_header,
    reused_consent_id,
    reused_event_id,
)
from broker.dead_letters.claims import claimed_identity
from broker.dead_letters.headers import (
    DLQ_HEADERS,
    DLQ_OFFSET_HEADER,
    DLQ_PARTITION_HEADER,
    DLQ_REASON_HEADER,
    DLQ_REJECTED_AT_HEADER,
    DLQ_TOPIC_HEADER,
    DLQ_VALUE_LEFT_OUT_HEADER,
)
from broker.dead_letters.reading import DeadLetterFilter, read_dead_letters
from broker.dead_letters.records import DeadLetter
from broker.dead_letters.redrive import HeldBack, RedrivePlan, plan_redrive, redrive, send_back

__all__ = [
    "DLQ_HEADERS",
    "DLQ_OFFSET_HEADER",
    "DLQ_PARTITION_HEADER",
    "DLQ_REASON_HEADER",
    "DLQ_REJECTED_AT_HEADER",
    "DLQ_TOPIC_HEADER",
    "DLQ_VALUE_LEFT_OUT_HEADER",
    "DeadLetter",
    "DeadLetterFilter",
    "HeldBack",
    "RedrivePlan",
    "claimed_identity",
    "issued_by_router",
    "lasting_cause",
    "plan_redrive",
    "read_dead_letters",
    "redrive",
    "reserved_header",
    "reused_consent_id",
    "reused_event_id",
    "send_back",
]
