"""The router keeps, beside what it recorded, how far it routed each outbox partition.

After the database is restored from a backup, Kafka's committed offsets run ahead of what
the database holds; the router routes the records between again from the offsets kept here.

Revision ID: 0014_router_offsets
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_router_offsets"
down_revision = "0001_base"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create router_offsets."""
    op.create_table(
        "router_offsets",
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column(
            "next_offset", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("topic", "partition", name="pk_router_offsets"),
    )


def downgrade() -> None:
    """Drop router_offsets."""
    op.drop_table("router_offsets")
