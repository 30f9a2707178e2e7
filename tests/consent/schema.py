"""Migrating a test database to one revision, and comparing what migrations made with the code."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import consent.database
from consent.database import metadata


async def upgrade_to(engine: AsyncEngine, revision: str) -> None:
    """Run the project's migrations up to ``revision`` (or ``heads``)."""
    await _migrate(engine, command.upgrade, revision)


async def downgrade_to(engine: AsyncEngine, revision: str) -> None:
    """Undo the project's migrations down to ``revision`` (``<revision>@-1``: one step)."""
    await _migrate(engine, command.downgrade, revision)


async def _migrate(
    engine: AsyncEngine, action: Callable[[Config, str], None], revision: str
) -> None:
    config = Config()
    config.set_main_option(
        "script_location", str(Path(consent.database.__file__).parent / "migrations")
    )

    def migrate(connection: Connection) -> None:
        config.attributes["connection"] = connection
        action(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(migrate)


async def schema_differences(engine: AsyncEngine, tables: Collection[str]) -> list[object]:
    """How the migrated ``tables`` differ from the tables the code declares ([] when alike)."""

    def only(_object: object, name: str | None, kind: str, *_: object) -> bool:
        return kind != "table" or name in tables

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": only}
        )
        return list(compare_metadata(context, metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(differences)
