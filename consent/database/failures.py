"""What the database drivers raise, turned into the store's own errors.

A connection refused for what SAATTAJA_DATABASE_URL says (no such database or user, a
wrong password, a file that is not a SQLite database or that SQLite may not open or
write, a read-only server such as a standby) is a DatabaseRefusedError; one that may pass
by itself (the server restarting, its connection limit reached, a lost connection) is a
StoreUnavailableError. Both are waited out by a running router or audit stream; at start
the first one stops it, as a mistake to fix rather than an outage.

Any other error, 55000 (object not in prerequisite state) among them, is raised as it is:
for the statements the stores run it means a bug (``currval`` before ``nextval``), since a
standby refuses their writes with 25006 before any lock would give 55000.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from consent.errors import DatabaseRefusedError, StoreUnavailableError

__all__ = ["translate_database_errors"]

# By PostgreSQL's SQLSTATE: what the operator must change before a connection can succeed.
_REFUSALS: Final = {
    "3D000": "check the database name in SAATTAJA_DATABASE_URL, or create the database "
    "(createdb) and run `saattaja db upgrade`",
    "28000": "check the user name in SAATTAJA_DATABASE_URL, and that the server's "
    "pg_hba.conf lets that user in from this host",
    "28P01": "check the password in SAATTAJA_DATABASE_URL",
    # A hot standby (read replica) answers every write so, and so does a primary whose
    # database or user has default_transaction_read_only on.
    "25006": "SAATTAJA_DATABASE_URL must name the primary server, not a standby (read "
    "replica), and neither the database nor the user may be read-only "
    "(default_transaction_read_only)",
    # The server names the table or sequence; the sequences are the ones a DBA granting
    # table by table leaves out.
    "42501": "grant the user in SAATTAJA_DATABASE_URL what Saattaja needs (CONNECT on the "
    "database, USAGE on the schema, the tables `saattaja db upgrade` made and USAGE on "
    "their sequences), or use the user that made them",
}
# By SQLite's primary result code (the extended code's low byte): what the operator must
# change about the file SAATTAJA_DATABASE_URL names. Neither passes by itself: owners,
# modes and mounts stay as they are until someone changes them.
_SQLITE_REFUSALS: Final = {
    sqlite3.SQLITE_NOTADB: "is not a database",
    sqlite3.SQLITE_READONLY: "cannot be written",
    sqlite3.SQLITE_CANTOPEN: "cannot be opened",
}
_SQLITE_FILE_CHECK: Final = (
    "check that the path names a file, and the owner and mode of the file, of its folder "
    "and of its -wal and -shm files beside it: the user Saattaja runs as must be able to "
    "read and write all of them, and to create files in the folder, which must not be on a "
    "read-only mount; and that SAATTAJA_DATABASE_URL asks for no read-only mode "
    "(mode=ro, immutable=1)"
)
# Classes of SQLSTATE that pass by themselves, with what the error says of them: the
# server turned Saattaja away (08 a connection broken, 53 the server out of connections,
# memory or disk, 57P an administrator's or a crash's shutdown, or start-up), or gave up on
# the transaction, to be run again (40 a serialization failure or a deadlock; a lock or a
# statement that waited longer than lock_timeout or statement_timeout allow).
_WAITED_OUT: Final = (
    (
        ("40", "55P03", "57014"),
        "the database server gave up on a transaction while {what}: {server_said}; it is "
        "run again. Seen often, look for what holds locks on Saattaja's tables, or for a "
        "lock_timeout or statement_timeout set too short for the user",
    ),
    (
        ("08", "53", "57P"),
        "the database server turned Saattaja away while {what}: {server_said}; check that "
        "the server is running and has connections to spare (max_connections, or the "
        "user's CONNECTION LIMIT)",
    ),
)


@asynccontextmanager
async def translate_database_errors(what: str) -> AsyncIterator[None]:
    """Turn a refused or lost connection into the store's errors, naming what was being done."""
    try:
        yield
    except DBAPIError as exc:
        translated = _translated(exc, what)
        if translated is None:
            raise
        raise translated from exc
    except OSError as exc:
        raise StoreUnavailableError(
            f"the database could not be reached while {what}: {exc}; check "
            "SAATTAJA_DATABASE_URL and that the server is running"
        ) from exc


def _translated(exc: DBAPIError, what: str) -> StoreUnavailableError | None:
    """The store's error for ``exc``; None when no connection is at fault (a bug)."""
    server_said = str(exc.orig or exc).strip()
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate in _REFUSALS:
        return DatabaseRefusedError(
            f"the database server refused Saattaja while {what}: {server_said}; "
            f"{_REFUSALS[sqlstate]}"
        )
    sqlite_refusal = _sqlite_refusal(exc, what, server_said)
    if sqlite_refusal is not None:
        return sqlite_refusal
    if exc.connection_invalidated:
        return StoreUnavailableError(
            f"the database connection was lost while {what}; check the server"
        )
    for classes, words in _WAITED_OUT:
        if isinstance(sqlstate, str) and sqlstate.startswith(classes):
            return StoreUnavailableError(words.format(what=what, server_said=server_said))
    if isinstance(exc, (OperationalError, InterfaceError)):
        return StoreUnavailableError(
            f"the database did not answer while {what}: {server_said}; check "
            "SAATTAJA_DATABASE_URL and that the server is running"
        )
    return None


def _sqlite_refusal(exc: DBAPIError, what: str, server_said: str) -> DatabaseRefusedError | None:
    """The refusal for a SQLite file Saattaja may not use; None for any other error."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    # The driver gives the extended code (SQLITE_READONLY_DBMOVED and the like), whose low
    # byte is the primary one.
    primary = code & 0xFF if isinstance(code, int) else None
    if primary not in _SQLITE_REFUSALS:
        return None
    if primary == sqlite3.SQLITE_NOTADB:
        check = "check the path, or move the file away and run `saattaja db upgrade`"
    else:
        check = _SQLITE_FILE_CHECK
    return DatabaseRefusedError(
        f"the SQLite file SAATTAJA_DATABASE_URL names {_SQLITE_REFUSALS[primary]} "
        f"({server_said}) while {what}: {check}"
    )
