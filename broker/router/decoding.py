"""Decoding a batch, FHIR validation included, in worker processes.

fhir.resources validates in Python and decoding is most of a router's work; worker
processes let one router process use more cores while its event loop waits on Kafka and
the stores. The workers send back the typed events (or the contract error that refuses a
record). With no workers the pool decodes in the router process: either way the router
gets the same outcomes.

Each worker is a child process whose pipes the event loop reads and writes itself
(``broker.router.decoding_worker``). A process pool's feeder and manager threads would
each have to win the GIL from the router's busy threads at every hand-over: with a
thread of the router process busy in Python, a record's round trip through
ProcessPoolExecutor took 33 ms, through the worker's pipes 5 ms.

The consumer hands the pool every batch as soon as it is fetched (``read_ahead``), so that
the workers decode while the router still routes the batch before: without it, decoding
and routing take turns and each side idles half the time. Even a batch of one record goes
to a worker: unpickling its event costs the router a few dozen microseconds, decoding it
a millisecond or more, which under light traffic is the event loop's time that every
other event waits for.

A worker that exits (killed, out of memory) fails the records it held, and the router
routes their batch again; the pool starts another worker in its place first.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import pickle
import sys
from collections.abc import AsyncGenerator, Sequence
from typing import Final

import structlog

from broker.errors import DecodingWorkerError
from broker.router.decoder import Decoded, decode_record, warm_up
from broker.router.decoding_worker import FRAME_HEADER, frame
from schemas import EventCodec, KafkaRecord

__all__ = ["Decoded", "DecodingPool"]

_log = structlog.get_logger(__name__)

# Small enough that the router starts routing soon, large enough to keep pickling cheap;
# a smaller batch is shared out among the workers, so that none of them idles.
_CHUNK: Final = 50
_EXIT_GRACE_SECONDS: Final = 10.0

_Chunk = tuple[Sequence[KafkaRecord], "asyncio.Future[list[Decoded]] | None"]
"""Records and a worker's decoding of them; None: decoded here when asked for."""


