"""A router process serves its metrics to Prometheus and its health, over HTTP, as it routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from broker.errors import ConfigurationError
from broker.registry import OrganisationRegistry
from broker.router import RouterService
from broker.topics import outbox_topic
from schemas import DataCategory, KafkaRecord, OrganisationKind, Recipient
from tests.broker.conditions import eventually
from tests.broker.scraping import health, sample, scrape
from tests.router.events import consent, kykyviisari, referral
from tests.router.harness import (
    Harness,
    ManualClock,
    route,
    running_router,
    wait_until_handled,
)

pytestmark = pytest.mark.kafka


async def test_records_are_counted_by_outcome(measured: tuple[Harness, RouterService]) -> None:
    harness, service = measured
    kela = (Recipient(kind=OrganisationKind.KELA),)
    await route(harness, service, consent("C-1", kela, (DataCategory.REFERRAL,)))
    await route(harness, service, referral("R-1"))
    await harness.publish_raw(harness.org("sote").id, KafkaRecord(b"k", (), b"not an event"))
    await wait_until_handled(service, 3)

    samples = await scrape(service.metrics_port)

    assert sample(samples, "saattaja_router_records_total", outcome="applied") == 1
    assert sample(samples, "saattaja_router_records_total", outcome="routed") == 1
    assert sample(samples, "saattaja_router_records_total", outcome="rejected") == 1
    assert sample(samples, "saattaja_router_batch_seconds_count") >= 1


async def test_decisions_are_counted_as_the_audit_log_has_them(
    measured: tuple[Harness, RouterService],
) -> None:
    harness, service = measured
    kela = (Recipient(kind=OrganisationKind.KELA),)
    await route(harness, service, consent("C-1", kela, (DataCategory.REFERRAL,)))
    await route(harness, service, referral("R-1"), referral("R-2", receiver=harness.org("typ").oid))

    samples = await scrape(service.metrics_port)
    records = await harness.audit_records()

    assert records
    for record in records:
        counted = sample(
            samples,
            "saattaja_router_decisions_total",
            decision=record.decision,
            reason=record.reason,
        )
        assert counted == sum(
            (r.decision, r.reason) == (record.decision, record.reason) for r in records
        )


async def test_lag_of_each_partition_routed_is_zero_once_caught_up(
    measured: tuple[Harness, RouterService],
) -> None:
    harness, service = measured
    partition = await harness.publish_raw(harness.org("sote").id, KafkaRecord(b"k", (), b"x"))
    await wait_until_handled(service, 1)

    samples = await scrape(service.metrics_port)

    topic = f"saattaja.{harness.org('sote').id}.outbox"
    labels = {"topic": topic, "partition": str(partition)}
    assert ("saattaja_router_lag_records", frozenset(labels.items())) in samples
    assert sample(samples, "saattaja_router_lag_records", **labels) == 0


async def test_lag_of_a_partition_another_router_took_over_is_no_longer_exported(
    measured: tuple[Harness, RouterService],
) -> None:
    harness, first = measured
    sote = harness.org("sote").id
    outbox = outbox_topic(sote)
    every_partition = {(outbox, str(p)) for p in range(harness.settings.topic_partitions)}
    for partition in range(harness.settings.topic_partitions):
        await harness.publish_raw(sote, KafkaRecord(b"k", (), b"x"), partition=partition)

    async def lag_exported_of(expected: set[tuple[str, str]]) -> bool:
        return await _lag_series(first, outbox) == expected

    await eventually(
        lambda: lag_exported_of(every_partition), within=60, what="lag of every partition"
    )
    second = RouterService(harness.settings, harness.registry, harness.connection)
    await second.start()
    try:

        async def only_its_own() -> bool:
            owned = {(t, str(p)) for t, p in first.owned_partitions() if t == outbox}
            return bool(second.owned_partitions()) and await lag_exported_of(owned)

        await eventually(only_its_own, within=60, what="lag of the partitions it still owns")
    finally:
        await second.stop()


async def _lag_series(service: RouterService, topic: str) -> set[tuple[str, str]]:
    """The (topic, partition) labels of the lag series a router exports for one topic."""
    samples = await scrape(service.metrics_port)
    series = (dict(labels) for name, labels in samples if name == "saattaja_router_lag_records")
    return {(s["topic"], s["partition"]) for s in series if s["topic"] == topic}


async def test_health_answers_routing_with_the_partitions_held(
    measured: tuple[Harness, RouterService],
) -> None:
    _, service = measured

    status, body = await health(service.metrics_port)

    assert status == 200
    assert body["status"] == "routing"
    assert isinstance(body["partitions"], list)
    assert body["partitions"] == sorted(f"{t}-{p}" for t, p in service.owned_partitions())


async def test_no_metrics_are_served_unless_a_port_is_set(
    routed: tuple[Harness, RouterService],
) -> None:
    _, service = routed

    assert service.metrics_port is None


async def test_a_metrics_port_in_use_fails_the_start_naming_the_settings(
    kafka_bootstrap: str,
    sqlite_database_url: str,
    registry: OrganisationRegistry,
    measured: tuple[Harness, RouterService],
) -> None:
    _, first = measured

    with pytest.raises(ConfigurationError, match="SAATTAJA_METRICS_PORT"):
        async with running_router(
            kafka_bootstrap, sqlite_database_url, registry, metrics_port=first.metrics_port
        ):
            pass


async def test_an_escalation_is_counted_once_it_is_sent(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    requested_at = datetime(2026, 6, 18, 10, 0, tzinfo=UTC)
    clock = ManualClock(requested_at)
    async with running_router(
        kafka_bootstrap, sqlite_database_url, registry, clock=clock, metrics_port=0
    ) as (harness, service):
        await route(harness, service, referral("R-1", at=requested_at))
        before = await scrape(service.metrics_port)
        clock.now = requested_at + timedelta(days=30)  # past due, and past expiry

        await service.escalate_overdue()
        after = await scrape(service.metrics_port)

    name = "saattaja_router_overdue_escalations_total"
    assert (sample(before, name), sample(after, name)) == (0, 1)


async def test_documents_removed_at_the_end_of_their_retention_are_counted(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    recorded_at = datetime(2026, 6, 18, 10, 0, tzinfo=UTC)
    clock = ManualClock(recorded_at)
    async with running_router(
        kafka_bootstrap, sqlite_database_url, registry, clock=clock, metrics_port=0
    ) as (harness, service):
        await route(harness, service, kykyviisari("KV-1", at=recorded_at))
        before = await scrape(service.metrics_port)
        clock.now = recorded_at + timedelta(days=366)

        await service.remove_expired_documents()
        after = await scrape(service.metrics_port)

    name = "saattaja_router_pathway_documents_removed_total"
    assert (sample(before, name), sample(after, name)) == (0, 1)
