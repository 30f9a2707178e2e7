"""The demo says so when an organisation's adapter stops, and goes on with the others."""

from __future__ import annotations

import asyncio

from adapters.sdk import AdapterFailedError
from broker.demo import Narrator, report_stopped_adapters
from broker.registry import OrganisationRegistry
from tests.broker.conditions import eventually


class _Failing:
    async def wait(self, stop: asyncio.Event) -> None:
        raise AdapterFailedError("adapter sql_outbox stopped with ValueError: boom")


class _Running:
    async def wait(self, stop: asyncio.Event) -> None:
        await stop.wait()


async def test_a_stopped_adapter_is_named_with_its_failure_and_the_others_go_on(
    registry: OrganisationRegistry,
) -> None:
    lines: list[str] = []
    until = asyncio.Event()
    watching = asyncio.create_task(
        report_stopped_adapters(
            {"sote": _Failing(), "kela": _Running()}, Narrator(registry, lines.append), until
        )
    )
    await eventually(lambda: bool(lines), within=5, what="the stopped adapter named")
    assert not watching.done()  # still watching kela's

    until.set()
    await watching
    assert lines == [
        "The adapter of sote stopped: adapter sql_outbox stopped with ValueError: boom. "
        "The other organisations go on; Ctrl-C stops the demo."
    ]


async def test_nothing_is_said_of_adapters_that_run_until_the_demo_stops(
    registry: OrganisationRegistry,
) -> None:
    lines: list[str] = []
    until = asyncio.Event()
    until.set()
    await report_stopped_adapters({"kela": _Running()}, Narrator(registry, lines.append), until)
    assert lines == []
