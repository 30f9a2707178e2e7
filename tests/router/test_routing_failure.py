"""A bug in routing pauses the router like an outage, saying so without quoting the records."""

from __future__ import annotations

import pytest

from broker.router import RouterService
from tests.broker.conditions import eventually
from tests.router.events import referral
from tests.router.harness import Harness

pytestmark = pytest.mark.kafka


async def test_a_routing_bug_pauses_the_router_naming_the_failure_but_not_its_text(
    routed: tuple[Harness, RouterService], monkeypatch: pytest.MonkeyPatch
) -> None:
    harness, service = routed

    async def failing(_batch: object) -> object:
        raise LookupError("no consent of 020516C903K")

    assert service._router is not None  # the one way to make routing fail
    monkeypatch.setattr(service._router, "route_batch", failing)
    await harness.publish(referral("R-BUG"))
    await eventually(
        lambda: service.status.paused_reason is not None,
        within=30,
        what="the router pauses routing",
    )

    assert service.status.paused_reason == (
        "routing failed (LookupError): the router's log has the details"
    )
