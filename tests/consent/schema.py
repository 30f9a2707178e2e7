"""Test databases: migrated to one revision, compared with the code, stamped with a secret."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

import consent.database
from consent.database import (
    check_pseudonym_secret,
    create_database_engine,
    metadata,
    upgrade_database,
)
from schemas import Pseudonymiser


async def upgrade_to(engine: AsyncEngine, revision: str) -> None:
    """Run the project's migrations up to ``revision`` (or ``heads``)."""
    await _migrate(engine, command.upgrade, revision)


async def downgrade_to(engine: AsyncEngine, revision: str) -> None:
    """Undo the project's migrations down to ``revision``, which is left applied."""
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


def older_database(url: str) -> str:
    """``url`` migrated as by the release before 0010: a database `saattaja db upgrade` has
    not met since; returned."""

    async def migrate() -> None:
        await upgrade_database(url)
        engine = create_database_engine(url)
        try:
            await downgrade_to(engine, "0007_consent_chain")  # the step before 0010
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    return url


LATER_REVISION = "0999_a_later_release"


def later_database(url: str) -> str:
    """``url`` migrated by this version and then by a later one, with a migration
    (``LATER_REVISION``) this version does not have; returned."""

    async def migrate() -> None:
        await upgrade_database(url)
        engine = create_database_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    text("INSERT INTO alembic_version (version_num) VALUES (:revision)"),
                    {"revision": LATER_REVISION},
                )
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    return url


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


def stamp_pseudonym_secret(url: str, secret: bytes) -> None:
    """Record ``secret``'s fingerprint, as the first router to start under it would have."""

    async def stamp() -> None:
        engine = create_database_engine(url)
        try:
            fingerprint = Pseudonymiser(secret).fingerprint()
            await check_pseudonym_secret(engine, fingerprint, record_at=datetime.now(UTC))
        finally:
            await engine.dispose()

    asyncio.run(stamp())
