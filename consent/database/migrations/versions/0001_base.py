"""Base revision: every table's migration starts from here.

Revision ID: 0001_base
Revises:
"""

from __future__ import annotations

revision = "0001_base"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: the base only anchors the history."""


def downgrade() -> None:
    """Nothing to undo."""
