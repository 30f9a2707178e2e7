"""Pathway tests: an engine on a migrated database of each kind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.database import create_database_engine


@pytest.fixture
async def engine(migrated_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated database: SQLite in a file, then PostgreSQL."""
    engine = create_database_engine(migrated_database_url)
    try:
        yield engine
    finally:
        await engine.dispose()
