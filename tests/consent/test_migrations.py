"""`saattaja db upgrade` on PostgreSQL as a region runs it: from several hosts at once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.database import check_database_schema, create_database_engine, upgrade_database
from tests.broker.conditions import eventually
from tests.consent.schema import downgrade_to


@pytest.mark.postgres
async def test_upgrades_run_at_once_take_turns_and_each_finishes(
    postgres_database_url: str,
) -> None:
    await upgrade_database(postgres_database_url)
    engine = create_database_engine(postgres_database_url)
    try:
        await downgrade_to(engine, "0009_pathway_event_digest")  # 0012 left to run
        async with engine.begin() as holder:
            # Holds the first upgrade back from recording its revision, and so from its
            # commit, while the second begins.
            await holder.execute(text("LOCK TABLE alembic_version IN EXCLUSIVE MODE"))
            first = asyncio.create_task(upgrade_database(postgres_database_url))
            await eventually(
                lambda: _waiting_for_locks(engine, 1), within=30, what="the first upgrade held"
            )
            second = asyncio.create_task(upgrade_database(postgres_database_url))
            await eventually(
                lambda: second.done() or _waiting_for_locks(engine, 2),
                within=30,
                what="the second upgrade finished or waiting",
            )
        await asyncio.gather(first, second)

        await check_database_schema(engine)
    finally:
        await engine.dispose()


async def _waiting_for_locks(engine: AsyncEngine, count: int) -> bool:
    async with engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return (waiting or 0) >= count
