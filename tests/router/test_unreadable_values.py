"""A store value changed by hand so that it cannot be read back: the router waits, saying so."""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from structlog.testing import capture_logs

from broker.registry import OrganisationRegistry
from broker.router import RouterService
from consent.database import create_database_engine
from consent.store import ConsentStore
from schemas import DataCategory, ReferralOverdue
from tests.broker.conditions import eventually
from tests.broker.scraping import health, sample, scrape
from tests.consent.audit.entries import execute
from tests.router.events import KELA_KIND, START, consent, new_client, referral
from tests.router.harness import PSEUDONYMISER, Harness, ManualClock, route, running_router

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


# Past the referral's due day (five working days), before its expiry (twenty).
_OVERDUE = START + timedelta(days=10)


async def _tampered(database_url: str, statement: str) -> None:
    engine = create_database_engine(database_url)
    try:
        await execute(engine, statement)
    finally:
        await engine.dispose()


@asynccontextmanager
async def _watched_referral(
    kafka_bootstrap: str, database_url: str, registry: OrganisationRegistry, client: str
) -> AsyncIterator[tuple[Harness, RouterService, ManualClock]]:
    """A referral routed to Kela and left unanswered, with the overdue watch looking often."""
    clock = ManualClock(START)
    async with running_router(
        kafka_bootstrap,
        database_url,
        registry,
        clock=clock,
        overdue_scan_seconds=0.05,
        metrics_port=0,
    ) as (harness, service):
        await route(
            harness,
            service,
            consent("C-1", (KELA_KIND,), (DataCategory.REFERRAL,), client=client),
        )
        await route(harness, service, referral("R-1", client=client))
        yield harness, service, clock


async def _watch_paused(
    logs: Sequence[MutableMapping[str, Any]], service: RouterService
) -> MutableMapping[str, Any]:
    """The first ``overdue_watch_paused`` line, once the watch has logged it."""

    def paused() -> list[MutableMapping[str, Any]]:
        return [entry for entry in logs if entry["event"] == "overdue_watch_paused"]

    await eventually(lambda: bool(paused()), within=30, what="the overdue watch pauses")
    assert service.status.overdue_watch_paused is not None
    return paused()[0]


async def _overdue_notices(harness: Harness, client: str) -> list[ReferralOverdue]:
    return [e for e in await harness.events_of("sote", client) if isinstance(e, ReferralOverdue)]


async def test_a_referral_that_cannot_be_read_back_pauses_the_overdue_watch_saying_what_to_do(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    client = new_client()
    async with _watched_referral(kafka_bootstrap, sqlite_database_url, registry, client) as (
        harness,
        service,
        clock,
    ):
        await _tampered(sqlite_database_url, "UPDATE pathway_referrals SET requested_at = 'x'")
        with capture_logs() as logs:
            clock.now = _OVERDUE
            paused = await _watch_paused(logs, service)

        assert str(paused["reason"]).startswith(
            "reading overdue referrals: a row of the pathway tables (pathway_*) holds a value "
            "that cannot be read back"
        )
        assert await _overdue_notices(harness, client) == []


async def test_a_kept_referral_request_that_cannot_be_decoded_pauses_the_overdue_watch(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    client = new_client()
    async with _watched_referral(kafka_bootstrap, sqlite_database_url, registry, client) as (
        harness,
        service,
        clock,
    ):
        # An empty JSON object where the referral's FHIR Bundle was kept.
        await _tampered(sqlite_database_url, "UPDATE pathway_documents SET record_value = X'7B7D'")
        with capture_logs() as logs:
            clock.now = _OVERDUE
            paused = await _watch_paused(logs, service)

        assert str(paused["reason"]).startswith(
            "reading an overdue referral's request: the record kept of it (pathway_documents) "
            "is not an event this release reads"
        )
        assert not [entry for entry in logs if entry["event"] == "overdue_watch_failed"]
        assert await _overdue_notices(harness, client) == []


async def test_an_audit_chain_head_that_cannot_be_read_back_pauses_the_overdue_watch_naming_it(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    client = new_client()
    async with _watched_referral(kafka_bootstrap, sqlite_database_url, registry, client) as (
        harness,
        service,
        clock,
    ):
        await _tampered(sqlite_database_url, "UPDATE audit_chain_head SET sequence = 'x'")
        with capture_logs() as logs:
            clock.now = _OVERDUE
            paused = await _watch_paused(logs, service)

        assert str(paused["reason"]).startswith("the chain head (table audit_chain_head)")
        assert await _overdue_notices(harness, client) == []


async def test_a_paused_overdue_watch_shows_in_health_and_metrics_while_routing_goes_on(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    client = new_client()
    async with _watched_referral(kafka_bootstrap, sqlite_database_url, registry, client) as (
        _harness,
        service,
        clock,
    ):
        await _tampered(sqlite_database_url, "UPDATE pathway_referrals SET requested_at = 'x'")
        with capture_logs() as logs:
            clock.now = _OVERDUE
            await _watch_paused(logs, service)
        status, answered = await health(service.metrics_port)
        samples = await scrape(service.metrics_port)

    assert (status, answered["status"]) == (200, "routing")
    assert str(answered["overdue_watch_paused"]).startswith("reading overdue referrals:")
    assert sample(samples, "saattaja_router_overdue_watch_paused") == 1
    assert sample(samples, "saattaja_router_paused") == 0


async def test_the_overdue_watch_sends_the_notices_once_the_value_is_put_back(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    client = new_client()
    async with _watched_referral(kafka_bootstrap, sqlite_database_url, registry, client) as (
        harness,
        service,
        clock,
    ):
        # Kept aside in a column of no concern here, to be put back as a person would.
        moved = "UPDATE pathway_referrals SET reason = requested_at, requested_at = 'x'"
        await _tampered(sqlite_database_url, moved)
        with capture_logs() as logs:
            clock.now = _OVERDUE
            await _watch_paused(logs, service)
        put_back = "UPDATE pathway_referrals SET requested_at = reason, reason = NULL"
        await _tampered(sqlite_database_url, put_back)
        await eventually(
            lambda: service.status.overdue_watch_paused is None,
            within=30,
            what="the overdue watch resumes",
        )

        [notice] = await _overdue_notices(harness, client)
        assert notice.referral_id == "R-1"
