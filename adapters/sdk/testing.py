"""Testing an adapter against a real Kafka-protocol broker, as the router would see it.

An adapter's developer writes, in their own package's tests::

    async with AdapterHarness(MyAdapter(MySettings(url=...))) as harness:
        ...  # make the stand-in of the system list a record
        [event] = await harness.published(1)
        assert await harness.deliver(some_event) == [ReceivedOutcome.HANDLED]
        ...  # the stand-in of the system has it

The harness starts the embedded broker (or uses ``kafka_bootstrap``), creates a fresh
organisation's topics, runs the adapter in its ``AdapterRuntime`` with a state file of its
own, and plays the router: ``published`` reads what reached the outbox topic, ``deliver``
writes events into the inbox topic encoded as the router encodes them and waits until the
adapter has handled (or parked) each. A failure that would stop ``saattaja adapter run``
(an exception out of ``run``) is raised at the test's next wait, or as the block ends.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, Final, Self

from aiokafka.structs import TopicPartition
from pydantic import SecretStr

from adapters.sdk.adapter import Adapter
from adapters.sdk.errors import AdapterFailedError
from adapters.sdk.parking import ReceivedEvents, ReceivedOutcome
from adapters.sdk.runtime import AdapterRuntime
from adapters.sdk.settings import AdapterSettings
from adapters.sdk.store import AdapterStore
from broker.embedded import EmbeddedBroker
from broker.kafka import AcknowledgedSender, KafkaConnection, read_partitions, start_producer
from broker.registry import Organisation, OrganisationRegistry
from broker.settings import SaattajaSettings
from broker.topics import create_topics, inbox_topic, outbox_topic, partition_counts
from schemas import Event, EventCodec, KafkaRecord, OrganisationKind, Pseudonymiser
from schemas.examples import EXAMPLE_ORGANISATIONS

__all__ = ["AdapterHarness"]

# A secret for tests alone: the harness plays both ends, so any secret of 32 characters does.
_SECRET: Final = "saattaja-adapter-harness-pseudonym-secret"  # noqa: S105
# Retries and group membership short enough for a test, not for production.
_TEST_SETTINGS: Final[dict[str, Any]] = {
    "handler_first_delay_seconds": 0.05,
    "handler_max_delay_seconds": 0.2,
    "relay_first_delay_seconds": 0.1,
    "relay_max_delay_seconds": 0.5,
    "session_timeout_ms": 2_000,
}
_POLL_SECONDS: Final = 0.1


class AdapterHarness:
    """An adapter running against Kafka for a test, with the router's two ends in hand."""

    def __init__(
        self,
        adapter: Adapter[Any],
        *,
        kind: OrganisationKind = OrganisationKind.JARJESTO,
        kafka_bootstrap: str | None = None,
        **settings: Any,
    ) -> None:
        """``kind`` gives the organisation its example OID; ``settings`` override the SDK's
        (``AdapterSettings`` fields, such as ``handler_attempts=2``)."""
        self.adapter = adapter
        self.organisation = Organisation(
            id=f"{kind.value}-{uuid.uuid4().hex[:8]}",
            name=f"{adapter.name} under test",
            oid=EXAMPLE_ORGANISATIONS[kind],
            kind=kind,
        )
        """An organisation of this harness's own, so that no other test shares its topics."""
        self.codec = EventCodec(Pseudonymiser(_SECRET.encode()))
        """Encodes and decodes as the router and the SDK do, under the harness's secret."""
        self._bootstrap = kafka_bootstrap
        self._settings = {**_TEST_SETTINGS, **settings}
        self._stack = AsyncExitStack()
        self._connection: KafkaConnection | None = None
        self._runtime: AdapterRuntime | None = None
        self._received: ReceivedEvents | None = None
        self._watching: asyncio.Task[None] | None = None

    @property
    def runtime(self) -> AdapterRuntime:
        """The adapter's runtime (``health()``, ``context``); once the harness is entered."""
        if self._runtime is None:
            raise AdapterFailedError("the harness is not started: use it in `async with`")
        return self._runtime

    async def __aenter__(self) -> Self:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        await self._stack.aclose()
        if exc_type is None:
            # A run() or relay that failed while the test did not wait on it fails the test.
            self._raise_failure()

    async def _start(self) -> None:
        bootstrap = self._bootstrap
        if bootstrap is None:
            broker = await self._stack.enter_async_context(EmbeddedBroker("127.0.0.1", 0))
            bootstrap = broker.bootstrap
        self._connection = connection = KafkaConnection(bootstrap)
        # One partition: what the adapter published reads back in the order it was published.
        await create_topics(connection, OrganisationRegistry([self.organisation]), 1)
        folder = Path(tempfile.mkdtemp(prefix=f"saattaja-{self.adapter.name}-"))
        self._stack.callback(shutil.rmtree, folder, ignore_errors=True)
        self._runtime = AdapterRuntime(
            self.adapter,
            settings=AdapterSettings(
                organisation=self.organisation.id,
                state_file=folder / "adapter.db",
                **self._settings,
            ),
            saattaja=SaattajaSettings(
                kafka_bootstrap=bootstrap, pseudonym_secret=SecretStr(_SECRET)
            ),
            organisation=self.organisation,
            connection=connection,
        )
        await self._stack.enter_async_context(self._runtime)
        # A connection of its own to the state file, to see what became of each delivery.
        store = await AdapterStore.open(folder / "adapter.db")
        self._stack.push_async_callback(store.close)
        self._received = ReceivedEvents(store)
        # What `saattaja adapter run` watches: a failure of the adapter's loop, the relay or
        # the receiver, raised at the test's next wait rather than after its timeout.
        stopping = asyncio.Event()
        self._watching = asyncio.create_task(self._runtime.wait(stopping))
        self._stack.push_async_callback(self._stop_watching, stopping)

    async def _stop_watching(self, stopping: asyncio.Event) -> None:
        stopping.set()
        if self._watching is not None:
            await asyncio.wait([self._watching])
            if not self._watching.cancelled():
                # Retrieved here, so that asyncio does not log it as lost when the test ends
                # on an error of its own; _raise_failure raises it otherwise.
                self._watching.exception()

    def _raise_failure(self) -> None:
        """The runtime's failure, if it failed: the error `saattaja adapter run` would stop on."""
        watching = self._watching
        if watching is not None and watching.done() and not watching.cancelled():
            failure = watching.exception()
            if failure is not None:
                raise failure

    async def published(self, at_least: int = 0, *, within: float = 30.0) -> list[Event]:
        """The events in the organisation's outbox topic, decoded as the router decodes them.

        Waits until there are ``at_least`` of them; TimeoutError, saying how many there
        were, after ``within`` seconds.
        """
        deadline = time.monotonic() + within
        while True:
            self._raise_failure()
            events = [self.codec.decode(record) for record in await self._outbox_records()]
            if len(events) >= at_least:
                return events
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(events)} event(s) reached {outbox_topic(self.organisation.id)} in "
                    f"{within} s, not {at_least}: did run() publish them? (runtime.health() "
                    "says whether they wait in the state file)"
                )
            await asyncio.sleep(_POLL_SECONDS)

    async def deliver(self, *events: Event, within: float = 30.0) -> list[ReceivedOutcome]:
        """Write events into the organisation's inbox, in order, as the router delivers them.

        Returns once the adapter has finished with each, with what became of it (handled,
        or parked); TimeoutError, naming the events still waiting, after ``within`` seconds.
        """
        await self.deliver_records([self.codec.encode(event) for event in events])
        if self._received is None:
            raise AdapterFailedError("the harness is not started: use it in `async with`")
        event_ids = [str(event.event_id) for event in events]
        outcomes: dict[str, ReceivedOutcome] = {}
        deadline = time.monotonic() + within
        while True:
            self._raise_failure()
            for event_id in set(event_ids) - outcomes.keys():
                if (outcome := await self._received.outcome(event_id)) is not None:
                    outcomes[event_id] = outcome
            waiting = [event_id for event_id in event_ids if event_id not in outcomes]
            if not waiting:
                return [outcomes[event_id] for event_id in event_ids]
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the adapter did not finish with {', '.join(waiting)} in {within} s: is "
                    "handle() waiting for its system? (runtime.health() says whether receiving "
                    "waits for Kafka)"
                )
            await asyncio.sleep(_POLL_SECONDS)

    async def deliver_records(self, records: Sequence[KafkaRecord]) -> None:
        """Write records into the inbox as they are (a record the contract refuses, say)."""
        producer = await start_producer(self._kafka)
        try:
            topic = inbox_topic(self.organisation.id)
            await AcknowledgedSender(producer).send_all([(topic, record) for record in records])
        finally:
            await producer.stop()

    async def _outbox_records(self) -> list[KafkaRecord]:
        topic = outbox_topic(self.organisation.id)
        counts = await partition_counts(self._kafka, [topic])
        partitions = [TopicPartition(topic, p) for p in range(counts.get(topic, 0))]
        records: list[KafkaRecord] = []
        async for batch in read_partitions(self._kafka, partitions):
            records.extend(KafkaRecord.from_consumed(message) for message in batch)
        return records

    @property
    def _kafka(self) -> KafkaConnection:
        if self._connection is None:
            raise AdapterFailedError("the harness is not started: use it in `async with`")
        return self._connection
