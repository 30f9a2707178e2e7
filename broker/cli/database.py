"""The database as a command opens it: its schema checked, and, where the command turned a
client's identity code into a pseudonym, the pseudonym secret the database was filled under."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from consent.database import (
    check_database_schema,
    check_pseudonym_secret,
    create_database_engine,
)
from schemas import Pseudonymiser

__all__ = ["opened_database"]


@asynccontextmanager
async def opened_database(
    database_url: str, *, pseudonymiser: Pseudonymiser | None = None
) -> AsyncIterator[AsyncEngine]:
    """An engine on a database at this version's schema, disposed of on leaving.

    ``pseudonymiser``: the one the command derived a client's pseudonym with; the database
    must have been filled under the same secret.
    """
    # Only commands that read open it so: a mistyped SQLite path must not become a new file.
    engine = create_database_engine(database_url, existing=True)
    try:
        await check_database_schema(engine)
        if pseudonymiser is not None:
            await check_pseudonym_secret(engine, pseudonymiser.fingerprint())
        yield engine
    finally:
        await engine.dispose()
