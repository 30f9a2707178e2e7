"""A refused referral transition and the disclosure decision on one event are kept apart.

An answer refused because its referral's state did not allow it (invalid-transition)
changes nothing, so the same event sent again is applied again, and once accepted it is
decided for disclosure to the same recipient. The key (event id, recipient, handover) is
therefore unique twice: once among refusals, once among the other decisions. No record
changes, and no hash covers the key.

Revision ID: 0011_audit_refusals
Revises: 0006_audit_handover
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_audit_refusals"
down_revision = "0006_audit_handover"
branch_labels = None
depends_on = None

_REFUSAL = "reason = 'invalid-transition'"
_DECISION = "reason != 'invalid-transition'"
_KEY = ["event_id", "recipient", "handover"]


def upgrade() -> None:
    """Replace uq_audit_records_event_id by a unique index for each kind of decision."""
    with op.batch_alter_table("audit_records") as table:
        table.drop_constraint("uq_audit_records_event_id", type_="unique")
    # The unique key was also how an event's records were found: a partial index serves
    # only a query that names its condition, and the router looks up every event it routes.
    op.create_index("ix_audit_records_event_id", "audit_records", ["event_id"])
    for name, where in (
        ("uq_audit_records_decision", _DECISION),
        ("uq_audit_records_refusal", _REFUSAL),
    ):
        op.create_index(
            name,
            "audit_records",
            _KEY,
            unique=True,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade() -> None:
    """Back to one key; fails while an event has both a refusal and a decision for one recipient."""
    op.drop_index("uq_audit_records_refusal", table_name="audit_records")
    op.drop_index("uq_audit_records_decision", table_name="audit_records")
    op.drop_index("ix_audit_records_event_id", table_name="audit_records")
    with op.batch_alter_table("audit_records") as table:
        table.create_unique_constraint("uq_audit_records_event_id", _KEY)
