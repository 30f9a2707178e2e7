"""Audit records name the handover package a document was decided for.

A document that follows the client is decided again in each handover, so that one denied
before (no consent then) is permitted once the client consents. The key becomes (event
id, recipient, handover); records made before keep an empty handover, and their hashes,
which never covered it, still verify.

Revision ID: 0006_audit_handover
Revises: 0003_audit_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_audit_handover"
down_revision = "0003_audit_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add audit_records.handover and widen the unique key with it."""
    with op.batch_alter_table("audit_records") as table:
        table.add_column(sa.Column("handover", sa.String(36), nullable=False, server_default=""))
        table.drop_constraint("uq_audit_records_event_id", type_="unique")
        table.create_unique_constraint(
            "uq_audit_records_event_id", ["event_id", "recipient", "handover"]
        )


def downgrade() -> None:
    """Drop audit_records.handover; fails while two records differ only by it."""
    with op.batch_alter_table("audit_records") as table:
        table.drop_constraint("uq_audit_records_event_id", type_="unique")
        table.create_unique_constraint("uq_audit_records_event_id", ["event_id", "recipient"])
        table.drop_column("handover")
