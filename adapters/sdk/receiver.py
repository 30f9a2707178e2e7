"""Receiving: the organisation's inbox, to its system, each event once, failures parked.

Plain aiokafka rather than a FastStream subscriber: the receiver needs the raw record
(headers and bytes, to decode or park as they are), one explicit commit after each
partition's records are handled or parked, and its own retry loop; a bare consumer says
all three in a few lines, without a framework's ack policy between them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from adapters.sdk.errors import RejectEvent
from adapters.sdk.parking import ReceivedEvents
from adapters.sdk.retry import RetryPolicy
from adapters.sdk.topics import TopicsCheck, waiting_reason
from broker.errors import KafkaUnavailableError, TopicError
from broker.kafka import KafkaConnection, KafkaWatch, stop_consumer
from schemas import (
    REJECTION_NOTICE_TYPE,
    ContractError,
    Event,
    EventCodec,
    KafkaRecord,
    RejectionNotice,
    validation_problems,
)

__all__ = ["EventHandler", "Receiver", "ReceiverStatus", "RejectionHandler"]

EventHandler = Callable[[Event], Awaitable[None]]
"""Hands one event to the organisation's system; raising means "not taken"."""
RejectionHandler = Callable[[RejectionNotice], Awaitable[None]]
"""Tells the organisation's system that one of its own events was dead-lettered."""

_log = structlog.get_logger(__name__)
_POLL_MS = 1_000
# While Kafka is away, how often the receiver looks for parked records asked for again.
_RETRY_LOOK_SECONDS = 1.0


@dataclass(slots=True)
class ReceiverStatus:
    """What the receiver has done since start, for the health output."""

    handled: int = 0
    duplicates: int = 0
    parked: int = 0
    retried: int = 0
    """Parked records the system took when asked again."""
    rejections: int = 0
    last_error: str | None = None
    """Why receiving waits, while Kafka is unreachable."""


