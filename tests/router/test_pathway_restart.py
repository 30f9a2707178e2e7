"""A router stopped in the middle of many clients' journeys and started again hands over once.

Each client's journey: consents, the health centre's Kykyviisari, a referral to Kela, a case
manager with TYP in the team, a TYP plan; then Kela takes the catch and TYP assesses again.
The router is stopped while the second half is being routed, and a new one takes over.
Every package, hint and handed-over document reaches its recipient once, the audit log
holds each decision once and still verifies, and every referral ends accepted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

import pytest
import sqlalchemy as sa

from broker.kafka import KafkaConnection
from broker.pathway import derived_id
from broker.pathway.tables import (
    pathway_events,
    pathway_handovers,
    pathway_hints,
    pathway_referrals,
)
from broker.registry import OrganisationRegistry
from broker.router import RouterService
from consent.audit import AuditLog
from consent.database import create_database_engine
from schemas import DataCategory, Event, OrganisationKind, Recipient
from tests.broker.conditions import eventually
from tests.router.events import (
    KELA,
    SOTE,
    START,
    TYP,
    acceptance,
    case_manager,
    consent,
    kykyviisari,
    new_client,
    plan,
    referral,
)
from tests.router.harness import Harness, running_router

pytestmark = pytest.mark.kafka

CLIENTS: Final = 40


@dataclass
class Journey:
    """One client's events, and what each organisation should receive because of them."""

    client: str = field(default_factory=new_client)

    def __post_init__(self) -> None:
        client = self.client
        self.consents = (
            consent(
                "C-kela",
                (Recipient(kind=OrganisationKind.KELA),),
                (DataCategory.REFERRAL, DataCategory.PLAN),
                client=client,
            ),
            # Kela may see the health centre's self-assessments, not TYP's: what Kela
            # receives then does not depend on whether TYP's comes before the catch.
            consent(
                "C-kela-self",
                (Recipient(kind=OrganisationKind.KELA),),
                (DataCategory.ASSESSMENT_SELF,),
                sources=(SOTE,),
                client=client,
            ),
            consent(
                "C-sote", (Recipient(organisation=SOTE),), (DataCategory.REFERRAL,), client=client
            ),
            consent(
                "C-typ",
                (Recipient(organisation=TYP),),
                (DataCategory.ASSESSMENT_SELF, DataCategory.CASE),
                client=client,
            ),
        )
        self.assessment = kykyviisari("KV-sote", client=client)
        # A referral id is the requester's, across all its clients.
        self.referral = referral(f"R-{client}", client=client)
        self.team = case_manager("E-1", SOTE, (TYP,), client=client)
        self.plan = plan("P-typ", client=client)
        self.accepted = acceptance(f"R-{client}", client=client, at=START + timedelta(days=1))
        self.assessed_again = kykyviisari(
            "KV-typ", client=client, sender=TYP, at=START + timedelta(days=40)
        )

    def first_half(self) -> list[Event]:
        return [*self.consents, self.assessment, self.referral, self.team, self.plan]

    def second_half(self) -> list[Event]:
        return [self.accepted, self.assessed_again]

    def expected(self) -> dict[str, set[str]]:
        """Organisation kind -> the event ids its inbox should hold about this client."""
        kela_package = derived_id("handover", self.accepted.event_id, KELA)
        typ_package = derived_id("handover", self.team.event_id, TYP)
        kela_hint = derived_id("hint", self.accepted.event_id, self.assessment.event_id)
        typ_hint = derived_id("hint", self.assessed_again.event_id, self.assessment.event_id)
        return {
            "kela": {
                str(e)
                for e in (
                    self.referral.event_id,
                    kela_package,
                    self.assessment.event_id,
                    self.plan.event_id,
                    kela_hint,
                )
            },
            "typ": {
                str(e)
                for e in (self.team.event_id, typ_package, self.assessment.event_id, typ_hint)
            },
            "sote": {str(self.accepted.event_id)},
        }


async def publish(harness: Harness, events: list[Event]) -> None:
    for event in events:
        await harness.publish(event)


async def test_router_stopped_mid_journey_and_restarted_hands_over_everything_once(
    kafka_bootstrap: str, migrated_database_url: str, registry: OrganisationRegistry
) -> None:
    journeys = [Journey() for _ in range(CLIENTS)]
    expected: dict[str, Counter[str]] = {kind: Counter() for kind in ("kela", "typ", "sote")}
    for journey in journeys:
        for kind, event_ids in journey.expected().items():
            expected[kind].update(event_ids)
    async with running_router(
        kafka_bootstrap,
        migrated_database_url,
        registry,
        start_router=False,
        router_batch_size=2,
        # The stopped router's membership lapses sooner, so that the next one starts sooner.
        router_session_timeout_ms=2_000,
    ) as (harness, first):

        async def inboxes() -> dict[str, Counter[str]]:
            return {kind: Counter(await harness.inbox_event_ids(kind)) for kind in expected}

        await publish(harness, [e for journey in journeys for e in journey.first_half()])
        await first.start()
        # The second half depends on the first: Kela answers a referral the router knows.
        await eventually(
            lambda: _count(harness, pathway_events, 4 * CLIENTS),
            within=60,
            what="the first half of every journey routed",
        )
        await publish(harness, [e for journey in journeys for e in journey.second_half()])
        await harness.wait_for_inbox("kela", CLIENTS + 3)
        await first.stop()
        before_restart = await inboxes()
        assert before_restart["kela"] != expected["kela"], "the router finished before it stopped"

        async with RouterService(
            harness.settings, harness.registry, KafkaConnection(kafka_bootstrap)
        ):

            async def all_delivered() -> bool:
                now = await inboxes()
                return all(set(now[kind]) >= set(expected[kind]) for kind in expected)

            await eventually(all_delivered, within=60, what="every journey handed over")

        assert await inboxes() == expected
        records = await harness.audit_records()
        assert all(n == 1 for n in Counter((r.event_id, r.recipient) for r in records).values())
        engine = create_database_engine(migrated_database_url)
        try:
            assert (await AuditLog(engine).verify()).ok
        finally:
            await engine.dispose()
        referrals = await harness.rows(pathway_referrals)
        assert [row["state"] for row in referrals] == ["accepted"] * CLIENTS
        assert len(await harness.rows(pathway_handovers)) == 2 * CLIENTS
        assert len(await harness.rows(pathway_hints)) == 2 * CLIENTS


async def _count(harness: Harness, table: sa.Table, at_least: int) -> bool:
    return len(await harness.rows(table)) >= at_least
