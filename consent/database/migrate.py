"""Schema migrations (Alembic), run by ``saattaja db upgrade`` or at start of the router."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.database.engine import create_database_engine
from consent.database.failures import translate_database_errors
from consent.errors import SchemaOutOfDateError

__all__ = ["check_database_schema", "upgrade_database"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_UPGRADE_LOCK: Final = 0x5AA77A1A
"""The PostgreSQL advisory lock that upgrades of one database take turns on ("saattaja")."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def _upgrade(connection: Connection, config: Config) -> None:
    if connection.dialect.name == "postgresql":
        # `db upgrade` run on each router host at once: each would read the same revision
        # and run the same migrations, and all but the first failed on the tables the first
        # made, with a traceback. Taken in turn, a later one finds the schema up to date. The
        # lock is the transaction's, so it goes with the commit or the lost connection.
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_UPGRADE_LOCK)))
    # Before Alembic, which would stop at a revision it cannot find with a traceback.
    _refuse_a_later_releases_schema(_current_heads(connection))
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")


async def upgrade_database(url: str) -> None:
    """Create or migrate every table to this version's schema; safe to run again."""
    engine = create_database_engine(url)
    try:
        async with translate_database_errors("migrating the schema"), engine.begin() as conn:
            await conn.run_sync(_upgrade, _config())
    finally:
        await engine.dispose()


def _current_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def check_database_schema(engine: AsyncEngine) -> None:
    """Raise SchemaOutOfDateError unless the database is at this version's schema."""
    expected = set(ScriptDirectory.from_config(_config()).get_heads())
    async with translate_database_errors("reading the schema version"), engine.connect() as conn:
        current = await conn.run_sync(_current_heads)
    if not current:
        raise SchemaOutOfDateError(
            "the database has no Saattaja tables yet: run `saattaja db upgrade` to create "
            "them (SAATTAJA_DATABASE_URL names the database)"
        )
    _refuse_a_later_releases_schema(current)
    if current != expected:
        raise SchemaOutOfDateError(
            f"the database schema is at {sorted(current)}, this version needs "
            f"{sorted(expected)}: run `saattaja db upgrade` (SAATTAJA_DATABASE_URL names it)"
        )


def _refuse_a_later_releases_schema(current: set[str]) -> None:
    """SchemaOutOfDateError when the database has migrations this version does not have."""
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    unknown = current - known
    if unknown:
        # This version's upgrade cannot help: it does not know those migrations, let alone
        # how to undo them.
        raise SchemaOutOfDateError(
            f"the database schema is at {sorted(current)}: {sorted(unknown)} come from a "
            "later release of Saattaja than this one, which upgraded the database; run that "
            "release (`saattaja --version` names this one), or restore the database from "
            "before its upgrade (SAATTAJA_DATABASE_URL names it)"
        )
