"""The relay: sends the local outbox to the organisation's outbox topic, in order."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from adapters.sdk.outbox import LocalOutbox, StoredRecord
from adapters.sdk.retry import RetryPolicy
from adapters.sdk.topics import TopicsCheck, waiting_reason
from broker.errors import TopicError
from broker.kafka import KafkaConnection

__all__ = ["OutboxRelay", "RelayStatus"]

_log = structlog.get_logger(__name__)


@dataclass(slots=True)
class RelayStatus:
    """What the relay is doing, for the health output."""

    last_error: str | None = None
    """Why sending waits, while Kafka is unreachable; None while it sends."""
    sent: int = 0
    """Records Kafka has acknowledged since start."""


class OutboxRelay:
    """Sends stored records strictly in the order they were accepted, batch by batch.

    A batch is handed to the producer in order and marked sent up to the first record Kafka
    did not acknowledge; the rest is sent again, after a back-off, with a fresh producer (a
    broker restarted on the same address may have forgotten the old one's metadata). One
    order for everything is more than per-client order needs, and the simplest way to be
    sure of it. Records after a failed one that Kafka did take are sent twice: receivers
    drop the copy by event id. With ``topics``, no producer starts before the topics check
    has passed: Kafka would create a missing outbox with its own defaults.
    """

    def __init__(
        self,
        outbox: LocalOutbox,
        connection: KafkaConnection,
        topic: str,
        *,
        retry: RetryPolicy,
        batch_size: int,
        request_timeout_ms: int,
        keep_sent_seconds: float,
        topics: TopicsCheck | None = None,
    ) -> None:
        self._outbox = outbox
        self._connection = connection
        self._topic = topic
        self._retry = retry
        self._batch_size = batch_size
        self._request_timeout_ms = request_timeout_ms
        self._keep_sent_seconds = keep_sent_seconds
        self._topics = topics
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self.status = RelayStatus()

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The running relay, to watch for a failure of the state file."""
        return self._task

    def start(self) -> None:
        """Begin sending in the background; it connects to Kafka when it can."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"outbox-relay {self._topic}")

    async def stop(self) -> None:
        """Stop sending; unsent records stay in the file for the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close_producer()

    async def _run(self) -> None:
        delays = None
        while True:
            # Cleared before reading, so an append after the read wakes the wait below.
            self._outbox.appended.clear()
            batch = await self._outbox.unsent(self._batch_size)
            if not batch:
                await self._outbox.prune_sent(self._keep_sent_seconds)
                await self._outbox.appended.wait()
                continue
            try:
                await self._send(batch)
            except (KafkaError, OSError, TopicError) as exc:
                delays = delays or self._retry.delays()
                delay = next(delays)
                self.status.last_error = waiting_reason(self._connection, exc)
                _log.warning(
                    "outbox_relay_paused",
                    topic=self._topic,
                    reason=str(exc) or type(exc).__name__,
                    retry_in_seconds=delay,
                )
                await self._close_producer()
                await asyncio.sleep(delay)
                continue
            if self.status.last_error is not None:
                _log.info("outbox_relay_resumed", topic=self._topic)
                self.status.last_error = None
            delays = None

    async def _send(self, batch: list[StoredRecord]) -> None:
        producer = await self._started_producer()
        futures: list[asyncio.Future[object]] = []
        failure: BaseException | None = None
        try:
            for stored in batch:
                record = stored.record
                futures.append(
                    await producer.send(
                        self._topic,
                        record.value,
                        key=record.key or None,
                        headers=list(record.headers),
                    )
                )
        except KafkaError as exc:
            failure = exc
        acknowledged: list[int] = []
        for stored, future in zip(batch, futures, strict=False):
            try:
                await future
            except KafkaError as exc:
                failure = failure or exc
                break
            acknowledged.append(stored.seq)
        await self._outbox.mark_sent(acknowledged)
        self.status.sent += len(acknowledged)
        if failure is not None:
            raise failure

    async def _started_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            if self._topics is not None:
                await self._topics.passed()
            # Idempotence stays off: the embedded broker cannot do it, and the event id is
            # the idempotency key end to end anyway.
            producer = AIOKafkaProducer(
                **self._connection.client_kwargs(),
                acks="all",
                enable_idempotence=False,
                request_timeout_ms=self._request_timeout_ms,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            # A producer that cannot reach Kafka fails its pending sends on stop; their
            # records are unsent in the file and go out with the next producer.
            with contextlib.suppress(KafkaError, OSError):
                await producer.stop()
