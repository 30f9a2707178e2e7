"""Statements both dialects need in their own words."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Insert

__all__ = ["insert_or_update", "insert_unless_present"]


def insert_unless_present(table: sa.Table, dialect: str) -> Insert:
    """An INSERT that skips rows whose unique key is already there: how idempotent writes look."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing()


def insert_or_update(
    table: sa.Table,
    dialect: str,
    key: tuple[str, ...],
    *,
    keep: tuple[str, ...] = (),
    same: tuple[str, ...] = (),
) -> Insert:
    """An INSERT that updates the row already there under ``key``, except the ``keep`` columns.

    One statement instead of a delete and an insert, on SQLite and PostgreSQL alike. With
    ``same``, a row there whose ``same`` columns differ from the new row's is left as it is.
    """
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table)
    changed = {
        column.name: statement.excluded[column.name]
        for column in table.columns
        if column.name not in key and column.name not in keep
    }
    if not same:
        return statement.on_conflict_do_update(index_elements=list(key), set_=changed)
    where = sa.and_(*(table.c[name] == statement.excluded[name] for name in same))
    return statement.on_conflict_do_update(index_elements=list(key), set_=changed, where=where)
