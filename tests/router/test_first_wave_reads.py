"""With decoding workers, a batch's first wave reads the store while the batch decodes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from broker.registry import OrganisationRegistry
from broker.router.decoding import Decoded, DecodingPool
from schemas import DataCategory, KafkaRecord, OrganisationKind, Recipient
from tests.router.events import consent, referral
from tests.router.harness import ManualClock, RouterUnderTest, running_router

pytestmark = pytest.mark.kafka

_WAIT_FOR_READS_SECONDS = 5.0


@pytest.fixture(scope="module")
async def router(
    kafka_bootstrap: str, module_database_url: str, registry: OrganisationRegistry
) -> AsyncIterator[RouterUnderTest]:
    """A router with a decoding worker: the reads overlap the worker's decoding."""
    clock = ManualClock(datetime.now(UTC))
    async with running_router(
        kafka_bootstrap, module_database_url, registry, clock=clock, router_validation_workers=1
    ) as (harness, service):
        yield RouterUnderTest(harness, service, clock)


async def test_whether_the_events_were_routed_before_is_asked_while_they_decode(
    router: RouterUnderTest, client: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = asyncio.Event()
    asked_before_decoded: list[bool] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM pathway_events" in statement:
            asked.set()

    decode = DecodingPool.decoded

    async def decoded_once_asked(
        pool: DecodingPool, records: Sequence[KafkaRecord]
    ) -> AsyncGenerator[Decoded]:
        try:
            await asyncio.wait_for(asked.wait(), _WAIT_FOR_READS_SECONDS)
        except TimeoutError:
            asked_before_decoded.append(False)
        else:
            asked_before_decoded.append(True)
        async for outcome in decode(pool, records):
            yield outcome

    await router.route(
        consent(
            "C-e1",
            (Recipient(kind=OrganisationKind.KELA),),
            (DataCategory.REFERRAL,),
            client=client,
        )
    )
    monkeypatch.setattr(DecodingPool, "decoded", decoded_once_asked)
    sa.event.listen(Engine, "before_cursor_execute", record)
    try:
        await router.route(sent := referral("R-e1", client=client))
    finally:
        sa.event.remove(Engine, "before_cursor_execute", record)

    assert asked_before_decoded == [True]
    delivered = [event.event_id for event in await router.harness.events_of("kela", client)]
    assert delivered == [sent.event_id]
