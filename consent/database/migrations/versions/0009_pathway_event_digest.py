"""Applied events keep the digest of their content.

An event routed again after a crash is a replay; another event sent under an id already
routed is not, and the router refuses it instead of dropping it unseen. Events applied
before keep NULL, and are taken for replays as before.

Revision ID: 0009_pathway_event_digest
Revises: 0005_pathway
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_pathway_event_digest"
down_revision = "0005_pathway"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add pathway_events.content_digest."""
    op.add_column("pathway_events", sa.Column("content_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop pathway_events.content_digest."""
    op.drop_column("pathway_events", "content_digest")
