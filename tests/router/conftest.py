"""Fixtures of the router tests: a started router over fresh topics and a migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from broker.registry import OrganisationRegistry
from broker.router import RouterService
from consent.database import upgrade_database
from tests.router.harness import Harness, running_router


@pytest.fixture
async def sqlite_database_url(tmp_path: Path) -> str:
    """A migrated SQLite database in a file of its own."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    await upgrade_database(url)
    return url


@pytest.fixture
async def routed(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> AsyncIterator[tuple[Harness, RouterService]]:
    """A running router and the harness to drive it."""
    async with running_router(kafka_bootstrap, sqlite_database_url, registry) as pair:
        yield pair
