"""Consent versions keep the digest of the event that recorded them.

A consent event applied again is a replay; another consent event sent under an id already
recorded is not, and the router refuses it instead of dropping it unseen. The digest is not
chained: no decision rests on it. Versions recorded before keep NULL.

Revision ID: 0010_consent_event_digest
Revises: 0007_consent_chain
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_consent_event_digest"
down_revision = "0007_consent_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add consent_versions.content_digest."""
    op.add_column("consent_versions", sa.Column("content_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop consent_versions.content_digest."""
    op.drop_column("consent_versions", "content_digest")
