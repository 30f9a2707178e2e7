"""`saattaja db upgrade` as a region runs it: over the data of every earlier schema, and on
PostgreSQL from several hosts at once."""

from __future__ import annotations

import asyncio
import uuid
from functools import partial
from typing import Final

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.pathway import PathwayStore
from broker.router import DeliveryLedger
from broker.router.positions import RoutedOffsets
from consent.audit import AuditFilter, AuditLog
from consent.database import (
    check_database_schema,
    create_database_engine,
    run_transaction,
    upgrade_database,
)
from consent.store import ConsentStore
from tests.broker.conditions import eventually
from tests.consent.audit.entries import KELA, TYP, entry
from tests.consent.audit.entries import PSEUDONYM as AUDITED
from tests.consent.builders import PSEUDONYM, T0, grant
from tests.consent.schema import downgrade_to
from tests.consent.test_consent_chain import HISTORY
from tests.pathway.test_store import saved_request

FIRST_SCHEMAS: Final = (
    "0002_consent_store",
    "0003_audit_log",
    "0004_router_deliveries",
    "0005_pathway",
    "0008_pseudonym_secret",
    "0014_router_offsets",
)
"""The revision that made each table, each of its branch: every later one changes them."""


async def test_db_upgrade_from_each_table_s_first_schema_keeps_its_rows_readable_and_chained(
    database_url: str,
) -> None:
    engine = create_database_engine(database_url)
    try:
        await upgrade_database(database_url)
        audit, consents, pathway = AuditLog(engine), ConsentStore(engine), PathwayStore(engine)
        # What the first release could have written: no handover, no refused transition.
        event = uuid.uuid4()
        await audit.append([entry(event_id=event, recipient=KELA), entry(recipient=TYP)])
        await consents.apply_all([(e, PSEUDONYM) for e in HISTORY], applied_at=T0)
        referral = await saved_request(pathway)
        await DeliveryLedger(engine).record([(event, KELA)], T0)
        await run_transaction(
            engine,
            partial(RoutedOffsets.record_in, offsets={("saattaja.sote.outbox", 1): 7}, at=T0),
        )
        records = [r async for r in audit.query(AuditFilter())]
        history = await consents.history(PSEUDONYM)
        for revision in FIRST_SCHEMAS:
            await downgrade_to(engine, revision)
        async with engine.connect() as connection:
            at = set((await connection.scalars(text("SELECT * FROM alembic_version"))).all())
        assert at == set(FIRST_SCHEMAS)
        await engine.dispose()  # a release's connections do not outlive it

        await upgrade_database(database_url)

        assert [r async for r in audit.query(AuditFilter())] == records
        assert await consents.history(PSEUDONYM) == history
        assert await pathway.referrals([referral.key]) == {referral.key: referral}
        assert await DeliveryLedger(engine).delivered([event]) == {(event, KELA)}
        assert await RoutedOffsets(engine).of({("saattaja.sote.outbox", 1)}) == {
            ("saattaja.sote.outbox", 1): 7
        }
        [appended] = await audit.append([entry(recipient=KELA, client=AUDITED)])
        assert appended.sequence == len(records) + 1
        await consents.apply(grant("C-9"), pseudonym=PSEUDONYM, applied_at=T0)
        for result in (await audit.verify(), await consents.verify()):
            assert result.ok, result.describe()
    finally:
        await engine.dispose()


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
