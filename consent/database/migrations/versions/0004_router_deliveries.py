"""The router's delivery ledger.

Revision ID: 0004_router_deliveries
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_router_deliveries"
down_revision = "0001_base"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create router_deliveries."""
    op.create_table(
        "router_deliveries",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "recipient", name="pk_router_deliveries"),
    )


def downgrade() -> None:
    """Drop router_deliveries."""
    op.drop_table("router_deliveries")
