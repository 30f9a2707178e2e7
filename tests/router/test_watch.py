"""What supervises a router learns when its consuming dies, and only then."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Final

import pytest

from broker.errors import RouterStoppedError
from broker.router import RouterService, RoutingOutcome
from schemas import KafkaRecord
from tests.router.harness import Harness, wait_until_handled

pytestmark = pytest.mark.kafka

_WITHIN: Final = 60.0
_NOT_AN_EVENT: Final = KafkaRecord(b"k", (), b"not an event")


class HandlingBrokeError(RuntimeError):
    """What the broken step of the consuming raises."""


def break_consuming(service: RouterService, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the step after each routed batch raise, which nothing in the consuming retries."""

    def broken(_outcomes: Iterable[RoutingOutcome]) -> None:
        raise HandlingBrokeError("counting the outcomes failed")

    monkeypatch.setattr(service.metrics, "handled", broken)


async def test_a_routers_watch_ends_naming_the_failure_that_ended_its_consuming(
    routed: tuple[Harness, RouterService], monkeypatch: pytest.MonkeyPatch
) -> None:
    harness, service = routed
    break_consuming(service, monkeypatch)

    await harness.publish_raw(harness.org("sote").id, _NOT_AN_EVENT)

    with pytest.raises(RouterStoppedError, match="stopped consuming the outboxes") as raised:
        async with asyncio.timeout(_WITHIN):
            await service.watch()
    assert isinstance(raised.value.__cause__, HandlingBrokeError)


async def test_a_routers_watch_cancelled_leaves_it_routing(
    routed: tuple[Harness, RouterService],
) -> None:
    harness, service = routed
    watch = asyncio.create_task(service.watch())
    await asyncio.sleep(0)  # the watch is waiting on the consuming
    watch.cancel()
    with pytest.raises(asyncio.CancelledError):
        await watch

    await harness.publish_raw(harness.org("sote").id, _NOT_AN_EVENT)

    await wait_until_handled(service, 1)
