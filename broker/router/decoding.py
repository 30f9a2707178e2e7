"""Decoding a batch, FHIR validation included, in worker processes.

fhir.resources validates in Python and decoding is most of a router's work; a pool of
worker processes lets one router process use more cores while its event loop waits on
Kafka and the stores. The workers send back the typed events (or the contract error that
refuses a record). With no workers the pool decodes in the router process: either way the
router gets the same outcomes.

The consumer hands the pool every batch as soon as it is fetched (``read_ahead``), so that
the workers decode while the router still routes the batch before: without it, decoding
and routing take turns and each side idles half the time. Even a batch of one record goes
to a worker: unpickling its event costs the router a few dozen microseconds, decoding it
a millisecond or more, which under light traffic is the event loop's time that every
other event waits for.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import AsyncGenerator, Sequence
from concurrent.futures import ProcessPoolExecutor

import structlog

from broker.errors import UndecodableRecordError
from broker.router.collector import settle_collector
from schemas import ContractError, Event, EventCodec, KafkaRecord
from schemas.examples import example_events

__all__ = ["Decoded", "DecodingPool"]

Decoded = Event | ContractError
"""What a worker makes of a record: its event, or the error that refuses it."""

# Small enough that the router starts routing soon, large enough to keep pickling cheap;
# a smaller batch is shared out among the workers, so that none of them idles.
_CHUNK = 50
_WORKER_NICENESS = 10

_Chunk = tuple[Sequence[KafkaRecord], "asyncio.Future[list[Decoded]] | None"]
"""Records and the workers' decoding of them; None: decoded here when asked for."""

_log = structlog.get_logger(__name__)

_worker_codec: EventCodec | None = None  # a worker process's own, set once at its start


def _start_worker(codec: EventCodec) -> None:
    global _worker_codec  # noqa: PLW0603 - the pool's way of giving each worker its state
    _worker_codec = codec
    if hasattr(os, "nice"):
        # Below the router's event loop: on cores they share, the loop's turn for every
        # event's I/O comes before validation, which takes whatever cycles are left.
        os.nice(_WORKER_NICENESS)
    _warm_up(codec)
    settle_collector()  # the FHIR models just loaded are most of a worker's heap


def _warm_up(codec: EventCodec) -> None:
    """Decode an event of every type once."""
    # fhir.resources imports a resource's models when it first validates one: a pause of a
    # few hundred milliseconds that the first events after a start would otherwise wait for.
    for _, event in example_events():
        codec.decode(codec.encode(event, validate=False))


def _decode(codec: EventCodec, record: KafkaRecord) -> Decoded:
    try:
        return codec.decode(record)
    except ContractError as exc:
        return exc
    except Exception as exc:  # any failure on one record refuses that record, not the router
        _log.exception("record_undecodable", event_id=record.header("ce_id"))
        return UndecodableRecordError(
            f"the router could not decode this record ({type(exc).__name__}: {exc}); it is "
            "kept in the dead-letter topic: tell the Saattaja operators, whose router log "
            "has the details"
        )


def _decode_all(records: Sequence[KafkaRecord]) -> list[Decoded]:
    assert _worker_codec is not None  # noqa: S101 - set by the pool's initializer
    return [_decode(_worker_codec, record) for record in records]


class DecodingPool:
    """Decodes records in ``workers`` processes, or in this one when there are none."""

    def __init__(self, workers: int, codec: EventCodec) -> None:
        self._workers = workers
        self._codec = codec
        self._executor: ProcessPoolExecutor | None = None
        # The batch read ahead and its chunks on their way through the workers.
        self._ahead: tuple[Sequence[KafkaRecord], list[_Chunk]] | None = None

    async def start(self) -> None:
        """Start the workers, each warming its FHIR models as it starts; with none, warm here."""
        if self._workers == 0:
            _warm_up(self._codec)
            return
        # spawn, not fork: the router process has threads (aiokafka, aiosqlite) by now.
        self._executor = ProcessPoolExecutor(
            self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._codec,),
        )
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(self._executor, _decode_all, []) for _ in range(self._workers))
        )

    @property
    def decodes_elsewhere(self) -> bool:
        """Whether workers decode, leaving this process's event loop free meanwhile."""
        return self._executor is not None

    def read_ahead(self, records: Sequence[KafkaRecord]) -> None:
        """Start decoding the batch that ``decoded`` will be asked for next.

        ``decoded`` called with these same record objects then waits on this work instead
        of starting it. A read-ahead that is never asked for (the consumer dropped the
        batch) is cancelled by the next one. Without workers there is nothing to start.
        """
        if self._executor is None:
            return
        self._drop_ahead()
        self._ahead = (records, self._submit(self._executor, records))

    async def decoded(self, records: Sequence[KafkaRecord]) -> AsyncGenerator[Decoded]:
        """What each record decodes to, in order.

        Every chunk is handed to the workers at once and the results come back chunk by
        chunk, so the router works on the first records while the workers decode the rest.
        A batch may begin with the records read ahead.
        """
        pending = self._take_ahead(records)
        rest = records[sum(len(chunk) for chunk, _ in pending) :]
        if rest:
            if self._executor is None:
                pending.append((rest, None))
            else:
                pending.extend(self._submit(self._executor, rest))
        try:
            for chunk, decoding in pending:
                if decoding is None:
                    for record in chunk:
                        yield _decode(self._codec, record)
                else:
                    for outcome in await decoding:
                        yield outcome
        finally:
            for _, decoding in pending:
                if decoding is not None:
                    decoding.cancel()

    def stop(self) -> None:
        """Stop the workers."""
        self._drop_ahead()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _submit(
        self, executor: ProcessPoolExecutor, records: Sequence[KafkaRecord]
    ) -> list[_Chunk]:
        loop = asyncio.get_running_loop()
        size = min(_CHUNK, -(-len(records) // self._workers))
        chunks = [records[start : start + size] for start in range(0, len(records), size)]
        return [(chunk, loop.run_in_executor(executor, _decode_all, chunk)) for chunk in chunks]

    def _take_ahead(self, records: Sequence[KafkaRecord]) -> list[_Chunk]:
        # The same objects, not equal ones: a record republished with the same bytes is
        # another record. A read-ahead of another batch stays for the call that wants it.
        if self._ahead is None:
            return []
        ahead, pending = self._ahead
        if len(ahead) > len(records):
            return []
        if any(a is not b for a, b in zip(ahead, records, strict=False)):
            return []
        self._ahead = None
        return list(pending)

    def _drop_ahead(self) -> None:
        if self._ahead is not None:
            for _, decoding in self._ahead[1]:
                if decoding is not None:
                    decoding.cancel()
            self._ahead = None
