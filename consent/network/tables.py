"""The care network's tables: the events seen, and each membership with its start and end."""

from __future__ import annotations

import sqlalchemy as sa

from consent.database import UtcDateTime, metadata

__all__ = ["care_network_events", "care_network_members"]

# Every event that changed a network, so that a second delivery of it changes nothing.
care_network_events = sa.Table(
    "care_network_events",
    metadata,
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("event_type", sa.Text(), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("event_id", name="pk_care_network_events"),
)

# A membership is ended, never deleted, so that who was in the network when stays known.
care_network_members = sa.Table(
    "care_network_members",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("organisation", sa.Text(), nullable=False),
    sa.Column("joined_event_id", sa.String(36), nullable=False),
    sa.Column("joined_at", UtcDateTime(), nullable=False),
    sa.Column("ended_event_id", sa.String(36), nullable=True),
    sa.Column("ended_at", UtcDateTime(), nullable=True),
    sa.Index("ix_care_network_members_client", "client"),
)
