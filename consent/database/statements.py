"""Statements both dialects need in their own words."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Insert

__all__ = ["insert_unless_present"]


def insert_unless_present(table: sa.Table, dialect: str) -> Insert:
    """An INSERT that skips rows whose unique key is already there: how idempotent writes look."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing()