class _WorkerProcess:
    """One decoding worker and the batches sent to it, answered in the order sent."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._waiting: collections.deque[tuple[int, asyncio.Future[list[Decoded]]]] = (
            collections.deque()
        )
        self._reading: asyncio.Task[None] | None = None
        self.outstanding = 0
        """Records sent and not yet answered."""
        self.failure: DecodingWorkerError | None = None
        """Why the worker can decode no more: it exited."""

    @classmethod
    async def start(cls, codec: EventCodec) -> _WorkerProcess:
        """A worker that has warmed its FHIR models and answered once."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "broker.router.decoding_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        worker = cls(process)
        worker._send(codec)
        worker._reading = asyncio.create_task(worker._read_answers())
        await worker.decode([])
        return worker

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self._process.pid

    def decode(self, records: Sequence[KafkaRecord]) -> asyncio.Future[list[Decoded]]:
        """What the records decode to, once the worker answers."""
        future: asyncio.Future[list[Decoded]] = asyncio.get_running_loop().create_future()
        if self.failure is not None:
            future.set_exception(self.failure)
            return future
        self._waiting.append((len(records), future))
        self.outstanding += len(records)
        self._send(list(records))
        return future

    async def stop(self) -> None:
        """Close the worker's input and wait for it to exit."""
        stdin = self._process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), _EXIT_GRACE_SECONDS)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()
        if self._reading is not None:
            await self._reading

    def _send(self, value: object) -> None:
        stdin = self._process.stdin
        assert stdin is not None  # noqa: S101 - started with a pipe
        # The transport buffers what the pipe cannot take yet: the event loop never blocks.
        stdin.write(frame(value))

    async def _read_answers(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None  # noqa: S101 - started with a pipe
        with contextlib.suppress(asyncio.IncompleteReadError):
            while True:
                (size,) = FRAME_HEADER.unpack(await stdout.readexactly(FRAME_HEADER.size))
                # The worker is this process's own child, the only writer of the pipe.
                answer = pickle.loads(await stdout.readexactly(size))  # noqa: S301
                count, future = self._waiting.popleft()
                self.outstanding -= count
                if not future.done():  # cancelled: a read-ahead nobody asked for
                    future.set_result(answer)
        code = await self._process.wait()
        self.failure = DecodingWorkerError(
            f"decoding worker {self._process.pid} exited with code {code} (what it wrote "
            "before, if anything, is in the log above)"
        )
        while self._waiting:
            _, future = self._waiting.popleft()
            if not future.done():
                future.set_exception(self.failure)


class DecodingPool:
    """Decodes records in ``workers`` processes, or in this one when there are none."""

    def __init__(self, workers: int, codec: EventCodec) -> None:
        self._size = workers
        self._codec = codec
        self._workers: list[_WorkerProcess] = []
        # The batch read ahead and its chunks on their way through the workers.
        self._ahead: tuple[Sequence[KafkaRecord], list[_Chunk]] | None = None

    async def start(self) -> None:
        """Start the workers, each warming its FHIR models as it starts; with none, warm here."""
        if self._size == 0:
            warm_up(self._codec)
            return
        self._workers = list(
            await asyncio.gather(*(_WorkerProcess.start(self._codec) for _ in range(self._size)))
        )

    @property
    def decodes_elsewhere(self) -> bool:
        """Whether workers decode, leaving this process's event loop free meanwhile."""
        return self._size > 0

    @property
    def worker_pids(self) -> tuple[int, ...]:
        """The process ids of the workers running now."""
        return tuple(worker.pid for worker in self._workers)

    def read_ahead(self, records: Sequence[KafkaRecord]) -> None:
        """Start decoding the batch that ``decoded`` will be asked for next.

        ``decoded`` called with these same record objects then waits on this work instead
        of starting it. A read-ahead that is never asked for (the consumer dropped the
        batch) is cancelled by the next one. Without workers there is nothing to start.
        """
        if not self._workers:
            return
        self._drop_ahead()
        self._ahead = (records, self._submit(records))

    async def decoded(self, records: Sequence[KafkaRecord]) -> AsyncGenerator[Decoded]:
        """What each record decodes to, in order.

        Every chunk is handed to the workers at once and the results come back chunk by
        chunk, so the router works on the first records while the workers decode the rest.
        A batch may begin with the records read ahead.
        """
        await self._replace_exited()
        pending = self._take_ahead(records)
        rest = records[sum(len(chunk) for chunk, _ in pending) :]
        if rest:
            if self._workers:
                pending.extend(self._submit(rest))
            else:
                pending.append((rest, None))
        try:
            for chunk, decoding in pending:
                if decoding is None:
                    for record in chunk:
                        yield decode_record(self._codec, record)
                else:
                    for outcome in await decoding:
                        yield outcome
        finally:
            for _, decoding in pending:
                if decoding is not None:
                    _let_go(decoding)

    async def stop(self) -> None:
        """Stop the workers once they have answered what they were sent."""
        self._drop_ahead()
        workers, self._workers = self._workers, []
        await asyncio.gather(*(worker.stop() for worker in workers))

    async def _replace_exited(self) -> None:
        exited = [worker for worker in self._workers if worker.failure is not None]
        if not exited:
            return
        for worker in exited:
            _log.warning("decoding_worker_replaced", reason=str(worker.failure))
            await worker.stop()
        started = await asyncio.gather(*(_WorkerProcess.start(self._codec) for _ in exited))
        self._workers = [w for w in self._workers if w.failure is None] + list(started)

    def _submit(self, records: Sequence[KafkaRecord]) -> list[_Chunk]:
        size = min(_CHUNK, -(-len(records) // len(self._workers)))
        chunks = [records[start : start + size] for start in range(0, len(records), size)]
        return [(chunk, self._least_busy().decode(chunk)) for chunk in chunks]

    def _least_busy(self) -> _WorkerProcess:
        # Only with every worker exited does one answer, at once, with its failure: the
        # batch is then routed again after ``decoded`` has replaced them.
        return min(
            self._workers, key=lambda worker: (worker.failure is not None, worker.outstanding)
        )

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
                    _let_go(decoding)
            self._ahead = None


def _let_go(decoding: asyncio.Future[list[Decoded]]) -> None:
    """Nobody will wait for this decoding: cancel it, or take its failure as seen."""
    if decoding.done():
        if not decoding.cancelled():
            decoding.exception()  # else asyncio logs it as never retrieved
    else:
        decoding.cancel()
