"""All the events of one client reach one router process, whichever outbox they come from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from broker.errors import ConfigurationError
from broker.kafka import KafkaConnection, partition_of
from broker.pathway.tables import pathway_referrals
from broker.registry import OrganisationRegistry
from broker.router import RouterService
from broker.topics import create_topics, inbox_topic, outbox_topic, partition_counts
from consent.database import upgrade_database
from schemas import DataCategory
from tests.broker.conditions import eventually
from tests.router.events import KELA_KIND, consent, new_client, referral, revocation
from tests.router.harness import (
    CODEC,
    PSEUDONYMISER,
    Harness,
    ManualClock,
    route,
    router_settings,
    running_router,
    suffixed_registry,
)

pytestmark = pytest.mark.kafka


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    await upgrade_database(url)
    return url


def _numbers_by_outbox(service: RouterService) -> dict[str, set[int]]:
    owned: dict[str, set[int]] = {}
    for topic, partition in service.owned_partitions():
        owned.setdefault(topic, set()).add(partition)
    return owned


def one_client_per_partition(partitions: int) -> list[str]:
    """A new client whose events go to each partition of the outboxes, in partition order."""
    found: dict[int, str] = {}
    while len(found) < partitions:
        client = new_client()
        found.setdefault(partition_of(PSEUDONYMISER.pseudonym(client).encode(), partitions), client)
    return [found[partition] for partition in range(partitions)]


@dataclass(frozen=True)
class TwoRouters:
    """Two routers of one group over three partitions of every outbox, both owning some."""

    harness: Harness
    first: RouterService
    second: RouterService
    clock: ManualClock

    @property
    def both(self) -> tuple[RouterService, RouterService]:
        return self.first, self.second


@pytest.fixture(scope="module")
async def two_routers(
    kafka_bootstrap: str,
    registry: OrganisationRegistry,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[TwoRouters]:
    """One pair for the module's tests (a group takes seconds to share out), each test
    about clients of its own."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('pair') / 'router.db'}"
    await upgrade_database(url)
    clock = ManualClock(datetime.now(UTC))
    async with running_router(kafka_bootstrap, url, registry, topic_partitions=3, clock=clock) as (
        harness,
        first,
    ):
        second = RouterService(harness.settings, harness.registry, harness.connection, clock=clock)
        await second.start()
        try:
            every = harness.settings.topic_partitions * len(harness.registry)

            def shared_out() -> bool:
                mine, theirs = first.owned_partitions(), second.owned_partitions()
                return bool(mine) and bool(theirs) and len(mine | theirs) == every

            await eventually(shared_out, within=60, what="the outboxes shared by two routers")
            yield TwoRouters(harness, first, second, clock)
        finally:
            await second.stop()


async def test_two_routers_in_a_group_each_own_the_same_partitions_of_every_outbox(
    two_routers: TwoRouters,
) -> None:
    outboxes = {outbox_topic(organisation.id) for organisation in two_routers.harness.registry}
    for service in two_routers.both:
        by_outbox = _numbers_by_outbox(service)
        assert set(by_outbox) == outboxes
        assert len({frozenset(numbers) for numbers in by_outbox.values()}) == 1
    assert not two_routers.first.owned_partitions() & two_routers.second.owned_partitions()


async def test_each_client_is_owned_by_the_router_holding_the_partition_their_events_go_to(
    two_routers: TwoRouters,
) -> None:
    harness, routers = two_routers.harness, two_routers.both
    sote = harness.org("sote").id
    for number in range(12):
        client = new_client()
        at = two_routers.clock.now
        partition = await harness.publish_raw(
            sote, CODEC.encode(referral(f"R-{number}", client=client, at=at))
        )
        holds = [(outbox_topic(sote), partition) in r.owned_partitions() for r in routers]
        pseudonym = PSEUDONYMISER.pseudonym(client)
        assert [r.owns_client(pseudonym) for r in routers] == holds
        assert sum(holds) == 1


async def test_a_router_escalates_only_the_overdue_referrals_of_clients_it_owns(
    two_routers: TwoRouters,
) -> None:
    harness, routers, clock = two_routers.harness, two_routers.both, two_routers.clock
    client = new_client()
    await harness.publish(referral("R-owned", client=client, at=clock.now))

    async def state() -> str | None:
        rows = await harness.rows(pathway_referrals, client)
        return str(rows[0]["state"]) if rows else None

    async def routed() -> bool:
        return await state() is not None

    await eventually(routed, within=60, what="the referral routed")
    pseudonym = PSEUDONYMISER.pseudonym(client)
    owner, other = sorted(routers, key=lambda r: not r.owns_client(pseudonym))
    clock.now += timedelta(days=60)  # long past due: expired

    await other.escalate_overdue()
    assert await state() == "requested"
    await owner.escalate_overdue()
    assert await state() == "expired"


