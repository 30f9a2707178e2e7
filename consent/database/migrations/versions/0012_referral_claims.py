"""A referral id is claimed for its client before the request is delivered.

Two router processes holding different partitions of one requester's outbox could each
deliver a referral under one referral id for a client of its own: the check read
pathway_referrals, which is written after the deliveries. The claim is written with the
decisions on the request, under the audit log's lock. The referrals stored so far claim
their ids.

Revision ID: 0012_referral_claims
Revises: 0009_pathway_event_digest
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_referral_claims"
down_revision = "0009_pathway_event_digest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create pathway_referral_claims, filled from pathway_referrals."""
    op.create_table(
        "pathway_referral_claims",
        sa.Column("requester", sa.String(128), nullable=False),
        sa.Column("referral_id", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("requested_event_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("requester", "referral_id", name="pk_pathway_referral_claims"),
    )
    op.execute(
        "INSERT INTO pathway_referral_claims (requester, referral_id, client, requested_event_id) "
        "SELECT requester, referral_id, client, requested_event_id FROM pathway_referrals"
    )


def downgrade() -> None:
    """Drop pathway_referral_claims."""
    op.drop_table("pathway_referral_claims")
