"""The fingerprint of the pseudonym secret the database is filled under.

Revision ID: 0008_pseudonym_secret
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from consent.database import UtcDateTime

revision = "0008_pseudonym_secret"
down_revision = "0001_base"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create pseudonym_secret; the first router to start records its secret's fingerprint."""
    op.create_table(
        "pseudonym_secret",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pseudonym_secret"),
    )


def downgrade() -> None:
    """Drop pseudonym_secret."""
    op.drop_table("pseudonym_secret")