async def test_a_router_escalates_its_own_overdue_referrals_behind_a_page_of_others(
    two_routers: TwoRouters,
) -> None:
    harness, routers, clock = two_routers.harness, two_routers.both, two_routers.clock
    first = new_client()
    first_owner = next(r for r in routers if r.owns_client(PSEUDONYMISER.pseudonym(first)))
    second = new_client()
    while first_owner.owns_client(PSEUDONYMISER.pseudonym(second)):
        second = new_client()
    # Keys in this order: the other router's referral fills the first page of one.
    await harness.publish(referral("R-page-a", client=first, at=clock.now))
    await harness.publish(referral("R-page-b", client=second, at=clock.now))

    async def state(client: str) -> str | None:
        rows = await harness.rows(pathway_referrals, client)
        return str(rows[0]["state"]) if rows else None

    async def both_routed() -> bool:
        return None not in (await state(first), await state(second))

    await eventually(both_routed, within=60, what="both referrals routed")
    second_owner = next(r for r in routers if r is not first_owner)
    clock.now += timedelta(days=60)  # long past due: expired

    await second_owner.escalate_overdue(page_size=1)

    assert await state(second) == "expired"
    assert await state(first) == "requested"


async def test_a_router_refuses_to_start_on_outboxes_of_different_partition_counts(
    kafka_bootstrap: str, sqlite_url: str, registry: OrganisationRegistry
) -> None:
    organisations = list(suffixed_registry(registry))
    connection = KafkaConnection(kafka_bootstrap)
    await create_topics(connection, OrganisationRegistry(organisations[:1]), 3)
    await create_topics(connection, OrganisationRegistry(organisations[1:]), 2)
    service = RouterService(
        router_settings(kafka_bootstrap, sqlite_url),
        OrganisationRegistry(organisations),
        connection,
    )

    with pytest.raises(ConfigurationError, match="different numbers of partitions") as refused:
        await service.start()

    assert f"{outbox_topic(organisations[0].id)}: 3" in str(refused.value)
    assert f"{outbox_topic(organisations[1].id)}: 2" in str(refused.value)


async def test_a_router_refuses_to_start_while_a_topic_of_the_registry_is_missing(
    kafka_bootstrap: str, sqlite_url: str, registry: OrganisationRegistry
) -> None:
    # Subscribed to, it would be created by the cluster with its default partitions.
    organisations = list(suffixed_registry(registry))
    connection = KafkaConnection(kafka_bootstrap)
    await create_topics(connection, OrganisationRegistry(organisations[1:]), 2)
    service = RouterService(
        router_settings(kafka_bootstrap, sqlite_url),
        OrganisationRegistry(organisations),
        connection,
    )
    missing = outbox_topic(organisations[0].id)

    try:
        with pytest.raises(ConfigurationError, match="saattaja topics create") as refused:
            await service.start()
    finally:
        await service.stop()

    assert f"the topics {missing}, {inbox_topic(organisations[0].id)} do not" in str(refused.value)
    assert missing not in await partition_counts(connection, [missing])


async def test_a_router_checks_the_outboxes_at_start_through_one_admin_connection(
    kafka_bootstrap: str,
    sqlite_url: str,
    registry: OrganisationRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    organisations = OrganisationRegistry(list(suffixed_registry(registry)))
    connection = KafkaConnection(kafka_bootstrap)
    await create_topics(connection, organisations, 2)
    opened: list[AIOKafkaAdminClient] = []
    start_admin = AIOKafkaAdminClient.start

    async def counted_start(admin: AIOKafkaAdminClient) -> None:
        opened.append(admin)
        await start_admin(admin)

    monkeypatch.setattr(AIOKafkaAdminClient, "start", counted_start)
    service = RouterService(router_settings(kafka_bootstrap, sqlite_url), organisations, connection)
    try:
        await service.start()
    finally:
        await service.stop()

    assert len(opened) == 1


async def test_a_router_reads_again_the_clients_whose_partitions_moved_away_and_back(
    kafka_bootstrap: str, sqlite_url: str, registry: OrganisationRegistry
) -> None:
    clock = ManualClock(datetime.now(UTC))
    async with running_router(
        kafka_bootstrap, sqlite_url, registry, topic_partitions=3, clock=clock
    ) as (harness, first):
        clients = one_client_per_partition(harness.settings.topic_partitions)
        # Every client known to the first router, whichever partitions move later. The
        # consents first: a referral from another outbox has no order with them.
        await route(
            harness,
            first,
            *(
                consent(f"C-m{number}", (KELA_KIND,), (DataCategory.REFERRAL,), client=client)
                for number, client in enumerate(clients)
            ),
        )
        await route(
            harness,
            first,
            *(
                referral(f"R-m{number}", client=client, at=clock.now)
                for number, client in enumerate(clients)
            ),
        )
        second = RouterService(harness.settings, harness.registry, harness.connection, clock=clock)
        await second.start()
        try:
            await eventually(
                lambda: bool(second.owned_partitions()) and bool(first.owned_partitions()),
                within=60,
                what="the outboxes shared by two routers",
            )
            moved = next(c for c in clients if second.owns_client(PSEUDONYMISER.pseudonym(c)))
            number = clients.index(moved)
            await route(harness, second, revocation(f"C-m{number}", client=moved))
        finally:
            await second.stop()
        await eventually(
            lambda: first.owns_client(PSEUDONYMISER.pseudonym(moved)),
            within=60,
            what="the client's partition back with the first router",
        )
        later = referral(f"R-m{number}-later", client=moved, at=clock.now)
        await route(harness, first, later)

    decisions = {
        record.decision
        for record in await harness.audit_records_of(moved)
        if record.event_id == later.event_id
    }
    assert decisions == {"deny"}
