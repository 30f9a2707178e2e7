"""The consent store's tables: a row per grant or revocation, never changed, and its chain head."""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from consent.audit import chain_head_table
from consent.database import UtcDateTime, metadata

__all__ = ["GRANTED", "REVOKED", "consent_chain_head", "consent_versions"]

GRANTED: Final = "granted"
REVOKED: Final = "revoked"


# The store gives each version its sequence (the one after the chain head's) under the head's
# lock, so that sequence order is chain order; the column's autoincrement is what numbered
# the versions recorded before the chain, and stays so that the schema matches migration 0002.
# Text for identifiers the contract does not bound (OIDs, purposes): a value too long for a
# column would fail on PostgreSQL alone, and the router would retry that event for ever.
consent_versions = sa.Table(
    "consent_versions",
    metadata,
    sa.Column(
        "sequence",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("consent_id", sa.String(64), nullable=False),
    sa.Column("action", sa.String(8), nullable=False),
    sa.Column("decision", sa.String(8), nullable=True),
    sa.Column("recorded_by", sa.Text(), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("applied_at", UtcDateTime(), nullable=False),
    sa.Column("valid_from", UtcDateTime(), nullable=True),
    sa.Column("valid_until", UtcDateTime(), nullable=True),
    sa.Column("purpose", sa.Text(), nullable=True),
    sa.Column("scope", sa.JSON(), nullable=True),
    sa.Column("exceptions", sa.JSON(), nullable=True),
    sa.Column("previous_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # Tells a consent event applied again from another sent under its id; not chained,
    # since it says nothing a decision rests on (NULL: recorded before migration 0010).
    sa.Column("content_digest", sa.String(64), nullable=True),
    sa.UniqueConstraint("event_id", name="uq_consent_versions_event_id"),
    sa.CheckConstraint(f"action IN ('{GRANTED}', '{REVOKED}')", name="action"),
    sa.Index("ix_consent_versions_client", "client"),
)

consent_chain_head = chain_head_table("consent_chain_head")