class Receiver:
    """Consumes one inbox in the adapter's consumer group and hands each event on.

    Per record: a rejection notice goes to ``on_rejection``; a record that is not a valid
    event is parked with the contract error; an event id handled or parked before is
    dropped; otherwise ``handler`` is called, retried with back-off, and the event is
    parked when every attempt failed (or at once on RejectEvent). The partition's offset
    is committed after its records are handled or parked, never before: a crash means a
    record is read again, and the seen-set drops it if it was handled. With ``topics``, no
    consumer subscribes before the topics check has passed.
    """

    def __init__(
        self,
        received: ReceivedEvents,
        connection: KafkaConnection,
        topic: str,
        *,
        group_id: str,
        codec: EventCodec,
        handler: EventHandler,
        on_rejection: RejectionHandler | None = None,
        retry: RetryPolicy,
        session_timeout_ms: int = 10_000,
        topics: TopicsCheck | None = None,
    ) -> None:
        self._received = received
        self._connection = connection
        self._topic = topic
        self._group_id = group_id
        self._codec = codec
        self._handler = handler
        self._on_rejection = on_rejection
        self._retry = retry
        self._reconnect = RetryPolicy(None, retry.first_delay, retry.max_delay)
        self._session_timeout_ms = session_timeout_ms
        self._topics = topics
        self._task: asyncio.Task[None] | None = None
        self.status = ReceiverStatus()

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The running receiver, to watch for a failure of the state file."""
        return self._task

    def start(self) -> None:
        """Begin consuming in the background; it connects to Kafka when it can."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"receiver {self._topic}")

    async def stop(self) -> None:
        """Stop consuming and leave the group; what was not committed is read again later."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        delays = None
        while True:
            consumer = AIOKafkaConsumer(
                self._topic,
                **self._connection.client_kwargs(),
                group_id=self._group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                session_timeout_ms=self._session_timeout_ms,
                heartbeat_interval_ms=max(self._session_timeout_ms // 3, 100),
            )
            try:
                if self._topics is not None:
                    await self._topics.passed()
                await self._start(consumer)
                if self.status.last_error is not None:
                    _log.info("receiver_resumed", topic=self._topic)
                    self.status.last_error = None
                delays = None
                await self._consume(consumer)
            except (KafkaError, OSError, TopicError) as exc:
                failure: BaseException = exc
            finally:
                await _stop_quietly(consumer)
            # Kafka is retried forever, at the handler's pace: there is nothing else to do.
            delays = delays or self._reconnect.delays()
            delay = next(delays)
            self.status.last_error = waiting_reason(self._connection, failure)
            _log.warning(
                "receiver_paused", topic=self._topic, reason=str(failure), retry_in_seconds=delay
            )
            await self._wait_retrying_parked(delay)

    async def _start(self, consumer: AIOKafkaConsumer) -> None:
        """Start the consumer; while it is slow to join its group, say whether Kafka answers.

        aiokafka's start() waits for the group's assignment without end: Kafka gone while
        it joins would otherwise leave the health saying that all is well for as long.
        A join gets the session timeout before Kafka is looked at, as a rebalance may take.
        """
        starting = asyncio.ensure_future(consumer.start())
        watch = KafkaWatch(
            consumer,
            self._connection,
            within_ms=self._session_timeout_ms,
            on_change=self._kafka_changed,
        )
        try:
            wait = self._session_timeout_ms / 1000
            while not (await asyncio.wait({starting}, timeout=wait))[0]:
                await watch.polled(0)
                wait = _POLL_MS / 1000
            starting.result()
        finally:
            if not starting.done():
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting

    async def _wait_retrying_parked(self, seconds: float) -> None:
        """Wait for Kafka, handing the parked records asked for to the system meanwhile.

        A parked record is in the state file: handing it over again needs the system, not
        Kafka, so integration staff need not wait for Kafka to retry what they fixed.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            await self._retry_parked()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            await asyncio.sleep(min(remaining, _RETRY_LOOK_SECONDS))

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        watch = KafkaWatch(
            consumer,
            self._connection,
            within_ms=self._session_timeout_ms,
            on_change=self._kafka_changed,
        )
        while True:
            batches = await consumer.getmany(timeout_ms=_POLL_MS)
            await watch.polled(sum(len(messages) for messages in batches.values()))
            for partition, messages in batches.items():
                for message in messages:
                    await self._receive(message)
                await consumer.commit({partition: messages[-1].offset + 1})
            # Between polls, at most a second apart: `saattaja adapter retry` asks in the
            # state file, and the records are the receiver's to hand over, in its turn.
            await self._retry_parked()

    def _kafka_changed(self, unreachable: KafkaUnavailableError | None) -> None:
        # The consumer is kept: aiokafka reconnects it by itself once Kafka answers.
        if unreachable is not None:
            self.status.last_error = str(unreachable)
            _log.warning("receiver_paused", topic=self._topic, reason=str(unreachable))
        elif self.status.last_error is not None:
            self.status.last_error = None
            _log.info("receiver_resumed", topic=self._topic)

    async def _retry_parked(self) -> None:
        """Hand the parked records integration staff asked for to the system again."""
        for parked in await self._received.parked(retry_requested_only=True):
            position = {
                "topic": parked.topic,
                "partition": parked.partition,
                "offset": parked.offset,
            }
            reason = await self._take_again(parked.record)
            if reason is None:
                await self._received.taken_on_retry(parked)
                self.status.retried += 1
                _log.info("parked_event_taken", event_id=parked.event_id, **position)
            else:
                await self._received.refused_on_retry(parked, reason)
                _log.error(
                    "parked_event_refused_again",
                    event_id=parked.event_id,
                    reason=reason,
                    **position,
                )

    async def _take_again(self, record: KafkaRecord) -> str | None:
        """None once the system took a parked record; otherwise why it did not."""
        if record.header("ce_type") == REJECTION_NOTICE_TYPE:
            notice = _read_notice(record)
            return notice if isinstance(notice, str) else await self._tell_rejection(notice)
        try:
            event = self._codec.decode(record)
        except ContractError as exc:
            return f"not a valid event: {exc}"
        return await self._hand_over(event)

    async def _receive(self, message: Any) -> None:
        record = KafkaRecord.from_consumed(message)
        position = {
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
        }
        ce_type = record.header("ce_type")
        if ce_type == REJECTION_NOTICE_TYPE:
            await self._notice(record, position)
            return
        try:
            event = self._codec.decode(record)
        except ContractError as exc:
            reason = f"not a valid event: {exc}"
            await self._park(record.header("ce_id"), record, position, reason)
            return
        event_id = str(event.event_id)
        if await self._received.outcome(event_id) is not None:
            self.status.duplicates += 1
            _log.info("duplicate_dropped", event_id=event_id, **position)
            return
        not_taken = await self._hand_over(event)
        if not_taken is None:
            await self._received.mark_handled(event_id)
            self.status.handled += 1
        else:
            await self._park(event_id, record, position, not_taken)

    async def _hand_over(self, event: Event) -> str | None:
        """None once the handler took the event; otherwise why it was not taken."""
        delays = self._retry.delays()
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._handler(event)
            except RejectEvent as signal:
                return f"rejected by the handler: {signal.reason}"
            # The handler is the organisation's code: any failure of it is a reason to retry
            # and then park, never to stop receiving. The reason is kept with the event.
            except Exception as exc:
                failure = _failure(exc)
                reason = f"handler failed {attempt} time(s); last: {failure}"
                delay = next(delays, None)
                _log.warning(
                    "handler_failed",
                    event_id=str(event.event_id),
                    attempt=attempt,
                    error=failure,
                    retry_in_seconds=delay,
                )
                if delay is None:
                    return reason
                await asyncio.sleep(delay)
            else:
                return None

    async def _notice(self, record: KafkaRecord, position: dict[str, Any]) -> None:
        notice = _read_notice(record)
        if isinstance(notice, str):
            await self._park(record.header("ce_id"), record, position, notice)
            return
        notice_id = str(notice.notice_id)
        if await self._received.outcome(notice_id) is not None:
            self.status.duplicates += 1
            return
        self.status.rejections += 1
        # Logged always: the IT team must see it even when the system takes it too.
        _log.warning(
            "event_rejected_by_router",
            rejected_event_id=notice.rejected_event_id,
            reason=notice.reason,
            rejected_at=notice.rejected_at.isoformat(),
        )
        not_taken = await self._tell_rejection(notice)
        if not_taken is not None:
            await self._park(notice_id, record, position, not_taken)
            return
        await self._received.mark_handled(notice_id)

    async def _tell_rejection(self, notice: RejectionNotice) -> str | None:
        """None once the system was told (or has no rejection handler); otherwise why not."""
        if self._on_rejection is None:
            return None
        try:
            await self._on_rejection(notice)
        # The organisation's code again: its failure is parked with the reason.
        except Exception as exc:
            return f"rejection handler failed: {_failure(exc)}"
        return None

    async def _park(
        self, event_id: str | None, record: KafkaRecord, position: dict[str, Any], reason: str
    ) -> None:
        await self._received.park(event_id=event_id, record=record, reason=reason, **position)
        self.status.parked += 1
        _log.error("event_parked", event_id=event_id, reason=reason, **position)


