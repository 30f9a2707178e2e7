"""The consent history is hash-chained, like the audit log.

Every version gets the hash of the one before it and its own, computed here for the
versions already recorded, in the order of their sequence; the chain head is left at the
last of them. From then on the store chains each version it records.

Revision ID: 0007_consent_chain
Revises: 0002_consent_store
"""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa
from alembic import op

from consent.audit import GENESIS_HASH, chain_hash
from consent.database import UtcDateTime
from consent.store.chain import consent_chain_fields

revision = "0007_consent_chain"
down_revision = "0002_consent_store"
branch_labels = None
depends_on = None

# BIGINT on PostgreSQL; INTEGER on SQLite.
_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_PAGE: Final = 5_000
# The columns as this revision has them, typed so that times come back in UTC.
_VERSIONS = sa.table(
    "consent_versions",
    sa.column("sequence", _SEQUENCE),
    sa.column("event_id", sa.String()),
    sa.column("client", sa.String()),
    sa.column("consent_id", sa.String()),
    sa.column("action", sa.String()),
    sa.column("decision", sa.String()),
    sa.column("recorded_by", sa.Text()),
    sa.column("occurred_at", UtcDateTime()),
    sa.column("applied_at", UtcDateTime()),
    sa.column("valid_from", UtcDateTime()),
    sa.column("valid_until", UtcDateTime()),
    sa.column("purpose", sa.Text()),
    sa.column("scope", sa.JSON()),
    sa.column("exceptions", sa.JSON()),
    sa.column("previous_hash", sa.String(64)),
    sa.column("hash", sa.String(64)),
)


def upgrade() -> None:
    """Add the hashes, chain the versions already recorded, and create the chain head."""
    with op.batch_alter_table("consent_versions") as table:
        table.add_column(sa.Column("previous_hash", sa.String(64), nullable=True))
        table.add_column(sa.Column("hash", sa.String(64), nullable=True))
    sequence, last_hash = _chain_recorded_versions(op.get_bind())
    with op.batch_alter_table("consent_versions") as table:
        table.alter_column("previous_hash", existing_type=sa.String(64), nullable=False)
        table.alter_column("hash", existing_type=sa.String(64), nullable=False)
    head = op.create_table(
        "consent_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sequence", _SEQUENCE, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consent_chain_head"),
        # op.f(): the name as written, not passed through the naming convention again.
        sa.CheckConstraint("id = 1", name=op.f("ck_consent_chain_head_one_row")),
    )
    op.bulk_insert(head, [{"id": 1, "sequence": sequence, "hash": last_hash}])


def downgrade() -> None:
    """Drop the chain head and the hashes; numbering goes back to the database."""
    op.drop_table("consent_chain_head")
    with op.batch_alter_table("consent_versions") as table:
        table.drop_column("hash")
        table.drop_column("previous_hash")
    if op.get_bind().dialect.name == "postgresql":
        # The chained store gave the sequences itself, so PostgreSQL's own sequence never
        # moved: set it past them, or the next version would take a number already used.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('consent_versions', 'sequence'), "
            "(SELECT COALESCE(MAX(sequence), 0) + 1 FROM consent_versions), false)"
        )


def _chain_recorded_versions(connection: sa.Connection) -> tuple[int, str]:
    """Hash every version in sequence order; the last one's sequence and hash."""
    columns = [column for column in _VERSIONS.c if column.name not in ("previous_hash", "hash")]
    update = (
        sa.update(_VERSIONS)
        .where(_VERSIONS.c.sequence == sa.bindparam("at_sequence"))
        .values(previous_hash=sa.bindparam("new_previous"), hash=sa.bindparam("new_hash"))
    )
    sequence, last_hash = 0, GENESIS_HASH
    while True:
        page = (
            connection.execute(
                sa.select(*columns)
                .where(_VERSIONS.c.sequence > sequence)
                .order_by(_VERSIONS.c.sequence)
                .limit(_PAGE)
            )
            .mappings()
            .all()
        )
        if not page:
            return sequence, last_hash
        hashes: list[dict[str, Any]] = []
        for row in page:
            fields = consent_chain_fields({**row, "previous_hash": last_hash})
            sequence, digest = row["sequence"], chain_hash(fields)
            hashes.append({"at_sequence": sequence, "new_previous": last_hash, "new_hash": digest})
            last_hash = digest
        connection.execute(update, hashes)
