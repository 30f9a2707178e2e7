"""Running an adapter: the state file, the relay, the receiver and the adapter's own loop."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Self

import structlog

from adapters.sdk.adapter import Adapter
from adapters.sdk.context import AdapterContext
from adapters.sdk.errors import AdapterConfigurationError, AdapterFailedError, SaattajaAdapterError
from adapters.sdk.health import AdapterHealth
from adapters.sdk.metrics import AdapterMetrics
from adapters.sdk.outbox import LocalOutbox
from adapters.sdk.parking import ReceivedEvents
from adapters.sdk.publisher import Publisher
from adapters.sdk.receiver import Receiver
from adapters.sdk.relay import OutboxRelay
from adapters.sdk.settings import AdapterSettings
from adapters.sdk.store import AdapterStore
from adapters.sdk.topics import TopicsCheck
from broker.errors import ConfigurationError, UnknownOrganisationError
from broker.kafka import KafkaConnection
from broker.metrics import Health, MetricsServer
from broker.registry import Organisation, OrganisationRegistry
from broker.settings import SaattajaSettings
from broker.topics import inbox_topic, outbox_topic
from schemas import EventCodec, Pseudonymiser

__all__ = ["AdapterRuntime", "organisation_of"]

_log = structlog.get_logger(__name__)
_SECONDS_PER_HOUR = 3_600
# Long enough for a remote cluster to list its topics; short enough that an adapter started
# while Kafka is away soon takes its system's events.
_TOPICS_CHECK_TIMEOUT_MS = 10_000


def organisation_of(settings: AdapterSettings, registry: OrganisationRegistry) -> Organisation:
    """The registry's entry for this adapter's organisation, or an error saying what to set."""
    try:
        return registry.get(settings.organisation)
    except UnknownOrganisationError as exc:
        raise AdapterConfigurationError(
            f"SAATTAJA_ADAPTER_ORGANISATION={settings.organisation} is not in the registry "
            f"{registry.source} (it lists {', '.join(registry.ids)}): set it to this "
            "organisation's id there, or check SAATTAJA_REGISTRY_FILE"
        ) from exc


class AdapterRuntime:
    """One adapter with the SDK around it, from ``start()`` until ``stop()``."""

    def __init__(
        self,
        adapter: Adapter[Any],
        *,
        settings: AdapterSettings,
        saattaja: SaattajaSettings,
        organisation: Organisation,
        connection: KafkaConnection,
    ) -> None:
        self.adapter = adapter
        self._settings = settings
        self._saattaja = saattaja
        self._organisation = organisation
        self._connection = connection
        self._store: AdapterStore | None = None
        self._relay: OutboxRelay | None = None
        self._receiver: Receiver | None = None
        self._outbox: LocalOutbox | None = None
        self._received: ReceivedEvents | None = None
        self._adapter_task: asyncio.Task[None] | None = None
        self._context: AdapterContext | None = None
        self._metrics: AdapterMetrics | None = None
        self._metrics_server: MetricsServer | None = None
        self.metrics_port: int | None = None
        """The port /metrics and /health are served on, once started (none when off)."""

    @classmethod
    def from_settings(
        cls, adapter: Adapter[Any], settings: AdapterSettings, saattaja: SaattajaSettings
    ) -> Self:
        """Organisation from the registry file, Kafka from the settings."""
        try:
            registry = OrganisationRegistry.from_file(saattaja.registry_file)
            connection = KafkaConnection.from_settings(saattaja)
        except ConfigurationError as exc:
            raise AdapterConfigurationError(str(exc)) from exc
        return cls(
            adapter,
            settings=settings,
            saattaja=saattaja,
            organisation=organisation_of(settings, registry),
            connection=connection,
        )

    @property
    def context(self) -> AdapterContext:
        """What the adapter's run() got; available after start()."""
        if self._context is None:
            raise AdapterFailedError("the adapter runtime is not started: call start() first")
        return self._context

    async def start(self) -> AdapterContext:
        """Open the state file, start sending and receiving, then the adapter's own loop."""
        try:
            secret = self._saattaja.require_pseudonym_secret()
        except ConfigurationError as exc:
            raise AdapterConfigurationError(str(exc)) from exc
        pseudonymiser = Pseudonymiser(secret)
        codec = EventCodec(pseudonymiser, self._saattaja.max_event_bytes)
        settings, organisation = self._settings, self._organisation
        topics = TopicsCheck(
            self._connection,
            (outbox_topic(organisation.id), inbox_topic(organisation.id)),
            organisation_id=organisation.id,
            request_timeout_ms=_TOPICS_CHECK_TIMEOUT_MS,
        )
        # Refused here when Kafka answers; with Kafka away, the relay and receiver ask again
        # before they first touch a topic.
        await topics.at_start()
        self._store = store = await AdapterStore.open(settings.state_path)
        try:
            context = await self._start_parts(store, codec, pseudonymiser, topics)
        except BaseException:
            # The caller gets no runtime to stop: nothing of a start that failed stays open,
            # and the failure that stopped it is the one raised.
            try:
                await self.stop()
            except Exception:
                _log.exception("adapter_cleanup_failed", adapter=self.adapter.name)
            raise
        _log.info(
            "adapter_started",
            adapter=self.adapter.name,
            organisation=organisation.id,
            state_file=str(settings.state_path),
            bootstrap=self._connection.bootstrap,
        )
        return context

    async def _start_parts(
        self,
        store: AdapterStore,
        codec: EventCodec,
        pseudonymiser: Pseudonymiser,
        topics: TopicsCheck,
    ) -> AdapterContext:
        """Over the open state file: the outbox, relay, receiver and the adapter's own loop.

        The metrics server first, once there is something to count: a port in use stops
        the start before the receiver joins its group.
        """
        settings, organisation = self._settings, self._organisation
        self._outbox = LocalOutbox(store)
        self._received = ReceivedEvents(store)
        publisher = Publisher(self._outbox, codec, sender_oid=organisation.oid)
        self._relay = OutboxRelay(
            self._outbox,
            self._connection,
            outbox_topic(organisation.id),
            retry=settings.relay_retry,
            batch_size=settings.relay_batch_size,
            request_timeout_ms=settings.relay_request_timeout_ms,
            keep_sent_seconds=settings.outbox_keep_sent_hours * _SECONDS_PER_HOUR,
            topics=topics,
        )
        self._receiver = Receiver(
            self._received,
            self._connection,
            inbox_topic(organisation.id),
            group_id=settings.consumer_group,
            codec=codec,
            handler=self.adapter.handle,
            on_rejection=self.adapter.on_rejection,
            retry=settings.handler_retry,
            session_timeout_ms=settings.session_timeout_ms,
            topics=topics,
        )
        self._context = AdapterContext(
            organisation=organisation,
            settings=settings,
            publisher=publisher,
            pseudonymiser=pseudonymiser,
            health=self.health,
        )
        self._metrics = AdapterMetrics(organisation.id, self._relay.status, self._receiver.status)
        await self._serve_metrics()
        self._relay.start()
        self._receiver.start()
        self._adapter_task = asyncio.create_task(
            self.adapter.run(self._context), name=f"adapter {self.adapter.name}"
        )
        return self._context

    async def _serve_metrics(self) -> None:
        settings, metrics = self._settings, self._metrics
        if settings.metrics_port is None or metrics is None:
            return
        self._metrics_server = MetricsServer(
            metrics.registry,
            self._served_health,
            host=settings.metrics_host,
            port=settings.metrics_port,
            configured_by="SAATTAJA_ADAPTER_METRICS_HOST, SAATTAJA_ADAPTER_METRICS_PORT",
            before_scrape=self._refresh_metrics,
        )
        try:
            self.metrics_port = await self._metrics_server.start()
        except ConfigurationError as exc:
            raise AdapterConfigurationError(str(exc)) from exc

    async def _refresh_metrics(self) -> None:
        if self._metrics is not None:
            self._metrics.refresh(await self.health())

    async def _served_health(self) -> Health:
        """Running, or waiting for Kafka and why: what /health answers.

        Healthy while Kafka is away: the adapter still takes its system's events (they wait
        in the state file), so a load balancer in front of it must keep sending them, and a
        restart would change nothing. A state file it cannot read fails the answer instead.
        """
        health = await self.health()
        detail = {
            "outbox_unsent": health.outbox_unsent,
            "outbox_oldest_age_seconds": round(health.outbox_oldest_age_seconds, 3),
            "parked": health.parked,
        }
        if health.healthy:
            return Health(True, "running", detail)
        waits = {"sending": health.relay_error, "receiving": health.receiver_error}
        return Health(True, "waiting", {**detail, **{k: v for k, v in waits.items() if v}})

    async def stop(self) -> None:
        """Stop the loop first, so nothing new comes in; then Kafka, the adapter, the file."""
        if self._metrics_server is not None:
            await self._metrics_server.stop()
            self._metrics_server = None
            self.metrics_port = None
        if self._adapter_task is not None:
            self._adapter_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                # Its error, if any, was reported by wait(); stopping must finish.
                await self._adapter_task
            self._adapter_task = None
        receiver, relay, store = self._receiver, self._relay, self._store
        self._receiver = self._relay = self._store = None
        # Every part is stopped and closed even when one before it fails (the exit stack
        # raises that failure once all have run), in the reverse order of pushing.
        async with contextlib.AsyncExitStack() as closing:
            if store is not None:
                closing.push_async_callback(store.close)
            closing.push_async_callback(self.adapter.close)
            for part in (relay, receiver):
                if part is not None:
                    closing.push_async_callback(part.stop)
        _log.info("adapter_stopped", adapter=self.adapter.name)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def wait(self, stop: asyncio.Event) -> None:
        """Return when ``stop`` is set; raise when the relay, receiver or adapter fails."""
        stopping: asyncio.Task[Any] = asyncio.create_task(stop.wait())
        watched: set[asyncio.Task[Any]] = {stopping}
        for part in (self._relay, self._receiver):
            if part is not None and part.task is not None:
                watched.add(part.task)
        if self._adapter_task is not None:
            watched.add(self._adapter_task)
        try:
            # A part that failed before the stop came (or before this was called) is raised,
            # not lost behind the stop.
            for task in [task for task in watched - {stopping} if task.done()]:
                watched.discard(task)
                self._raise_failure(task)
            while not stop.is_set():
                done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
                for task in done - {stopping}:
                    watched.discard(task)
                    self._raise_failure(task)
        finally:
            stopping.cancel()

    async def health(self) -> AdapterHealth:
        """Outbox depth and age, parked count, and what waits for Kafka."""
        if self._outbox is None or self._received is None:
            raise AdapterFailedError("the adapter runtime is not started: call start() first")
        depth = await self._outbox.depth()
        return AdapterHealth(
            outbox_unsent=depth.unsent,
            outbox_oldest_age_seconds=depth.oldest_age_seconds,
            parked=await self._received.parked_count(),
            relay_error=self._relay.status.last_error if self._relay else None,
            receiver_error=self._receiver.status.last_error if self._receiver else None,
        )

    def _raise_failure(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            raise AdapterFailedError(f"{task.get_name()} was cancelled while the adapter ran")
        failure = task.exception()
        if failure is None:
            # An adapter's run() may end when it has nothing to poll; the SDK runs on.
            _log.info("adapter_loop_finished", adapter=self.adapter.name)
            return
        if isinstance(failure, SaattajaAdapterError):
            raise failure
        # The one-line error below is what a person reads; the developer needs the line of
        # their code that raised, which only the traceback names.
        _log.error(
            "adapter_failed", adapter=self.adapter.name, part=task.get_name(), exc_info=failure
        )
        raise AdapterFailedError(
            f"{task.get_name()} stopped with {type(failure).__name__}: {failure} (its "
            "traceback is logged as adapter_failed); the adapter process stops so that it can "
            "be restarted whole"
        ) from failure
