"""The audit log's tables: the records, and the one-row head that appends lock and advance."""

from __future__ import annotations

import sqlalchemy as sa

from consent.audit.chained_tables import chain_head_table
from consent.audit.records import DENY, PERMIT
from consent.database import UtcDateTime, metadata
from consent.decisions import ReasonCode

__all__ = ["audit_chain_head", "audit_records"]

_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TRANSITION_REFUSED = ReasonCode.INVALID_TRANSITION.value


# Text for values the contract does not bound (OIDs, event types, reason codes, bases): a
# value too long for a column would fail on PostgreSQL alone, and the router would retry
# that event for ever.
audit_records = sa.Table(
    "audit_records",
    metadata,
    sa.Column("sequence", _SEQUENCE, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("event_type", sa.Text(), nullable=False),
    sa.Column("category", sa.Text(), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("sender", sa.Text(), nullable=False),
    sa.Column("recipient", sa.Text(), nullable=False),
    sa.Column("decision", sa.String(8), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("basis", sa.Text(), nullable=True),
    sa.Column("removed", sa.JSON(), nullable=False),
    sa.Column("decided_at", UtcDateTime(), nullable=False),
    sa.Column("previous_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # Empty, not NULL, for an event routed itself: NULLs would never collide in the key.
    sa.Column("handover", sa.String(36), nullable=False, server_default=""),
    sa.CheckConstraint(f"decision IN ('{PERMIT}', '{DENY}')", name="decision"),
    sa.Index("ix_audit_records_client", "client"),
    sa.Index("ix_audit_records_decided_at", "decided_at"),
    # How an event's records are found: the partial unique indexes serve only queries that
    # name their conditions.
    sa.Index("ix_audit_records_event_id", "event_id"),
    # One record per AuditEntry.key: a refused transition apart from the disclosure decision.
    sa.Index(
        "uq_audit_records_decision",
        "event_id",
        "recipient",
        "handover",
        unique=True,
        sqlite_where=sa.text(f"reason != '{TRANSITION_REFUSED}'"),
        postgresql_where=sa.text(f"reason != '{TRANSITION_REFUSED}'"),
    ),
    sa.Index(
        "uq_audit_records_refusal",
        "event_id",
        "recipient",
        "handover",
        unique=True,
        sqlite_where=sa.text(f"reason = '{TRANSITION_REFUSED}'"),
        postgresql_where=sa.text(f"reason = '{TRANSITION_REFUSED}'"),
    ),
)

audit_chain_head = chain_head_table("audit_chain_head")
