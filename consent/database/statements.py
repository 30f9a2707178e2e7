"""Statements both dialects need in their own words."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Insert

__all__ = ["insert_or_update", "insert_unless_present", "pairs_in"]


def pairs_in(
    first: sa.ColumnElement[str],
    second: sa.ColumnElement[str],
    pairs: Collection[tuple[str, str]],
) -> sa.ColumnElement[bool]:
    """``(first, second)`` is one of ``pairs``, in a form both databases read by an index.

    SQLite answers ``(first, second) IN (VALUES ...)`` by scanning the whole table; one
    ``first = ? AND second IN (...)`` per value of ``first`` uses the index on both columns.
    """
    by_first: dict[str, set[str]] = {}
    for one, other in pairs:
        by_first.setdefault(one, set()).add(other)
    return sa.or_(
        *(
            sa.and_(first == one, second.in_(sorted(others)))
            for one, others in sorted(by_first.items())
        )
    )


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
