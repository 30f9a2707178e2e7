"""The database fixtures give every test an empty, migratable database of each kind."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from consent.database import check_database_schema, create_database_engine, upgrade_database
from consent.errors import SchemaOutOfDateError
from tests.consent.schema import LATER_REVISION, downgrade_to, later_database


async def test_migrated_database_is_at_the_current_schema(migrated_database_url: str) -> None:
    engine = create_database_engine(migrated_database_url)
    try:
        await check_database_schema(engine)
    finally:
        await engine.dispose()


async def test_upgrade_twice_changes_nothing(migrated_database_url: str) -> None:
    await upgrade_database(migrated_database_url)
    engine = create_database_engine(migrated_database_url)
    try:
        async with engine.connect() as connection:
            versions = (await connection.execute(text("SELECT * FROM alembic_version"))).all()
        await check_database_schema(engine)
    finally:
        await engine.dispose()
    assert len(versions) >= 1


async def test_unmigrated_database_is_refused_with_the_command_to_run(database_url: str) -> None:
    engine = create_database_engine(database_url)
    try:
        with pytest.raises(
            SchemaOutOfDateError, match=r"has no Saattaja tables yet: run `saattaja db upgrade`"
        ):
            await check_database_schema(engine)
    finally:
        await engine.dispose()


async def test_a_database_of_an_older_version_is_refused_naming_both_schemas(
    migrated_database_url: str,
) -> None:
    engine = create_database_engine(migrated_database_url)
    try:
        await downgrade_to(engine, "0007_consent_chain")  # the step before 0010
        with pytest.raises(
            SchemaOutOfDateError,
            match=r"is at \[.*'0007_consent_chain'.*\], this version needs .*"
            r"'0010_consent_event_digest'.*: run `saattaja db upgrade`",
        ):
            await check_database_schema(engine)
    finally:
        await engine.dispose()


def test_a_database_a_later_release_upgraded_is_refused_naming_that_release(
    database_url: str,
) -> None:
    later = later_database(database_url)

    async def check() -> None:
        engine = create_database_engine(later)
        try:
            await check_database_schema(engine)
        finally:
            await engine.dispose()

    # This version's upgrade cannot undo a later release's migration: not the thing to say.
    with pytest.raises(SchemaOutOfDateError, match="come from a later release") as refused:
        asyncio.run(check())
    assert LATER_REVISION in str(refused.value)
    assert "db upgrade" not in str(refused.value)


def test_upgrade_refuses_a_database_a_later_release_upgraded_naming_that_release(
    database_url: str,
) -> None:
    later = later_database(database_url)

    with pytest.raises(SchemaOutOfDateError, match="come from a later release"):
        asyncio.run(upgrade_database(later))
