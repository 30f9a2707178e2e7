"""Tables kept as hash chains: the head that appends lock and advance, and the walk of verify.

The audit log's records and the consent store's versions are each such a table. Each has a
one-row head holding the sequence and hash of its last record: appends lock it first, so
that the appends of several router processes take turns and the chain never forks, and
verify compares the table's end with it, so that records removed from the end are found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.audit.chain import ChainLink
from consent.audit.verification import ChainWalk, VerificationResult
from consent.database import keyset_pages, metadata, run_transaction, translate_database_errors
from consent.errors import AuditChainBrokenError, SaattajaConsentError

__all__ = [
    "CHAIN_HEAD_ID",
    "UNREADABLE_VALUE",
    "advance_chain_head",
    "chain_head_table",
    "lock_chain_head",
    "read_chain_head",
    "refusing_unreadable_values",
    "verify_chained_table",
]

CHAIN_HEAD_ID: Final = 1
"""The id of a chain head's only row."""

_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNREADABLE_VALUE: Final = (ValueError, TypeError)
"""What reading a stored value raises when it was not written by Saattaja: SQLite keeps any
text in a time or JSON column, so a value changed there by hand may not read back at all."""


def _chained_refusal(what: str) -> Exception:
    return AuditChainBrokenError(
        f"{what}: a record holds a value that cannot be read back, changed after it was "
        "written: run `saattaja audit verify`, which names it"
    )


@contextmanager
def refusing_unreadable_values(
    what: str, *, refusal: Callable[[str], Exception] = _chained_refusal
) -> Iterator[None]:
    """Raise ``refusal(what)`` for a stored value that cannot be read back.

    Only a change behind the store's back leaves one; ``what`` names the reading. By
    default the refusal is an AuditChainBrokenError saying to run verify, which names the
    record. Put around a whole read, never a row: the router's reads come this way.
    """
    try:
        yield
    except SaattajaConsentError:
        raise  # the database away or refusing: said as such
    except UNREADABLE_VALUE as exc:
        raise refusal(what) from exc


def chain_head_table(name: str) -> sa.Table:
    """The one-row head of a chained table: the sequence and hash of its last record."""
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("sequence", _SEQUENCE, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.CheckConstraint(f"id = {CHAIN_HEAD_ID}", name="one_row"),
    )


def lock_chain_head(connection: Connection, head: sa.Table) -> tuple[int, str]:
    """Lock the chain head for this transaction and read it; other appends wait."""
    query = sa.select(head.c.sequence, head.c.hash).where(head.c.id == CHAIN_HEAD_ID)
    if connection.dialect.name == "sqlite":
        # SQLite has no row locks: BEGIN IMMEDIATE takes the database's write lock before
        # the head is read, and busy_timeout makes every other writer wait its turn. The
        # sqlite3 driver opens transactions only implicitly, before its first write, so
        # this statement is what opens the one engine.begin() commits.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        query = query.with_for_update()
    return _head_row(head, connection.execute(query).one_or_none())


def read_chain_head(connection: Connection, head: sa.Table) -> tuple[int, str]:
    """The chain head's sequence and hash, without locking it."""
    query = sa.select(head.c.sequence, head.c.hash).where(head.c.id == CHAIN_HEAD_ID)
    return _head_row(head, connection.execute(query).one_or_none())


def advance_chain_head(
    connection: Connection, head: sa.Table, sequence: int, last_hash: str
) -> None:
    """Move the locked chain head to the record just appended."""
    connection.execute(
        sa.update(head).where(head.c.id == CHAIN_HEAD_ID).values(sequence=sequence, hash=last_hash)
    )


# Verify cannot walk a chain without its head: what is left is the backup and the anchor.
_RESTORE: Final = (
    "restore the database from a backup and check it with `saattaja audit verify` and the "
    "anchors kept outside it (--anchor, --consent-anchor)"
)


def _head_row(head: sa.Table, row: sa.Row[int, str] | None) -> tuple[int, str]:
    if row is None:
        raise AuditChainBrokenError(
            f"the chain head is missing (table {head.name} has no row): the database was "
            f"tampered with or not created by `saattaja db upgrade`; {_RESTORE}"
        )
    sequence, head_hash = row
    try:
        return int(sequence), head_hash
    except UNREADABLE_VALUE as exc:
        raise AuditChainBrokenError(
            f"the chain head (table {head.name}) holds a sequence that is not a whole number: "
            f"the database was tampered with; {_RESTORE}"
        ) from exc


async def verify_chained_table(
    engine: AsyncEngine,
    *,
    table: sa.Table,
    head: sa.Table,
    fields_of: Callable[[sa.RowMapping], ChainLink],
    walk: ChainWalk,
    batch_size: int,
) -> VerificationResult:
    """Walk ``table`` by sequence up to where its head stood when the walk began.

    ``fields_of`` gives the values a row's hash covers, straight from the stored values:
    a tampered row must be reported as not matching, not fail to load. Records appended
    while the walk runs are left for the next.
    """
    what = f"verifying the chain of {table.name}"
    async with translate_database_errors(what):
        head_sequence, head_hash = await run_transaction(
            engine, lambda connection: read_chain_head(connection, head)
        )
    sequence = table.c.sequence
    walked: int | None = None
    while True:
        after = [] if walked is None else [sequence > walked]
        try:
            async for rows in keyset_pages(
                engine,
                table,
                sequence,
                [sequence <= head_sequence, *after],
                batch_size=batch_size,
                what=what,
            ):
                for row in rows:
                    if not walk.step(fields_of(row), row["hash"]):
                        return walk.finish(head_sequence, head_hash)
                    walked = row["sequence"]
        except SaattajaConsentError:
            raise
        except UNREADABLE_VALUE:
            if batch_size > 1:
                # A page holds a record that cannot be read: go on one record at a time,
                # so that those before it are checked and it is the one named.
                batch_size = 1
                continue
            unreadable = await _next_record(engine, table, walked, what=what)
            if unreadable is None:
                raise
            walk.unreadable(*unreadable)
        return walk.finish(head_sequence, head_hash)


async def _next_record(
    engine: AsyncEngine, table: sa.Table, walked: int | None, *, what: str
) -> tuple[ChainLink, list[str]] | None:
    """The link of the record after ``walked`` (the first for None), and the columns of it
    that cannot be read; None when there is no such record."""
    sequence = table.c.sequence
    query = sa.select(sequence, table.c.previous_hash).order_by(sequence).limit(1)
    if walked is not None:
        query = query.where(sequence > walked)
    async with translate_database_errors(what), engine.connect() as connection:
        row = (await connection.execute(query)).one_or_none()
        if row is None:
            return None
        unreadable: list[str] = []
        for column in table.c:
            try:
                (await connection.execute(sa.select(column).where(sequence == row[0]))).one()
            except UNREADABLE_VALUE:
                unreadable.append(column.name)
    return ChainLink(sequence=int(row[0]), previous_hash=row[1]), unreadable