def _read_notice(record: KafkaRecord) -> RejectionNotice | str:
    """The rejection notice in a record, or why it cannot be read."""
    try:
        return RejectionNotice.decode(record)
    except ContractError as exc:
        return f"unreadable rejection notice: {exc}"
    except ValidationError as exc:
        return f"unreadable rejection notice: {validation_problems(exc, whole='notice')}"
    except (ValueError, IndexError) as exc:
        # Their text quotes what could not be read (int() its literal), which came from
        # whoever wrote the record.
        return (
            f"unreadable rejection notice ({type(exc).__name__}): it names no recipient, or "
            "its issue's expression is not <topic>/<partition>@<offset>"
        )


async def _stop_quietly(consumer: AIOKafkaConsumer) -> None:
    with contextlib.suppress(KafkaError, OSError):
        await stop_consumer(consumer)


def _failure(exc: Exception) -> str:
    """What the organisation's code raised, as a reason that is logged and shown to staff.

    A pydantic ValidationError quotes its input, and the organisation's system may validate
    the event's contents with pydantic: its problems are told without it. Any other error's
    text is the organisation's own code's to word.
    """
    if isinstance(exc, ValidationError):
        return f"{type(exc).__name__}: {validation_problems(exc, whole=exc.title)}"
    return f"{type(exc).__name__}: {exc}"
