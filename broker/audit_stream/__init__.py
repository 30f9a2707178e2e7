"""The audit stream: the audit log's records, in order and checked, on the audit topic.

For a SIEM or an auditor's own copy outside the database: ``saattaja audit stream`` runs it,
and ``saattaja up`` runs it beside the router.
"""

from broker.audit_stream.messages import (
    HASH_HEADER,
    SEQUENCE_HEADER,
    StreamFormat,
    audit_message,
    shipped_anchor,
)
from broker.audit_stream.metrics import AuditStreamMetrics
from broker.audit_stream.position import last_shipped, read_audit_topic, require_audit_topic
from broker.audit_stream.service import AuditStreamService, AuditStreamStatus
from broker.audit_stream.shipper import AuditShipper
from broker.audit_stream.topic_check import TopicCheck, check_topic_chain

__all__ = [
    "HASH_HEADER",
    "SEQUENCE_HEADER",
    "AuditShipper",
    "AuditStreamMetrics",
    "AuditStreamService",
    "AuditStreamStatus",
    "StreamFormat",
    "TopicCheck",
    "audit_message",
    "check_topic_chain",
    "last_shipped",
    "read_audit_topic",
    "require_audit_topic",
    "shipped_anchor",
]
