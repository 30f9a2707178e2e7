"""The audit log: hash-chained decision records and the chain head that appends lock.

Revision ID: 0003_audit_log
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_audit_log"
down_revision = "0001_base"
branch_labels = None
depends_on = None

# BIGINT on PostgreSQL; INTEGER on SQLite.
_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_GENESIS_HASH = "0" * 64


def upgrade() -> None:
    """Create audit_records and audit_chain_head, the head at the empty chain."""
    op.create_table(
        "audit_records",
        sa.Column("sequence", _SEQUENCE, autoincrement=False, nullable=False),
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
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name="pk_audit_records"),
        sa.UniqueConstraint("event_id", "recipient", name="uq_audit_records_event_id"),
        # op.f(): the name as written, not passed through the naming convention again.
        sa.CheckConstraint(
            "decision IN ('permit', 'deny')", name=op.f("ck_audit_records_decision")
        ),
    )
    op.create_index("ix_audit_records_client", "audit_records", ["client"])
    op.create_index("ix_audit_records_decided_at", "audit_records", ["decided_at"])
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sequence", _SEQUENCE, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_chain_head"),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_one_row")),
    )
    op.bulk_insert(head, [{"id": 1, "sequence": 0, "hash": _GENESIS_HASH}])


def downgrade() -> None:
    """Drop the tables; the whole audit log goes with them."""
    op.drop_table("audit_chain_head")
    op.drop_index("ix_audit_records_decided_at", table_name="audit_records")
    op.drop_index("ix_audit_records_client", table_name="audit_records")
    op.drop_table("audit_records")
