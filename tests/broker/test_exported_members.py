"""Each broker package's public names, pinned: a change to them is a deliberate change."""

from __future__ import annotations

import importlib

import pytest

PUBLIC_NAMES = {
    "broker.audit_stream": [
        "AuditShipper",
        "AuditStreamMetrics",
        "AuditStreamService",
        "AuditStreamStatus",
        "HASH_HEADER",
        "SEQUENCE_HEADER",
        "StreamFormat",
        "TopicCheck",
        "audit_message",
        "check_topic_chain",
        "last_shipped",
        "read_audit_topic",
        "require_audit_topic",
        "shipped_anchor",
    ],
    "broker.dead_letters": [
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
    ],
    "broker.registry": [
        "ORGANISATION_ID_PATTERN",
        "Organisation",
        "OrganisationRegistry",
        "check_organisation_id",
    ],
    "broker.kafka": [
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
    ],
    "broker.topics": [
        "AUDIT_TOPIC",
        "AclBinding",
        "AclOperation",
        "AclPattern",
        "AclResource",
        "DLQ_TOPIC",
        "GroupPosition",
        "KEPT_FOR_EVER",
        "OutboxSurvey",
        "TOPIC_PREFIX",
        "TopicCreation",
        "TopicDescription",
        "access_plan",
        "create_topics",
        "describe_topics",
        "group_positions",
        "inbox_topic",
        "is_outbox_topic",
        "is_saattaja_topic",
        "missing_topics",
        "outbox_topic",
        "partition_counts",
        "planned_partitions",
        "survey_outboxes",
        "topic_configs",
        "topic_plan",
    ],
    "broker.metrics": ["Health", "MetricsServer"],
    "broker.embedded": ["EmbeddedBroker", "ensure_port_free", "free_port"],
    "broker.errors": [
        "AuditStreamError",
        "AuditTopicTakenError",
        "ConfigurationError",
        "DecodingWorkerError",
        "EmbeddedBrokerError",
        "InvalidPeriodError",
        "KafkaUnavailableError",
        "OutputFileError",
        "PartStoppedError",
        "ReferralIdTakenError",
        "RouterStoppedError",
        "SaattajaBrokerError",
        "TopicError",
        "UndecodableRecordError",
        "UnknownOrganisationError",
        "UnreadablePathwayError",
    ],
}


@pytest.mark.parametrize("package", sorted(PUBLIC_NAMES))
def test_package_exports_exactly_its_public_names(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == PUBLIC_NAMES[package]
    assert all(hasattr(module, name) for name in module.__all__)


def test_every_broker_error_has_the_common_root() -> None:
    errors = importlib.import_module("broker.errors")
    assert all(
        issubclass(getattr(errors, name), errors.SaattajaBrokerError) for name in errors.__all__
    )
