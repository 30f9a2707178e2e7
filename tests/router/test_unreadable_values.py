"""A store value changed by hand so that it cannot be read back: the router waits, saying so."""

from __future__ import annotations

import pytest

from broker.registry import OrganisationRegistry
from consent.database import create_database_engine
from consent.store import ConsentStore
from schemas import DataCategory
from tests.broker.conditions import eventually
from tests.consent.audit.entries import execute
from tests.router.events import KELA_KIND, START, consent, new_client, referral
from tests.router.harness import PSEUDONYMISER, route, running_router

pytestmark = pytest.mark.kafka


async def _consent_changed_by_hand(database_url: str, client: str) -> None:
    # Recorded before the router starts, so that it has not read it yet; SQLite keeps any
    # text in a time column.
    engine = create_database_engine(database_url)
    try:
        granted = consent("C-1", (KELA_KIND,), (DataCategory.REFERRAL,), client=client)
        await ConsentStore(engine).apply_all(
            [(granted, PSEUDONYMISER.pseudonym(client))], applied_at=START
        )
        await execute(engine, "UPDATE consent_versions SET applied_at = 'x'")
    finally:
        await engine.dispose()


async def test_a_consent_that_cannot_be_read_back_pauses_routing_saying_to_run_verify(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    client = new_client()
    await _consent_changed_by_hand(sqlite_database_url, client)
    async with running_router(kafka_bootstrap, sqlite_database_url, registry) as (
        harness,
        service,
    ):
        await harness.publish(referral("R-1", client=client))
        await eventually(
            lambda: service.status.paused_reason is not None,
            within=30,
            what="the router pauses routing",
        )

        assert service.status.paused_reason == (
            "reading clients' consents: a record holds a value that cannot be read back, "
            "changed after it was written: run `saattaja audit verify`, which names it"
        )
        assert await harness.inbox_of("kela", client) == []


async def test_a_referral_that_cannot_be_read_back_pauses_routing_saying_what_to_do(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    client = new_client()
    async with running_router(kafka_bootstrap, sqlite_database_url, registry) as routed:
        await route(*routed, referral("R-1", client=client))
    engine = create_database_engine(sqlite_database_url)
    try:
        await execute(engine, "UPDATE pathway_referrals SET due_at = 'x'")
    finally:
        await engine.dispose()

    # A router started afresh reads the client's pathway from the store.
    async with running_router(kafka_bootstrap, sqlite_database_url, registry) as (
        harness,
        service,
    ):
        await harness.publish(referral("R-2", client=client))
        await eventually(
            lambda: service.status.paused_reason is not None,
            within=30,
            what="the router pauses routing",
        )

        assert str(service.status.paused_reason).startswith(
            "reading clients' pathways: a row of the pathway tables (pathway_*) holds a value "
            "that cannot be read back"
        )
        assert await harness.inbox_of("kela", client) == []
