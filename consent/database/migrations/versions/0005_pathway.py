"""The pathway: referral ownership, case managers, the history that follows the client, facts.

Revision ID: 0005_pathway
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_pathway"
down_revision = "0001_base"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the pathway tables."""
    op.create_table(
        "pathway_events",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("refused_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name="pk_pathway_events"),
    )
    op.create_table(
        "pathway_referrals",
        sa.Column("requester", sa.String(128), nullable=False),
        sa.Column("referral_id", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("receiver", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("responsible", sa.String(128), nullable=False),
        sa.Column("requested_event_id", sa.String(36), nullable=False),
        sa.Column("requested_at", _TIME, nullable=False),
        sa.Column("due_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("next_escalation_at", _TIME, nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("answered_at", _TIME, nullable=True),
        sa.Column("completed_at", _TIME, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("requester", "referral_id", name="pk_pathway_referrals"),
    )
    op.create_index("ix_pathway_referrals_client", "pathway_referrals", ["client"])
    op.create_index(
        "ix_pathway_referrals_escalation", "pathway_referrals", ["state", "next_escalation_at"]
    )
    op.create_table(
        "pathway_case_managers",
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("episode_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("organisation", sa.String(128), nullable=False),
        sa.Column("assigned_by", sa.String(128), nullable=False),
        sa.Column("assigned_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("client", name="pk_pathway_case_managers"),
    )
    op.create_table(
        "pathway_documents",
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("slot", sa.String(300), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("occurred_at", _TIME, nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("document_id", sa.String(64), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("record_key", sa.LargeBinary(), nullable=False),
        sa.Column("record_headers", sa.JSON(), nullable=False),
        sa.Column("record_value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("client", "slot", name="pk_pathway_documents"),
    )
    op.create_table(
        "pathway_assessments",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("organisation", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("recorded_at", _TIME, nullable=False),
        sa.Column("duplicate_of", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name="pk_pathway_assessments"),
    )
    op.create_index("ix_pathway_assessments_client", "pathway_assessments", ["client"])
    op.create_table(
        "pathway_hints",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False),
        sa.Column("assessment_event_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("moment", sa.String(32), nullable=False),
        sa.Column("sent_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_pathway_hints"),
    )
    op.create_table(
        "pathway_handovers",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("handed_over_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_pathway_handovers"),
    )
    op.create_table(
        "pathway_episodes",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("organisation", sa.String(128), nullable=False),
        sa.Column("episode_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("closed_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_pathway_episodes"),
    )


def downgrade() -> None:
    """Drop the pathway tables."""
    for table in (
        "pathway_episodes",
        "pathway_handovers",
        "pathway_hints",
        "pathway_assessments",
        "pathway_documents",
        "pathway_case_managers",
        "pathway_referrals",
        "pathway_events",
    ):
        op.drop_table(table)
