"""Reading the outboxes in the router's consumer group, and committing what has been routed.

aiokafka directly rather than a FastStream batch subscriber, for two things the router
needs on its hot path: the next batch while it routes the one in hand (so that the
decoding workers validate it meanwhile), and word of a rebalance, so that a batch read
ahead from partitions the group has taken away is dropped, never routed by two processes.

A batch's offsets are committed once the router has routed it. A rebalance waits until the
batch in hand is routed and committed; batches fetched before it are dropped, and their
records come again from the committed offsets, to whichever process owns them then.

Committed offsets are where a partition resumes unless the database holds less of it
(restored from a backup): then it resumes where the database's routing ends, and the
records between are routed again (``broker.router.resumption``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence, Set
from contextlib import suppress
from dataclasses import dataclass
from typing import Final

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, ConsumerStoppedError, KafkaError

from broker.kafka import KafkaWatch
from broker.router.incoming import IncomingRecord
from broker.router.resumption import Resumption, resumption
from schemas import KafkaRecord

__all__ = ["OutboxConsumer"]

_log = structlog.get_logger(__name__)
# How long one fetch waits for records before asking again; stop() does not wait for it.
_FETCH_TIMEOUT_MS: Final = 1_000
_FIRST_RETRY_SECONDS: Final = 0.2
_MAX_RETRY_SECONDS: Final = 5.0

RouteBatch = Callable[[list[IncomingRecord]], Awaitable[None]]
"""Routes a batch to the end; the consumer commits its offsets once it returns."""
ReadAhead = Callable[[Sequence[KafkaRecord]], None]
"""Told the records of each batch once fetched, often while the batch before is routed."""
Rebalanced = Callable[[], Awaitable[None]]
"""Told that partitions move, once no batch is in hand: what was known of them may be stale."""
Waiting = Callable[[], object]
"""Told when a batch is done and the next has not arrived: nothing is in hand."""
Committed = Callable[[Mapping[tuple[str, int], int]], None]
"""Told, after each commit, how many records each (topic, partition) committed has left."""
GivenUp = Callable[[Set[tuple[str, int]]], None]
"""Told, once a rebalance is done, of the (topic, partition) pairs the group took away."""
RecordedOffsets = Callable[[Set[tuple[str, int]]], Awaitable[Mapping[tuple[str, int], int]]]
"""The next offset the database holds the routing of, of those (topic, partition)s it has."""
Resumed = Callable[[Sequence[Resumption]], None]
"""Told, at an assignment, of the partitions the database holds less of than Kafka says."""


@dataclass(frozen=True, slots=True)
class _Fetched:
    records: list[IncomingRecord]
    generation: int
    """The assignment the records were fetched under; a rebalance makes them stale."""


class OutboxConsumer(ConsumerRebalanceListener):  # type: ignore[misc]
    """Fetches batches of outbox records, one batch ahead, and commits each once routed.

    It is its own rebalance listener: the group tells it when partitions move.
    """

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        *,
        batch_size: int,
        read_ahead: ReadAhead,
        on_rebalance: Rebalanced | None = None,
        on_committed: Committed | None = None,
        on_waiting: Waiting | None = None,
        on_given_up: GivenUp | None = None,
        kafka_watch: KafkaWatch | None = None,
        recorded_offsets: RecordedOffsets | None = None,
        on_resumed: Resumed | None = None,
    ) -> None:
        self._consumer = consumer
        self._batch_size = batch_size
        self._read_ahead = read_ahead
        self._on_rebalance = on_rebalance
        self._on_committed = on_committed
        self._on_waiting = on_waiting
        self._on_given_up = on_given_up
        self._kafka_watch = kafka_watch
        self._recorded_offsets = recorded_offsets
        self._on_resumed = on_resumed
        self._generation = 0
        # What the last revocation took; aiokafka revokes every partition at each rebalance
        # and gives most back, so only the assignment after it says what was given up.
        self._revoked: set[tuple[str, int]] = set()
        # Held while a batch is routed and committed: a rebalance waits for it.
        self._in_hand = asyncio.Lock()

    def subscribe(self, topics: Sequence[str]) -> None:
        """Join the group on these topics; call before the consumer starts fetching."""
        self._consumer.subscribe(list(topics), listener=self)

    async def run(self, route: RouteBatch) -> None:
        """Route batch after batch until cancelled, which leaves the batch in hand uncommitted."""
        ahead: asyncio.Task[_Fetched] | None = None
        try:
            while True:
                if self._on_waiting is not None and (ahead is None or not ahead.done()):
                    self._on_waiting()
                fetched = await (ahead if ahead is not None else self._fetch())
                ahead = None
                async with self._in_hand:
                    if not fetched.records or fetched.generation != self._generation:
                        continue
                    records = fetched.records + await self._top_up(len(fetched.records))
                    if fetched.generation != self._generation:
                        continue  # a rebalance began meanwhile: they come again
                    ahead = asyncio.create_task(self._fetch())
                    await route(records)
                    await self._commit(records)
        except ConsumerStoppedError:
            return
        finally:
            if ahead is not None:
                ahead.cancel()
                with suppress(asyncio.CancelledError, ConsumerStoppedError):
                    await ahead

    async def stop(self, consuming: asyncio.Task[None], *, grace: float) -> None:
        """Cancel ``consuming`` (the task running run()) once the batch in hand is committed.

        Cancelled between Kafka's acknowledgement of a batch's deliveries and the ledger's
        record of them, the batch routed again after a restart would deliver them twice. A
        batch that cannot finish within ``grace`` seconds (a store is down) is cancelled
        anyway, uncommitted.
        """
        try:
            await asyncio.wait_for(self._in_hand.acquire(), grace)
        except TimeoutError:
            _log.warning("stopped_mid_batch", grace_seconds=grace)
            held = False
        else:
            held = True
        try:
            consuming.cancel()
            with suppress(asyncio.CancelledError):
                await consuming
        finally:
            if held:
                self._in_hand.release()

    async def _fetch(self) -> _Fetched:
        delay = _FIRST_RETRY_SECONDS
        while True:
            try:
                fetched = await self._consumer.getmany(
                    timeout_ms=_FETCH_TIMEOUT_MS, max_records=self._batch_size
                )
            except ConsumerStoppedError:
                raise
            except KafkaError as exc:
                _log.warning("fetch_failed", reason=str(exc), retry_in_seconds=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_RETRY_SECONDS)
                continue
            records = [
                IncomingRecord.from_consumer_record(record)
                for partition_records in fetched.values()
                for record in partition_records
            ]
            if self._kafka_watch is not None:
                await self._kafka_watch.polled(len(records))
            if records:
                self._read_ahead([incoming.record for incoming in records])
            return _Fetched(records, self._generation)

    async def _top_up(self, have: int) -> list[IncomingRecord]:
        """What arrived after the batch read ahead, without waiting: it goes with it.

        The batch read ahead holds what had arrived when the batch before began; the
        records that came while it was routed would otherwise wait for a batch more.
        """
        if have >= self._batch_size:
            return []
        try:
            wanted = self._batch_size - have
            fetched = await self._consumer.getmany(timeout_ms=0, max_records=wanted)
        except KafkaError as exc:
            _log.warning("fetch_failed", reason=str(exc), retry_in_seconds=0)
            return []
        return [
            IncomingRecord.from_consumer_record(record)
            for partition_records in fetched.values()
            for record in partition_records
        ]

    async def _commit(self, records: Sequence[IncomingRecord]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for incoming in records:
            partition = TopicPartition(incoming.topic, incoming.partition)
            offsets[partition] = max(offsets.get(partition, 0), incoming.offset + 1)
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # The batch is routed: its records come again only to whoever owns the
            # partitions now, and routing them again delivers nothing twice.
            _log.warning("commit_failed", reason=str(exc), partitions=sorted(map(str, offsets)))
            return
        if self._on_committed is not None:
            # The high watermark is the one the last fetch of the partition brought.
            left = {
                (partition.topic, partition.partition): max(highwater - offset, 0)
                for partition, offset in offsets.items()
                if (highwater := self._consumer.highwater(partition)) is not None
            }
            self._on_committed(left)

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        """Wait until the batch in hand is routed and committed; drop what was read ahead."""
        self._generation += 1  # fetched before: comes again from the committed offsets
        self._revoked |= _pairs(revoked)
        async with self._in_hand:
            await self._rebalanced()

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        """Drop what was fetched during the rebalance: it comes again from the commits.

        A partition the database holds less of than Kafka's committed offset says resumes
        where the database's routing ends.
        """
        assigned = set(assigned)
        self._generation += 1
        if self._recorded_offsets is not None and assigned:
            # Paused while the offsets are read, so that nothing is fetched from Kafka's
            # committed offset before the seek to the database's: a batch fetched and
            # dropped meanwhile would move the position past records nobody routed.
            self._consumer.pause(*assigned)
            try:
                await self._resume_where_recorded(assigned)
            finally:
                self._consumer.resume(*(assigned & self._consumer.assignment()))
        given_up, self._revoked = self._revoked - _pairs(assigned), set()
        if given_up and self._on_given_up is not None:
            self._on_given_up(given_up)
        await self._rebalanced()

    async def _resume_where_recorded(self, assigned: set[TopicPartition]) -> None:
        # aiokafka logs what a rebalance listener raises and goes on from Kafka's offsets,
        # which would route on past a revocation the restored database lacks: the store's
        # read waits out an outage (the caller's), and Kafka's reads are retried here.
        assert self._recorded_offsets is not None  # noqa: S101 - checked by the caller
        recorded = await self._recorded_offsets(_pairs(assigned))
        kept = [tp for tp in sorted(assigned) if (tp.topic, tp.partition) in recorded]
        delay = _FIRST_RETRY_SECONDS
        while True:
            try:
                committed = {tp: await self._consumer.committed(tp) for tp in kept}
                behind = [
                    tp
                    for tp in kept
                    if (offset := committed[tp]) is None
                    or recorded[tp.topic, tp.partition] < offset
                ]
                beginnings = await self._consumer.beginning_offsets(behind) if behind else {}
            except KafkaError as exc:
                _log.warning("resume_offsets_unread", reason=str(exc), retry_in_seconds=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_RETRY_SECONDS)
                continue
            break
        resumptions = [
            resumption(
                tp.topic,
                tp.partition,
                recorded=recorded[tp.topic, tp.partition],
                committed=committed[tp],
                beginning=beginnings[tp],
            )
            for tp in behind
        ]
        for resumed in resumptions:
            if resumed.start is not None:
                self._consumer.seek(TopicPartition(resumed.topic, resumed.partition), resumed.start)
        if resumptions and self._on_resumed is not None:
            self._on_resumed(resumptions)

    async def _rebalanced(self) -> None:
        if self._on_rebalance is not None:
            await self._on_rebalance()


def _pairs(partitions: Iterable[TopicPartition]) -> set[tuple[str, int]]:
    return {(partition.topic, partition.partition) for partition in partitions}
