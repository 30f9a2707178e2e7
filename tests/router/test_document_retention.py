"""The router keeps a client's documents for warm handovers no longer than the retention.

A document (the latest assessment of a kind, a current plan, an open referral) whose own
time is more than SAATTAJA_PATHWAY_DOCUMENT_RETENTION_DAYS (365 in these tests, as by
default) before the router's clock is removed by the router's watch, and is never handed
over after that; a referral still waiting for an answer keeps its request, which the
overdue watch reads. The tests move the router's clock and ask for the look the watch runs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from broker.pathway.tables import pathway_documents
from schemas import AssessmentRecorded, HandoverPackage
from tests.router.events import (
    KELA_KIND,
    START,
    TYOLLISYYS,
    acceptance,
    consent,
    kykyviisari,
    referral,
)
from tests.router.harness import RouterUnderTest
from tests.router.test_handover import EVERYTHING, listed

pytestmark = pytest.mark.kafka

RETENTION = timedelta(days=365)
DAY = timedelta(days=1)


async def kept_slots(router: RouterUnderTest, client: str) -> set[str]:
    return {str(row["slot"]) for row in await router.harness.rows(pathway_documents, client)}


async def removed_at(router: RouterUnderTest, moment_after_start: timedelta) -> int:
    """The watch's look for documents kept too long, with the clock at START + the time given."""
    router.clock.now = START + moment_after_start
    return await router.service.remove_expired_documents()


async def test_a_document_kept_longer_than_the_retention_is_removed(
    router: RouterUnderTest, client: str
) -> None:
    router.clock.now = START
    await router.route(kykyviisari("KV-old", client=client, at=START))

    assert await removed_at(router, RETENTION + DAY) >= 1

    assert await kept_slots(router, client) == set()


async def test_a_document_within_the_retention_stays(router: RouterUnderTest, client: str) -> None:
    router.clock.now = START
    await router.route(
        kykyviisari("KV-old", client=client, at=START),
        kykyviisari("KV-new", client=client, sender=TYOLLISYYS, at=START + 200 * DAY),
    )

    await removed_at(router, RETENTION + DAY)

    assert await kept_slots(router, client) == {f"assessment/kykyviisari/{TYOLLISYYS}"}


async def test_a_referral_waiting_for_an_answer_keeps_its_request(
    router: RouterUnderTest, client: str
) -> None:
    router.clock.now = START
    await router.route(referral("R-waiting", client=client, at=START))

    await removed_at(router, RETENTION + DAY)

    assert len(await kept_slots(router, client)) == 1


async def test_an_accepted_referrals_request_kept_longer_than_the_retention_is_removed(
    router: RouterUnderTest, client: str
) -> None:
    router.clock.now = START
    await router.route(consent("C-r", (KELA_KIND,), EVERYTHING, client=client))
    await router.route(referral("R-accepted", client=client, at=START))
    await router.route(acceptance("R-accepted", client=client, at=START + DAY))
    assert len(await kept_slots(router, client)) == 1

    await removed_at(router, RETENTION + DAY)

    assert await kept_slots(router, client) == set()


async def test_a_removed_document_is_not_handed_over_though_the_router_routed_the_client(
    router: RouterUnderTest, client: str
) -> None:
    # The client was routed just before, so the router holds their pathway in memory.
    router.clock.now = START
    old = kykyviisari("KV-handover", client=client, sender=TYOLLISYYS, at=START)
    await router.route(consent("C-h", (KELA_KIND,), EVERYTHING, client=client), old)

    await removed_at(router, RETENTION + DAY)
    later = START + RETENTION + 2 * DAY
    await router.route(referral("R-h", client=client, at=later))
    await router.route(acceptance("R-h", client=client, at=later + DAY))

    delivered = await router.harness.events_of("kela", client)
    assert not [event for event in delivered if isinstance(event, AssessmentRecorded)]
    for package in (event for event in delivered if isinstance(event, HandoverPackage)):
        assert (str(old.event_id), True) not in listed(package)
        assert (str(old.event_id), False) not in listed(package)
