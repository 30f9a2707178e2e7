"""Playing the journey: feed each step's record, wait until the router decided it, collect.

Waiting is on conditions with deadlines, never a fixed pause: the router's count of
records handled (which also counts events with no candidate recipient, and consents),
then the audit log (every decision on the event) or the consent store (a consent
applied), then each permitted recipient's own system, until the event is there.

What the router sends because of a step (a handover package and the records that follow
it, hints, overdue notices) is collected too, from the audit records the step added, and
read back from the recipients' inboxes for what the audit records do not say.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Final, TypeVar

from aiokafka import AIOKafkaProducer

from broker.demo.errors import StepTimeoutError
from broker.demo.inbox import from_inbox
from broker.demo.journey import Step, TimePasses
from broker.demo.sources import feed, received
from broker.demo.stack import DemoStack
from broker.registry import Organisation
from broker.topics import outbox_topic
from consent.audit import PERMIT, AuditFilter, AuditRecord
from schemas import ConsentGranted, ConsentRevoked, Event

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
    event: Event | None = None
    """The event as the recipient's inbox holds it; read only for what a step caused."""

    @property
    def permitted(self) -> bool:
        """Whether the router delivered (permit) rather than refused (deny)."""
        return self.record.decision == PERMIT


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What became of one step's record."""

    step: Step
    fed_as: str
    """How the record was handed over (a row, a POST, a file); for days passing, the clock."""
    applied: bool
    """A consent or revocation the router applied to the consent store."""
    rejected: bool
    """The router sent the record to the dead-letter topic (an invalid event)."""
    decisions: tuple[Decision, ...]
    """One per candidate recipient, in the order decided; none for a consent."""
    followed: tuple[Decision, ...] = ()
    """Decisions on what the router sent because of the step, in log order: handover
    packages and the records they hand over, hints, overdue notices."""

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

    async def play(self, step: Step) -> StepOutcome:
        """Feed one step and wait until it is decided and every permitted delivery arrived."""
        if isinstance(step, TimePasses):
            return await self._pass_time(step)
        stack = self._stack
        event = step.event
        pseudonym = stack.pseudonymiser.pseudonym(event.client)
        # The router decides at its own clock: a step told after days passed must not reach
        # it from its future, where the consents it rests on would not be valid yet.
        stack.clock.advance_to(event.occurred_at)
        seen = await self._last_sequence(pseudonym)
        before, rejected_before = self._handled(), self._rejected()
        fed_as = await feed(stack.systems[step.source.id], event)
        await _eventually(
            f"the router to handle the record of step '{step.title}' (fed as {fed_as})",
            _ROUTED_WITHIN,
            lambda: _ready(self._handled() > before),
        )
        rejected = self._rejected() > rejected_before
        if isinstance(event, ConsentGranted | ConsentRevoked):
            assert stack.consents is not None  # noqa: S101 - set by stack.start()
            history = await stack.consents.history(pseudonym)
            applied = any(version.event_id == event.event_id for version in history)
            return StepOutcome(step, fed_as, applied, rejected, ())
        records = await self._records_after(pseudonym, seen)
        own = [record for record in records if record.event_id == event.event_id]
        caused = [record for record in records if record.event_id != event.event_id]
        decisions = [await self._decision(record) for record in own]
        followed = await self._followed(caused)
        return StepOutcome(step, fed_as, False, rejected, tuple(decisions), followed)

    async def publish(self, waves: Sequence[Sequence[Event]]) -> int:
        """Publish events straight to their senders' outboxes, wave by wave; how many rejected.

        Each wave is routed before the next is sent, since the router orders one client's
        events only within one outbox, and an answer must not overtake its referral.
        """
        stack = self._stack
        assert stack.connection is not None  # noqa: S101 - set by stack.start()
        by_oid = {organisation.oid: organisation for organisation in stack.registry}
        # As the router's own producer: idempotence off, which the embedded broker lacks.
        producer = AIOKafkaProducer(
            **stack.connection.client_kwargs(), acks="all", enable_idempotence=False
        )
        await producer.start()
        rejected_before = self._rejected()
        try:
            for number, wave in enumerate(waves, start=1):
                before = self._handled()
                sent = []
                for event in wave:
                    record = stack.codec.encode(event)
                    sent.append(
                        await producer.send(
                            outbox_topic(by_oid[event.sender].id),
                            record.value,
                            key=record.key,
                            headers=list(record.headers),
                        )
                    )
                await asyncio.gather(*sent)
                await self._handled_at_least(
                    before + len(wave),
                    f"wave {number} of {len(waves)} ({len(wave)} records sent to the outboxes)",
                )
        finally:
            await producer.stop()
        return self._rejected() - rejected_before

    async def _handled_at_least(self, count: int, what: str) -> None:
        await _eventually(
            f"the router to handle {what}",
            _ROUTED_WITHIN * 2,
            lambda: _ready(self._handled() >= count),
        )

    async def _pass_time(self, step: TimePasses) -> StepOutcome:
        stack = self._stack
        assert stack.router is not None  # noqa: S101 - set by stack.start()
        pseudonym = stack.pseudonymiser.pseudonym(step.client)
        seen = await self._last_sequence(pseudonym)
        stack.clock.advance_to(step.until)
        # The watch inside the router would find it within SAATTAJA_OVERDUE_SCAN_SECONDS;
        # the demo asks for the scan at once. Both take turns with routing, so whichever
        # runs first sends the notices and the other finds nothing left to do.
        await stack.router.escalate_overdue()
        followed = await self._followed(await self._records_after(pseudonym, seen))
        return StepOutcome(step, "the router's clock moved on", False, False, (), followed)

    async def _decision(self, record: AuditRecord) -> Decision:
        recipient = self._stack.registry.by_oid(record.recipient)
        received_as = None
        if record.decision == PERMIT:
            received_as = await self._arrival(recipient, str(record.event_id))
        return Decision(recipient, record, received_as)

    async def _followed(self, records: Sequence[AuditRecord]) -> tuple[Decision, ...]:
        """Decisions on what a step caused, each permitted one with its event from the inbox."""
        decisions = [await self._decision(record) for record in records]
        wanted: dict[str, set[uuid.UUID]] = {}
        for decision in decisions:
            if decision.permitted:
                wanted.setdefault(decision.recipient.oid, set()).add(decision.record.event_id)
        events = {
            oid: await from_inbox(self._stack, self._stack.registry.by_oid(oid), event_ids)
            for oid, event_ids in wanted.items()
        }
        return tuple(
            replace(d, event=events.get(d.recipient.oid, {}).get(d.record.event_id))
            for d in decisions
        )

    async def _records_after(self, pseudonym: str, sequence: int) -> list[AuditRecord]:
        audit = self._stack.audit
        assert audit is not None  # noqa: S101 - set by stack.start()
        return [
            r async for r in audit.query(AuditFilter(client=pseudonym)) if r.sequence > sequence
        ]

    async def _last_sequence(self, pseudonym: str) -> int:
        return max((r.sequence for r in await self._records_after(pseudonym, 0)), default=0)

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
