"""FHIR validation of a batch, the costly part of decoding, in worker processes.

fhir.resources validates in Python, and one router process spends most of its time there;
a pool of worker processes lets it use more cores while the event loop waits on Kafka and
the stores. With no workers, decoding validates in the router process itself.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncGenerator, Sequence
from concurrent.futures import ProcessPoolExecutor

from schemas.fhir import FhirVerdict, fhir_verdict

__all__ = ["FhirValidationPool"]

# Small enough that the router starts decoding soon, large enough to keep pickling cheap.
_CHUNK = 50
# A few records validate in the router process sooner than a worker's round trip: under
# light traffic, latency matters more than the cores.
_INLINE_UP_TO = 8


def _verdicts(values: Sequence[bytes]) -> list[FhirVerdict]:
    return [fhir_verdict(value) for value in values]


class FhirValidationPool:
    """Validates values in ``workers`` processes; with none, leaves validation to decoding."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._executor: ProcessPoolExecutor | None = None

    async def start(self) -> None:
        """Start the workers and wait until each has imported the FHIR models."""
        if self._workers == 0:
            return
        # spawn, not fork: the router process has threads (aiokafka, aiosqlite) by now.
        self._executor = ProcessPoolExecutor(
            self._workers, mp_context=multiprocessing.get_context("spawn")
        )
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(
                loop.run_in_executor(self._executor, _verdicts, [b"{}"])
                for _ in range(self._workers)
            )
        )

    async def verdicts(self, values: Sequence[bytes]) -> AsyncGenerator[FhirVerdict | None]:
        """A verdict per value, in order; None for each when decoding is to validate.

        A small batch is left to decoding: it validates faster than a worker round trip.

        Every chunk is handed to the workers at once and the verdicts come back chunk by
        chunk, so the router decodes the first records while the workers validate the rest.
        """
        if self._executor is None or len(values) <= _INLINE_UP_TO:
            for _ in values:
                yield None
            return
        loop = asyncio.get_running_loop()
        pending = [
            loop.run_in_executor(self._executor, _verdicts, values[start : start + _CHUNK])
            for start in range(0, len(values), _CHUNK)
        ]
        try:
            for chunk in pending:
                for verdict in await chunk:
                    yield verdict
        finally:
            for chunk in pending:
                chunk.cancel()

    def stop(self) -> None:
        """Stop the workers."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
