"""Indicator tests: engines on migrated databases of each kind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.pathway.tables import (
    pathway_assessments,
    pathway_episodes,
    pathway_handovers,
    pathway_hints,
    pathway_referrals,
)
from consent.database import create_database_engine, upgrade_database
from tests.conftest import postgres_admin_url, postgres_database

FACT_TABLES = (
    pathway_referrals,
    pathway_assessments,
    pathway_hints,
    pathway_handovers,
    pathway_episodes,
)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def module_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated database, SQLite then PostgreSQL, shared by a module's tests.

    Migrating and loading a database per test would cost more than the tests themselves.
    """
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('indicators') / 'saattaja.db'}"
        async for engine in _migrated(url):
            yield engine
        return
    async for url in postgres_database(postgres_admin_url()):
        async for engine in _migrated(url):
            yield engine


async def _migrated(url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(url)
    engine = create_database_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def clean_engine(module_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The module's database with empty pathway fact tables, emptied again afterwards."""
    await _empty(module_engine)
    yield module_engine
    await _empty(module_engine)


async def _empty(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        for table in FACT_TABLES:
            await connection.execute(table.delete())
