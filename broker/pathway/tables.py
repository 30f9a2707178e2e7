"""The pathway's tables: referral ownership, case managers, the history that follows the client,
and the facts the pathway indicators are computed from.

Clients appear only by pseudonym. The one table that holds personal data is
``pathway_documents``: the latest relevant events of each client, kept so that an
organisation that takes over receives them; a document leaves it when it is superseded,
closed, or the client's episode ends.
"""

from __future__ import annotations

import sqlalchemy as sa

from consent.database import UtcDateTime, metadata

__all__ = [
    "pathway_assessments",
    "pathway_case_managers",
    "pathway_documents",
    "pathway_episodes",
    "pathway_events",
    "pathway_handovers",
    "pathway_hints",
    "pathway_referral_claims",
    "pathway_referrals",
]

# Every event the pathway has applied, so that routing it again after a crash changes
# nothing. A refused one changed nothing and is applied again when it comes again; it keeps
# its reason, so that its sender is not told twice of the same refusal. The digest of its
# content tells a replay from another event sent under the same id (NULL: applied before
# migration 0009 kept it).
pathway_events = sa.Table(
    "pathway_events",
    metadata,
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("refused_reason", sa.Text(), nullable=True),
    sa.Column("content_digest", sa.String(64), nullable=True),
    sa.PrimaryKeyConstraint("event_id", name="pk_pathway_events"),
)

pathway_referrals = sa.Table(
    "pathway_referrals",
    metadata,
    sa.Column("requester", sa.String(128), nullable=False),
    sa.Column("referral_id", sa.String(64), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("receiver", sa.String(128), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("responsible", sa.String(128), nullable=False),
    sa.Column("requested_event_id", sa.String(36), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("next_escalation_at", UtcDateTime(), nullable=True),
    sa.Column("escalations", sa.Integer(), nullable=False),
    sa.Column("answered_at", UtcDateTime(), nullable=True),
    sa.Column("completed_at", UtcDateTime(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint("requester", "referral_id", name="pk_pathway_referrals"),
    sa.Index("ix_pathway_referrals_client", "client"),
    sa.Index("ix_pathway_referrals_escalation", "state", "next_escalation_at"),
)

# Which client each referral id was first requested for, written with the decisions on the
# request, before it is delivered: pathway_referrals is written after Kafka has the
# deliveries, so two router processes could each deliver one requester's referral id for
# a client of its own before either's referral is stored.
pathway_referral_claims = sa.Table(
    "pathway_referral_claims",
    metadata,
    sa.Column("requester", sa.String(128), nullable=False),
    sa.Column("referral_id", sa.String(64), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("requested_event_id", sa.String(36), nullable=False),
    sa.PrimaryKeyConstraint("requester", "referral_id", name="pk_pathway_referral_claims"),
)

pathway_case_managers = sa.Table(
    "pathway_case_managers",
    metadata,
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("episode_id", sa.String(64), nullable=False),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("organisation", sa.String(128), nullable=False),
    sa.Column("assigned_by", sa.String(128), nullable=False),
    sa.Column("assigned_at", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("client", name="pk_pathway_case_managers"),
)

# One row per slot: the latest assessment of a kind from an organisation, the current
# version of a plan, an open referral. The record is kept as it arrived.
pathway_documents = sa.Table(
    "pathway_documents",
    metadata,
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("slot", sa.String(300), nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("event_type", sa.Text(), nullable=False),
    sa.Column("sender", sa.String(128), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    # What a decision needs, so that handing over never has to decode the record.
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("document_id", sa.String(64), nullable=False),
    sa.Column("parts", sa.JSON(), nullable=False),
    sa.Column("record_key", sa.LargeBinary(), nullable=False),
    sa.Column("record_headers", sa.JSON(), nullable=False),
    sa.Column("record_value", sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint("client", "slot", name="pk_pathway_documents"),
    # The router looks, every scan, for the documents kept longer than the retention.
    sa.Index("ix_pathway_documents_occurred_at", "occurred_at"),
)

# The facts below are kept after an episode ends: the indicators count them.
pathway_assessments = sa.Table(
    "pathway_assessments",
    metadata,
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("organisation", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("duplicate_of", sa.String(36), nullable=True),
    sa.PrimaryKeyConstraint("event_id", name="pk_pathway_assessments"),
    sa.Index("ix_pathway_assessments_client", "client"),
)

pathway_hints = sa.Table(
    "pathway_hints",
    metadata,
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("recipient", sa.String(128), nullable=False),
    sa.Column("assessment_event_id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("moment", sa.String(32), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("event_id", name="pk_pathway_hints"),
)

pathway_handovers = sa.Table(
    "pathway_handovers",
    metadata,
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("sender", sa.String(128), nullable=False),
    sa.Column("recipient", sa.String(128), nullable=False),
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("items", sa.Integer(), nullable=False),
    sa.Column("handed_over_at", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("event_id", name="pk_pathway_handovers"),
)

pathway_episodes = sa.Table(
    "pathway_episodes",
    metadata,
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("organisation", sa.String(128), nullable=False),
    sa.Column("episode_id", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("closed_at", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("event_id", name="pk_pathway_episodes"),
)
