"""A decoding worker that exits is replaced, and the batch it held is routed all the same."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime

import pytest

from broker.registry import OrganisationRegistry
from schemas import DataCategory, OrganisationKind, Recipient
from tests.router.events import consent, referral
from tests.router.harness import ManualClock, RouterUnderTest, running_router

pytestmark = pytest.mark.kafka


async def test_a_batch_whose_worker_was_killed_is_routed_by_the_worker_started_in_its_place(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    async with running_router(
        kafka_bootstrap, sqlite_database_url, registry, router_validation_workers=1
    ) as (harness, service):
        router = RouterUnderTest(harness, service, ManualClock(datetime.now(UTC)))
        await router.route(
            consent("C-W1", (Recipient(kind=OrganisationKind.KELA),), (DataCategory.REFERRAL,))
        )
        [killed] = service.decoding_worker_pids

        os.kill(killed, signal.SIGKILL)
        await router.route(sent := referral("R-W1"))

        [delivered] = await harness.wait_for_inbox("kela", 1)
        assert dict(delivered.headers)["ce_id"] == str(sent.event_id).encode()
        assert len(service.decoding_worker_pids) == 1
        assert service.decoding_worker_pids != (killed,)
