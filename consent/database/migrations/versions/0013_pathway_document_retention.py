"""The router removes documents kept longer than the retention: an index on their time.

Every scan of the overdue watch looks for the documents of pathway_documents whose own
time is before the retention's cutoff; without an index that is a walk of the table.

Revision ID: 0013_pathway_document_retention
Revises: 0012_referral_claims
"""

from __future__ import annotations

from alembic import op

revision = "0013_pathway_document_retention"
down_revision = "0012_referral_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index pathway_documents by occurred_at."""
    op.create_index("ix_pathway_documents_occurred_at", "pathway_documents", ["occurred_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_pathway_documents_occurred_at", table_name="pathway_documents")
