"""Playing the journey: feed each step's record, wait until the router decided it, collect.

Waiting is on conditions with deadlines, never a fixed pause: the router's count of
records handled (which also counts events with no candidate recipient, and consents),
then the audit log (every decision on the event) or the consent store (a consent
applied), then each permitted recipient's own system, until the event is there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from broker.demo.errors import StepTimeoutError
from broker.demo.journey import JourneyStep
from broker.demo.sources import feed, received
from broker.demo.stack import DemoStack
from broker.registry import Organisation
from consent.audit import PERMIT, AuditFilter, AuditRecord
from schemas import ConsentGranted, ConsentRevoked

__all__ = ["Decision", "JourneyPlayer", "StepOutcome"]

T = TypeVar("T")

_ROUTED_WITHIN: Final = 30.0
_DELIVERED_WITHIN: Final = 20.0
_POLL: Final = 0.1


@dataclass(frozen=True, slots=True)
class Decision:
    """The router's decision on one recipient, and where the recipient's system has the event."""

    recipient: Organisation
    record: AuditRecord
    received_as: str | None
    """Where the receiving system shows the event; None for a refusal (or not arrived)."""

    @property
    def permitted(self) -> bool:
        """Whether the router delivered (permit) rather than refused (deny)."""
        return self.record.decision == PERMIT


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What became of one step's record."""

    step: JourneyStep
    fed_as: str
    """How the record was handed over (a row, a POST, a file)."""
    applied: bool
    """A consent or revocation the router applied to the consent store."""
    rejected: bool
    """The router sent the record to the dead-letter topic (an invalid event)."""
    decisions: tuple[Decision, ...]
    """One per candidate recipient, in the order decided; none for a consent."""

    @property
    def permitted(self) -> frozenset[str]:
        """Ids of the organisations that received the event."""
        return frozenset(d.recipient.id for d in self.decisions if d.permitted)

    @property
    def denied(self) -> frozenset[str]:
        """Ids of the organisations the event was refused to."""
        return frozenset(d.recipient.id for d in self.decisions if not d.permitted)


class JourneyPlayer:
    """Feeds steps to a started ``DemoStack`` one by one and reports each once settled."""

    def __init__(self, stack: DemoStack) -> None:
        self._stack = stack

    async def play(self, step: JourneyStep) -> StepOutcome:
        """Feed one step and wait until it is decided and every permitted delivery arrived."""
        stack = self._stack
        before, rejected_before = self._handled(), self._rejected()
        fed_as = await feed(stack.systems[step.source.id], step.event)
        await _eventually(
            f"the router to handle the record of step '{step.title}' (fed as {fed_as})",
            _ROUTED_WITHIN,
            lambda: _ready(self._handled() > before),
        )
        rejected = self._rejected() > rejected_before
        event = step.event
        pseudonym = stack.pseudonymiser.pseudonym(event.client)
        if isinstance(event, ConsentGranted | ConsentRevoked):
            assert stack.consents is not None  # noqa: S101 - set by stack.start()
            history = await stack.consents.history(pseudonym)
            applied = any(version.event_id == event.event_id for version in history)
            return StepOutcome(step, fed_as, applied, rejected, ())
        records = await self._decisions_on(step)
        decisions = []
        for record in records:
            recipient = stack.registry.by_oid(record.recipient)
            received_as = None
            if record.decision == PERMIT:
                received_as = await self._arrival(recipient, str(event.event_id))
            decisions.append(Decision(recipient, record, received_as))
        return StepOutcome(step, fed_as, False, rejected, tuple(decisions))

    async def _decisions_on(self, step: JourneyStep) -> list[AuditRecord]:
        audit = self._stack.audit
        assert audit is not None  # noqa: S101 - set by stack.start()
        event = step.event
        filters = AuditFilter(
            client=self._stack.pseudonymiser.pseudonym(event.client), event_type=event.ce_type()
        )
        return [r async for r in audit.query(filters) if r.event_id == event.event_id]

    async def _arrival(self, recipient: Organisation, event_id: str) -> str:
        system = self._stack.systems[recipient.id]

        async def arrived() -> str | None:
            return (await received(system)).get(event_id)

        return await _eventually(
            f"event {event_id} to arrive in the system of {recipient.id}",
            _DELIVERED_WITHIN,
            arrived,
        )

    def _handled(self) -> int:
        return sum(self._outcomes().values())

    def _rejected(self) -> int:
        return self._outcomes().get("rejected", 0)

    def _outcomes(self) -> dict[str, int]:
        router = self._stack.router
        assert router is not None  # noqa: S101 - set by stack.start()
        return router.status.outcomes


async def _ready(value: bool) -> bool | None:
    return True if value else None


async def _eventually(what: str, within: float, probe: Callable[[], Awaitable[T | None]]) -> T:
    deadline = time.monotonic() + within
    while True:
        found = await probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise StepTimeoutError(
                f"waited {within:.0f} s for {what}; see the log above for the adapter's or "
                "the router's error"
            )
        await asyncio.sleep(_POLL)
