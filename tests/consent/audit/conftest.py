"""Fixtures of the audit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.database import create_database_engine, upgrade_database


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated SQLite file, whose time and JSON columns keep any text written by hand."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'saattaja.db'}"
    await upgrade_database(url)
    engine = create_database_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
