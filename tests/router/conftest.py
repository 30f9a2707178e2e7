"""Fixtures of the router tests: a started router over fresh topics and a migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from broker.registry import OrganisationRegistry
from broker.router import RouterService
from consent.database import upgrade_database
from tests.conftest import postgres_admin_url, postgres_database
from tests.router.events import new_client
from tests.router.harness import Harness, ManualClock, RouterUnderTest, running_router


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


@pytest.fixture
async def measured(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> AsyncIterator[tuple[Harness, RouterService]]:
    """A running router serving its metrics on a free port of loopback."""
    async with running_router(
        kafka_bootstrap, sqlite_database_url, registry, metrics_port=0
    ) as pair:
        yield pair


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated database for one module's tests, once SQLite and once PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('router') / 'router.db'}"
        await upgrade_database(url)
        yield url
        return
    async for url in postgres_database(postgres_admin_url()):
        await upgrade_database(url)
        yield url


@pytest.fixture(scope="module")
async def router(
    kafka_bootstrap: str, module_database_url: str, registry: OrganisationRegistry
) -> AsyncIterator[RouterUnderTest]:
    """One router for a module's tests, which keep apart by each being about clients of its own.

    Its clock stands still until a test moves it.
    """
    clock = ManualClock(datetime.now(UTC))
    async with running_router(kafka_bootstrap, module_database_url, registry, clock=clock) as (
        harness,
        service,
    ):
        yield RouterUnderTest(harness, service, clock)


@pytest.fixture
def client() -> str:
    """A test identity code no other test uses."""
    return new_client()
