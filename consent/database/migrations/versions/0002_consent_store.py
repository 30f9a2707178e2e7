"""The consent store (append-only consent versions) and the care network.

Revision ID: 0002_consent_store
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_consent_store"
down_revision = "0001_base"
branch_labels = None
depends_on = None

# BIGINT on PostgreSQL; INTEGER on SQLite, where only "INTEGER PRIMARY KEY" auto-increments.
_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create consent_versions, care_network_events and care_network_members."""
    op.create_table(
        "consent_versions",
        sa.Column("sequence", _SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("consent_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("decision", sa.String(8), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("scope", sa.JSON(), nullable=True),
        sa.Column("exceptions", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("sequence", name="pk_consent_versions"),
        sa.UniqueConstraint("event_id", name="uq_consent_versions_event_id"),
        # op.f(): the name as written, not passed through the naming convention again.
        sa.CheckConstraint(
            "action IN ('granted', 'revoked')", name=op.f("ck_consent_versions_action")
        ),
    )
    op.create_index("ix_consent_versions_client", "consent_versions", ["client"])
    op.create_table(
        "care_network_events",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_care_network_events"),
    )
    op.create_table(
        "care_network_members",
        sa.Column("id", _SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.Column("joined_event_id", sa.String(36), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_event_id", sa.String(36), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_care_network_members"),
    )
    op.create_index("ix_care_network_members_client", "care_network_members", ["client"])


def downgrade() -> None:
    """Drop the tables; every consent and network history goes with them."""
    op.drop_index("ix_care_network_members_client", table_name="care_network_members")
    op.drop_table("care_network_members")
    op.drop_table("care_network_events")
    op.drop_index("ix_consent_versions_client", table_name="consent_versions")
    op.drop_table("consent_versions")
