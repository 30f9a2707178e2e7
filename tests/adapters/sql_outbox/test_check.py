"""check() says in words what keeps the adapter from the organisation's tables."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sdk import AdapterConfigurationError, AdapterContext
from adapters.sql_outbox import SqlOutboxAdapter, create_tables, ddl
from tests.adapters.sql_outbox.harness import settings_for

pytestmark = pytest.mark.postgres

_FIX = "run adapters.sql_outbox.create_tables(url) or the DDL of adapters.sql_outbox.ddl()"


async def check(url: str) -> list[str]:
    return await SqlOutboxAdapter(settings_for(url)).check()


async def execute(url: str, *statements: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def test_check_reports_each_missing_table_and_how_to_create_it(
    postgres_database_url: str,
) -> None:
    assert await check(postgres_database_url) == [
        f"table saattaja_outbox is missing: {_FIX}",
        f"table saattaja_inbox is missing: {_FIX}",
    ]


async def test_check_finds_nothing_wrong_with_the_tables_create_tables_made(
    postgres_database_url: str,
) -> None:
    await create_tables(postgres_database_url)
    assert await check(postgres_database_url) == []


async def test_the_documented_postgresql_ddl_makes_tables_check_accepts(
    postgres_database_url: str,
) -> None:
    statements = [part.strip() for part in ddl("postgresql").split(";") if part.strip()]
    await execute(postgres_database_url, *statements)
    assert await check(postgres_database_url) == []


async def test_check_names_the_columns_a_table_lacks(postgres_database_url: str) -> None:
    await create_tables(postgres_database_url)
    await execute(postgres_database_url, "ALTER TABLE saattaja_outbox DROP COLUMN error")
    assert await check(postgres_database_url) == [
        "table saattaja_outbox lacks column(s) error: add them as the DDL of "
        "adapters.sql_outbox.ddl() defines them"
    ]


async def test_check_says_when_the_inbox_would_take_an_event_twice(
    postgres_database_url: str,
) -> None:
    await create_tables(postgres_database_url)
    await execute(
        postgres_database_url,
        "ALTER TABLE saattaja_inbox DROP CONSTRAINT saattaja_inbox_event_id_key",
    )
    [problem] = await check(postgres_database_url)
    assert problem.startswith("saattaja_inbox.event_id is not unique")


async def test_check_says_when_the_database_does_not_answer() -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    [problem] = await check("postgresql+asyncpg://saattaja@127.0.0.1:1/asiakas")
    assert problem.startswith("the database postgresql+asyncpg://saattaja@127.0.0.1:1/asiakas")
    assert "check SAATTAJA_SQL_OUTBOX_DATABASE_URL" in problem


async def test_check_says_when_the_server_refuses_the_database_the_url_names(
    postgres_database_url: str,
) -> None:
    missing = make_url(postgres_database_url).set(database="saattaja_no_such_database")
    url = missing.render_as_string(hide_password=False)
    [problem] = await check(url)
    assert problem.startswith(f"the database {missing} refused the connection")
    assert '"saattaja_no_such_database" does not exist' in problem
    assert "check the user, password and database name in SAATTAJA_SQL_OUTBOX_DATABASE_URL" in (
        problem
    )


async def test_a_url_without_a_driver_as_a_dba_writes_it_reaches_the_database(
    postgres_database_url: str,
) -> None:
    bare = make_url(postgres_database_url).set(drivername="postgresql")
    assert await check(bare.render_as_string(hide_password=False)) == [
        f"table saattaja_outbox is missing: {_FIX}",
        f"table saattaja_inbox is missing: {_FIX}",
    ]


async def test_run_stops_at_start_when_the_server_refuses_the_database_the_url_names(
    postgres_database_url: str, local_context: AdapterContext
) -> None:
    missing = make_url(postgres_database_url).set(database="saattaja_no_such_database")
    adapter = SqlOutboxAdapter(settings_for(missing.render_as_string(hide_password=False)))

    try:
        with pytest.raises(AdapterConfigurationError, match="refused the connection"):
            async with asyncio.timeout(60):
                await adapter.run(local_context)
    finally:
        await adapter.close()
