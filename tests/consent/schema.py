"""Migrating a test database to one revision, to make rows as an older version made them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import consent.database


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
