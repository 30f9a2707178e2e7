"""Transactions run whole, in one call, where their connection lives.

The stores write their statements once, as synchronous work on a ``Connection``. For a
SQLite file that work runs on a thread of its own over the standard ``sqlite3`` driver: one
hand-off from the event loop per transaction. Through aiosqlite every statement took about
four (a cursor, its execution, the fetch, the close), each waiting for the event loop's
turn, and a busy router spent more time in those waits than in SQLite. Every other
database (PostgreSQL through asyncpg, an in-memory SQLite) runs the same work on the async
engine's connection, as SQLAlchemy's ``run_sync`` does.

SQLite copies its write-ahead log back into the database file (a checkpoint) in whichever
commit finds the log over a thousand pages: that commit then takes milliseconds instead of
a fraction of one (5 ms against 0.2 on the development machine's disk), and the router's
batch waits for it. The threads' connections leave checkpoints to a thread of their own
instead, at most once a second, so that no commit carries one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Final, TypeVar
from weakref import WeakKeyDictionary

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["attach_sqlite_thread", "run_transaction"]

T = TypeVar("T")

_THREADS: Final = 5
"""As many as the engine's pool keeps connections: a write waiting for another process's
lock must not hold up this process's reads."""

_CHECKPOINT_SECONDS: Final = 1.0
"""How often at most the log is copied back: it holds at most about a second of writes."""

_log = structlog.get_logger(__name__)

_sqlite_threads: WeakKeyDictionary[Engine, _SqliteThreads] = WeakKeyDictionary()
"""The threads of each SQLite file engine, by the async engine's synchronous core; engines
that are not here run their transactions on the async engine's own connections."""


class _SqliteThreads:
    """A synchronous engine on the same SQLite file and the threads that use it."""

    __slots__ = ("_checkpoint", "_checkpoint_started", "_engine", "_executor")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._executor: ThreadPoolExecutor | None = None
        self._checkpoint: Future[None] | None = None
        self._checkpoint_started = float("-inf")

    async def run(self, work: Callable[[Connection], T]) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(_THREADS, thread_name_prefix="saattaja-sqlite")
        result = await asyncio.get_running_loop().run_in_executor(
            self._executor, self._in_transaction, work
        )
        self._checkpoint_when_due(self._executor)
        return result

    def _in_transaction(self, work: Callable[[Connection], T]) -> T:
        with self._engine.begin() as connection:
            return work(connection)

    def _checkpoint_when_due(self, executor: ThreadPoolExecutor) -> None:
        running = self._checkpoint is not None and not self._checkpoint.done()
        now = time.monotonic()
        if running or now - self._checkpoint_started < _CHECKPOINT_SECONDS:
            return
        self._checkpoint_started = now
        self._checkpoint = executor.submit(self._copy_log_back)

    def _copy_log_back(self) -> None:
        # PASSIVE: copies what no reader still needs and waits for no one; what is left
        # is copied by a later checkpoint.
        try:
            with self._engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except DBAPIError as exc:
            # The log only grows until the next checkpoint: nothing a transaction wrote is
            # at risk, so the router goes on.
            _log.warning("sqlite_checkpoint_failed", error=str(exc.orig or exc))

    def dispose(self) -> None:
        """Close the connections and let the threads end; both come back on the next run."""
        if self._checkpoint is not None:
            wait([self._checkpoint])  # its connection is closed with the others
        self._engine.dispose()
        if self._executor is not None:
            # Without waiting: work already handed over finishes on its thread.
            self._executor.shutdown(wait=False)
            self._executor = None


def _leave_checkpoints_to_the_threads(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def attach_sqlite_thread(
    engine: AsyncEngine, configure: Callable[[Any, Any], None], **options: Any
) -> None:
    """Give a SQLite file engine threads that run its transactions over ``sqlite3``.

    ``configure`` is the engine's connect hook (its pragmas), applied to these connections
    too, and ``options`` the engine's own (``create_engine``'s); disposing of ``engine``
    disposes of their connections.
    """
    url = engine.url.set(drivername="sqlite")
    # A connection is used by one thread at a time, but not always the one that opened it.
    sync_engine = sa.create_engine(url, connect_args={"check_same_thread": False}, **options)
    sa.event.listen(sync_engine, "connect", configure)
    sa.event.listen(sync_engine, "connect", _leave_checkpoints_to_the_threads)
    threads = _SqliteThreads(sync_engine)
    _sqlite_threads[engine.sync_engine] = threads
    sa.event.listen(engine.sync_engine, "engine_disposed", lambda _engine: threads.dispose())


async def run_transaction(engine: AsyncEngine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one transaction of ``engine`` and commit it; what it returns."""
    threads = _sqlite_threads.get(engine.sync_engine)
    if threads is not None:
        return await threads.run(work)
    async with engine.begin() as connection:
        return await connection.run_sync(work)
