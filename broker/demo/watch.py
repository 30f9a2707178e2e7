"""Watching the demo run: the decisions on records people feed by hand, and the adapters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from typing import Protocol

from adapters.sdk import SaattajaAdapterError
from broker.demo.narration import Narrator
from broker.demo.stack import DemoStack
from consent.audit import AuditFilter, AuditRecord

__all__ = ["DecisionWatch", "report_stopped_adapters"]


class _Running(Protocol):
    async def wait(self, stop: asyncio.Event) -> None: ...


async def report_stopped_adapters(
    runtimes: Mapping[str, _Running], narrator: Narrator, until: asyncio.Event
) -> None:
    """Say so when an organisation's adapter stops on a failure; the others go on.

    ``runtimes``: the adapters by organisation id (AdapterRuntime). Returns once ``until``
    is set, or every adapter has stopped.
    """

    async def watch(organisation: str, runtime: _Running) -> None:
        try:
            await runtime.wait(until)
        except SaattajaAdapterError as exc:
            narrator.say(
                f"The adapter of {organisation} stopped: {exc}. The other organisations go on; "
                "Ctrl-C stops the demo."
            )

    await asyncio.gather(
        *(watch(organisation, runtime) for organisation, runtime in runtimes.items())
    )


class DecisionWatch:
    """Reads the audit log from where it last stopped; the new decisions grouped per event."""

    def __init__(self, stack: DemoStack) -> None:
        self._stack = stack
        self._after = 0

    async def skip_seen(self) -> None:
        """Start after the last decision now on record (the journey's)."""
        await self.new_decisions()

    async def new_decisions(self) -> list[Sequence[AuditRecord]]:
        """Decisions appended since the previous call, one list per event, in log order."""
        audit = self._stack.audit
        assert audit is not None  # noqa: S101 - set by stack.start()
        by_event: dict[uuid.UUID, list[AuditRecord]] = {}
        # The log is append-only and sequences grow: everything after the last one seen is new.
        async for record in audit.query(AuditFilter()):
            if record.sequence > self._after:
                by_event.setdefault(record.event_id, []).append(record)
                self._after = record.sequence
        return list(by_event.values())
