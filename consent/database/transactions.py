"""Transactions run whole, in one call, where their connection lives.

The stores write their statements once, as synchronous work on a ``Connection``. For a
SQLite file that work runs on a thread of its own over the standard ``sqlite3`` driver: one
hand-off from the event loop per transaction. Through aiosqlite every statement took about
four (a cursor, its execution, the fetch, the close), each waiting for the event loop's
turn, and a busy router spent more time in those waits than in SQLite. Every other
database (PostgreSQL through asyncpg, an in-memory SQLite) runs the same work on the async
engine's connection, as SQLAlchemy's ``run_sync`` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["attach_sqlite_thread", "run_transaction"]

T = TypeVar("T")

_THREADS: Final = 5
"""As many as the engine's pool keeps connections: a write waiting for another process's
lock must not hold up this process's reads."""

_sqlite_threads: WeakKeyDictionary[Engine, _SqliteThreads] = WeakKeyDictionary()
"""The threads of each SQLite file engine, by the async engine's synchronous core; engines
that are not here run their transactions on the async engine's own connections."""


class _SqliteThreads:
    """A synchronous engine on the same SQLite file and the threads that use it."""

    __slots__ = ("_engine", "_executor")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, work: Callable[[Connection], T]) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(_THREADS, thread_name_prefix="saattaja-sqlite")
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._in_transaction, work
        )

    def _in_transaction(self, work: Callable[[Connection], T]) -> T:
        with self._engine.begin() as connection:
            return work(connection)

    def dispose(self) -> None:
        """Close the connections and let the threads end; both come back on the next run."""
        self._engine.dispose()
        if self._executor is not None:
            # Without waiting: work already handed over finishes on its thread.
            self._executor.shutdown(wait=False)
            self._executor = None


def attach_sqlite_thread(engine: AsyncEngine, configure: Callable[[Any, Any], None]) -> None:
    """Give a SQLite file engine threads that run its transactions over ``sqlite3``.

    ``configure`` is the engine's connect hook (its pragmas), applied to these connections
    too; disposing of ``engine`` disposes of their connections.
    """
    url = engine.url.set(drivername="sqlite")
    # A connection is used by one thread at a time, but not always the one that opened it.
    sync_engine = sa.create_engine(url, connect_args={"check_same_thread": False})
    sa.event.listen(sync_engine, "connect", configure)
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
