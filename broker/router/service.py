"""The router as a running service: a consumer of every outbox, in one group.

Several router processes share the work through the consumer group. Offsets are
committed by hand, after a record is fully routed; while the consent or audit store (or
Kafka) is unavailable the handler waits and retries, so nothing further is consumed and
nothing is committed: the router fails closed and resumes by itself. A batch that fails
for any other reason (a bug) is retried in the same way, logged each time: committing past
it would lose events without a trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import KafkaError
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.errors import (
    ConfigurationError,
    KafkaUnavailableError,
    RouterStoppedError,
    UnreadablePathwayError,
)
from broker.kafka import (
    AcknowledgedSender,
    KafkaConnection,
    KafkaWatch,
    partition_of,
    start_producer,
    stop_consumer,
)
from broker.metrics import Health, MetricsServer
from broker.pathway import PathwayStore, pathway_rules
from broker.registry import OrganisationRegistry
from broker.router.collector import collect_while_waiting
from broker.router.consumer import OutboxConsumer
from broker.router.decoding import DecodingPool
from broker.router.incoming import IncomingRecord
from broker.router.ledger import DeliveryLedger
from broker.router.metrics import RouterMetrics
from broker.router.positions import RoutedOffsets
from broker.router.resumption import Resumption
from broker.router.routing import Router, RoutingOutcome
from broker.settings import SaattajaSettings
from broker.topics import OutboxSurvey, outbox_topic, survey_outboxes
from consent.audit import AuditLog
from consent.database import (
    check_database_schema,
    check_pseudonym_secret,
    create_database_engine,
)
from consent.errors import AuditChainBrokenError, StoreUnavailableError
from consent.legal_bases import LegalBases, load_legal_bases
from consent.network import CareNetwork
from consent.store import ConsentStore
from schemas import EventCodec, Pseudonymiser

__all__ = ["RouterService", "RouterStatus"]

_log = structlog.get_logger(__name__)
_FIRST_RETRY_SECONDS = 0.2
# What routing waits out, retrying, rather than logs as a bug: a store or Kafka away, or a
# stored value changed by hand that cannot be read back until a person puts it right.
# Nothing is delivered or committed meanwhile: the router fails closed.
_WAITED_OUT = (StoreUnavailableError, KafkaError, AuditChainBrokenError, UnreadablePathwayError)
# How long stop() lets the batch in hand finish; longer only while a store is down.
_STOP_GRACE_SECONDS = 10.0


@dataclass(slots=True)
class RouterStatus:
    """What integration staff want to know about a router process."""

    paused_reason: str | None = None
    """Why the batch in hand waits, while a store or Kafka is unavailable."""
    kafka_unreachable: str | None = None
    """Why no batch comes, while Kafka does not answer (aiokafka's polls do not say)."""
    overdue_watch_paused: str | None = None
    """Why the last scan for overdue referrals failed; None once a scan goes through.

    Apart from ``waiting_for``: routing goes on meanwhile, but no overdue notice or expiry
    is sent to anyone until the next scan goes through.
    """
    outcomes: dict[str, int] = field(default_factory=dict)
    """Records handled since start, by outcome (routed, applied, rejected)."""
    records_lost: dict[str, int] = field(default_factory=dict)
    """By outbox partition, records gone from Kafka that the database never recorded.

    Found when the database was restored from a backup older than the outboxes' retention;
    routing goes on with the oldest record left, and this stays until the process restarts.
    """

    @property
    def waiting_for(self) -> str | None:
        """Why routing waits, for whatever reason; None while it routes."""
        reasons = dict.fromkeys(r for r in (self.paused_reason, self.kafka_unreachable) if r)
        return "; ".join(reasons) or None


class RouterService:
    """Start, run and stop one router process."""

    def __init__(
        self,
        settings: SaattajaSettings,
        registry: OrganisationRegistry,
        connection: KafkaConnection,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._overdue_watch: asyncio.Task[None] | None = None
        self._registry = registry
        self._connection = connection
        self.status = RouterStatus()
        self.metrics = RouterMetrics()
        self.metrics_port: int | None = None
        """The port /metrics and /health are served on, once started (none when off)."""
        self._metrics_server: MetricsServer | None = None
        self._engine: AsyncEngine | None = None
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._consuming: asyncio.Task[None] | None = None
        self._outboxes: OutboxConsumer | None = None
        self._router: Router | None = None
        self._decoding: DecodingPool | None = None

    @property
    def decoding_worker_pids(self) -> tuple[int, ...]:
        """The process ids of the decoding workers running now; none without workers."""
        return self._decoding.worker_pids if self._decoding is not None else ()

    async def start(self) -> None:
        """Check the outboxes and the database schema, connect to Kafka and begin consuming."""
        settings = self._settings
        if settings.metrics_port is not None:
            # First: a port in use fails the start before the group is joined and left.
            self._metrics_server = MetricsServer(
                self.metrics.registry,
                self.health,
                host=settings.metrics_host,
                port=settings.metrics_port,
                configured_by="SAATTAJA_METRICS_HOST, SAATTAJA_METRICS_PORT",
            )
            self.metrics_port = await self._metrics_server.start()
        # The configuration of this machine before anything on the network: a mistake in
        # it is named even while Kafka or the database is down.
        legal_bases = (
            load_legal_bases(settings.legal_bases_file)
            if settings.legal_bases_file is not None
            else LegalBases.none()
        )
        codec = EventCodec(
            Pseudonymiser(settings.require_pseudonym_secret()), settings.max_event_bytes
        )
        outboxes_found = await survey_outboxes(self._connection, self._registry)
        self._check_topics_exist(outboxes_found)
        _check_co_partitioned(outboxes_found)
        for topic in outboxes_found.unplanned:
            _log.warning(
                "outbox_not_read",
                topic=topic,
                reason="no organisation of SAATTAJA_REGISTRY_FILE has this outbox, so the router "
                "does not read it and what is published there reaches nobody: add the "
                "organisation to the registry, or stop its adapter and delete the topic",
            )
        self._engine = create_database_engine(settings.database_url)
        await check_database_schema(self._engine)
        await check_pseudonym_secret(
            self._engine, codec.pseudonymiser.fingerprint(), record_at=self._clock()
        )
        self._decoding = DecodingPool(settings.router_validation_workers, codec)
        await self._decoding.start()
        self._producer = await start_producer(self._connection)
        self._router = Router(
            database=self._engine,
            codec=codec,
            registry=self._registry,
            consents=ConsentStore(
                self._engine, remember_versions=settings.router_consent_cache_versions
            ),
            network=CareNetwork(self._engine),
            audit=AuditLog(self._engine),
            ledger=DeliveryLedger(self._engine),
            legal_bases=legal_bases,
            outbound=AcknowledgedSender(self._producer),
            pathway=PathwayStore(self._engine),
            rules=pathway_rules(settings),
            decoding=self._decoding,
            known_clients=settings.router_known_clients,
            clock=self._clock,
            on_decided=self.metrics.decided,
            on_escalated=self.metrics.escalated,
            partitions_of=self._partitions_of,
        )
        self._consumer = AIOKafkaConsumer(
            **self._connection.client_kwargs(),
            group_id=settings.router_group_id,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_wait_ms=settings.router_fetch_wait_ms,
            session_timeout_ms=settings.router_session_timeout_ms,
            heartbeat_interval_ms=max(settings.router_session_timeout_ms // 3, 100),
            # Range, not aiokafka's round robin: with every outbox of one partition count,
            # partition p of every outbox goes to one process, and so do all the events of
            # a client (the key is theirs). A referral and its answer from another outbox
            # are then routed by one process, one batch after the other, never by two at once.
            partition_assignment_strategy=(RangePartitionAssignor,),
        )
        self._outboxes = outboxes = OutboxConsumer(
            self._consumer,
            batch_size=settings.router_batch_size,
            read_ahead=self._decoding.read_ahead,
            on_rebalance=self._router.forget_clients,
            on_committed=self.metrics.lag,
            on_given_up=self.metrics.given_up,
            recorded_offsets=self._recorded_offsets,
            on_resumed=self.report_resumed,
            # Only a process whose collector is settled has that many young objects.
            on_waiting=collect_while_waiting,
            kafka_watch=KafkaWatch(
                self._consumer,
                self._connection,
                within_ms=settings.router_session_timeout_ms,
                on_change=self._kafka_changed,
            ),
        )
        outboxes.subscribe([outbox_topic(organisation.id) for organisation in self._registry])
        try:
            await self._consumer.start()
        except (KafkaError, OSError) as exc:
            await stop_consumer(self._consumer)
            raise self._connection.unavailable(exc) from exc
        self._consuming = asyncio.create_task(outboxes.run(self._handle))
        self._overdue_watch = asyncio.create_task(self._watch_overdue())
        _log.info(
            "router_started", group=settings.router_group_id, bootstrap=self._connection.bootstrap
        )

    async def watch(self) -> None:
        """Wait while the outboxes are consumed; RouterStoppedError once that fails or ends.

        For what supervises the router (``saattaja up``, ``saattaja router``): a process
        whose consuming died would otherwise stay up routing nothing. Cancelling the wait
        leaves the consuming to stop(), which ends it between batches.
        """
        consuming = self._consuming
        if consuming is None:
            raise RouterStoppedError("the router was not started, so it consumes nothing")
        # wait() rather than await: cancelling this wait must not cancel the consuming.
        await asyncio.wait([consuming])
        if not consuming.cancelled() and (failure := consuming.exception()) is not None:
            raise RouterStoppedError(
                f"the router stopped consuming the outboxes: {failure!r}; nothing is routed "
                "until it is started again"
            ) from failure
        raise RouterStoppedError(
            "the router's consuming of the outboxes ended by itself; nothing is routed until "
            "it is started again"
        )

    async def health(self) -> Health:
        """Routing, starting, or paused and why: what /health answers."""
        detail: dict[str, object] = {
            "outcomes": dict(self.status.outcomes),
            "partitions": sorted(
                f"{topic}-{partition}" for topic, partition in self.owned_partitions()
            ),
        }
        if self.status.overdue_watch_paused is not None:
            detail["overdue_watch_paused"] = self.status.overdue_watch_paused
        if self.status.records_lost:
            detail["records_lost"] = dict(self.status.records_lost)
        if (reason := self.status.waiting_for) is not None:
            return Health(False, "paused", {"reason": reason, **detail})
        if self._consuming is None:
            return Health(False, "starting", detail)
        return Health(True, "routing", detail)

    def owned_partitions(self) -> frozenset[tuple[str, int]]:
        """The (outbox topic, partition) pairs this process routes now."""
        if self._consumer is None:
            return frozenset()
        return frozenset((tp.topic, tp.partition) for tp in self._consumer.assignment())

    def _partitions_of(self, topic: str) -> int | None:
        if self._consumer is None:
            return None
        return len(self._consumer.partitions_for_topic(topic) or ()) or None

    def owns_client(self, pseudonym: str) -> bool:
        """Whether this process routes the client's events now (holds their partition)."""
        if self._consumer is None:
            return False
        key = pseudonym.encode()
        for owned in self._consumer.assignment():
            partitions = self._consumer.partitions_for_topic(owned.topic)
            if partitions and partition_of(key, len(partitions)) == owned.partition:
                return True
        return False

    def _check_topics_exist(self, outboxes: OutboxSurvey) -> None:
        # Read or written, a missing topic would be created by Kafka (auto.create.topics.enable,
        # on by default) with the cluster's partitions and retention rather than Saattaja's.
        if outboxes.missing:
            raise ConfigurationError(
                f"the topics {', '.join(outboxes.missing)} do not exist at "
                f"{self._connection.bootstrap}: create them with `saattaja topics create` "
                "before starting the router, so that they have the partitions and retention "
                "of the others (an organisation's come from SAATTAJA_REGISTRY_FILE)"
            )

    async def stop(self) -> None:
        """Leave the group, flush the producer and close the database pool."""
        if self._metrics_server is not None:
            await self._metrics_server.stop()
            self.metrics_port = None
        if self._overdue_watch is not None and self._router is not None:
            # Between two referrals: cancelled between Kafka's acknowledgement of a notice
            # and the store's record of it, the watch would send the notice again after a
            # restart.
            async with self._router.between_turns(grace=_STOP_GRACE_SECONDS):
                self._overdue_watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._overdue_watch
        if self._consuming is not None and self._outboxes is not None:
            if not self._consuming.done():
                await self._outboxes.stop(self._consuming, grace=_STOP_GRACE_SECONDS)
            elif not self._consuming.cancelled() and self._consuming.exception() is not None:
                # Already ended by a failure, which watch() reports: raised again here, it
                # would leave the consumer, the producer and the pool open.
                _log.warning("router_consuming_had_failed", error=repr(self._consuming.exception()))
        if self._consumer is not None:
            await stop_consumer(self._consumer)
        if self._producer is not None:
            await self._producer.stop()
        if self._engine is not None:
            await self._engine.dispose()
        if self._decoding is not None:
            await self._decoding.stop()
        _log.info("router_stopped")

    async def __aenter__(self) -> RouterService:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def escalate_overdue(self, *, page_size: int = 100) -> int:
        """Send the overdue notices due now (the watch does this every overdue_scan_seconds).

        The due referrals are read ``page_size`` at a time, every one of them in a scan.
        """
        assert self._router is not None  # noqa: S101 - set in start()
        return await self._router.escalate_overdue(page_size=page_size, owns=self.owns_client)

    async def remove_expired_documents(self) -> int:
        """Remove the documents kept longer than the retention (the watch does this too)."""
        assert self._router is not None  # noqa: S101 - set in start()
        removed = await self._router.remove_expired_documents(owns=self.owns_client)
        if removed:
            self.metrics.documents_removed(removed)
            _log.info(
                "pathway_documents_removed",
                documents=removed,
                retention_days=self._settings.pathway_document_retention_days,
            )
        return removed

    async def _watch_overdue(self) -> None:
        # Every router process watches over the clients it routes now: another's change to a
        # client's referral would leave the state this process keeps of them stale. The
        # first look comes after one interval, once the backlog has had a chance to bring
        # the answers that would make a notice needless. The documents kept longer than the
        # retention go in the same look, after the notices that may still need them.
        while True:
            await asyncio.sleep(self._settings.overdue_scan_seconds)
            try:
                await self.escalate_overdue()
                await self.remove_expired_documents()
            except _WAITED_OUT as exc:
                self._overdue_watch_waits(str(exc))
                _log.warning("overdue_watch_paused", reason=str(exc))
            except Exception as exc:
                # /health names only its type: its text may quote a client's records.
                self._overdue_watch_waits(
                    "looking for overdue referrals, or for documents kept past their "
                    f"retention, failed ({type(exc).__name__}): the router's log has the details"
                )
                _log.exception("overdue_watch_failed")
            else:
                if self.status.overdue_watch_paused is not None:
                    self.status.overdue_watch_paused = None
                    self.metrics.overdue_watch_resumed()
                    _log.info("overdue_watch_resumed")

    def _overdue_watch_waits(self, reason: str) -> None:
        # Routing may go on meanwhile, so /health stays 200 and saattaja_router_paused 0;
        # but every client's notices wait, which a log line once a scan would hide.
        self.status.overdue_watch_paused = reason
        self.metrics.overdue_watch_paused()

    async def _handle(self, batch: list[IncomingRecord]) -> None:
        outcomes = await self._route_until_done(batch)
        for outcome in outcomes:
            self.status.outcomes[outcome.value] = self.status.outcomes.get(outcome.value, 0) + 1
        self.metrics.handled(outcomes)

    async def _route_until_done(self, batch: list[IncomingRecord]) -> list[RoutingOutcome]:
        assert self._router is not None  # noqa: S101 - set in start()
        delay = _FIRST_RETRY_SECONDS
        while True:
            started = time.perf_counter()
            try:
                outcomes = await self._router.route_batch(batch)
            except _WAITED_OUT as exc:
                self.status.paused_reason = str(exc)
                self._show_pause()
                _log.warning(
                    "routing_paused",
                    reason=str(exc),
                    retry_in_seconds=delay,
                    records=len(batch),
                    first_topic=batch[0].topic if batch else None,
                    first_offset=batch[0].offset if batch else None,
                )
            except Exception as exc:
                # A bug: retried like an outage rather than committed past, which would lose
                # the batch; logged every time, so that it shows rather than a quiet stall.
                # /health names only its type: its text may quote the records in hand.
                self.status.paused_reason = (
                    f"routing failed ({type(exc).__name__}): the router's log has the details"
                )
                self._show_pause()
                _log.exception(
                    "routing_failed",
                    retry_in_seconds=delay,
                    records=len(batch),
                    first_topic=batch[0].topic if batch else None,
                    first_offset=batch[0].offset if batch else None,
                )
            else:
                self.metrics.batch_routed(time.perf_counter() - started)
                if self.status.paused_reason is not None:
                    self.status.paused_reason = None
                    self._resumed()
                self._show_pause()
                return outcomes
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._settings.store_retry_max_seconds)

    async def _recorded_offsets(
        self, partitions: Set[tuple[str, int]]
    ) -> Mapping[tuple[str, int], int]:
        """The database's routed offsets of the partitions assigned, waiting out an outage.

        Resuming from Kafka's offsets instead would route on past what a restored database
        lacks (a revocation among it): nothing is routed until the database answers.
        """
        assert self._engine is not None  # noqa: S101 - set in start()
        offsets = RoutedOffsets(self._engine)
        delay = _FIRST_RETRY_SECONDS
        while True:
            try:
                found = await offsets.of(partitions)
            except _WAITED_OUT as exc:
                self.status.paused_reason = str(exc)
                self._show_pause()
                _log.warning("routing_paused", reason=str(exc), retry_in_seconds=delay)
            else:
                if self.status.paused_reason is not None:
                    self.status.paused_reason = None
                    self._resumed()
                self._show_pause()
                return found
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._settings.store_retry_max_seconds)

    def report_resumed(self, resumptions: Sequence[Resumption]) -> None:
        """Say which partitions resume where the database's routing ends, and what is lost.

        The consumer tells this at each assignment: a log line per partition, the metrics,
        and, for records gone for good, /health's ``records_lost``.
        """
        for resumed in resumptions:
            if resumed.routed_again:
                self.metrics.routed_again(resumed.topic, resumed.partition, resumed.routed_again)
                _log.warning(
                    "outbox_routed_again",
                    partition=resumed.name,
                    from_offset=resumed.start,
                    committed_offset=resumed.committed,
                    records=resumed.routed_again,
                    reason=f"the database holds the routing of {resumed.name} only up to "
                    f"offset {resumed.recorded}, but the router's group committed "
                    f"{resumed.committed}: the database was restored from a backup (or a "
                    "router that had lost the partition recorded late). The records between "
                    "are routed again: consents and revocations applied again, the decisions "
                    "the audit log lacks decided again, and the events delivered again (the "
                    "adapters drop those their organisation had)",
                )
            if resumed.lost:
                self.metrics.records_lost(resumed.topic, resumed.partition, resumed.lost)
                self.status.records_lost[resumed.name] = (
                    self.status.records_lost.get(resumed.name, 0) + resumed.lost
                )
                _log.error(
                    "outbox_records_lost",
                    partition=resumed.name,
                    recorded_offset=resumed.recorded,
                    oldest_offset=resumed.recorded + resumed.lost
                    if resumed.recorded is not None
                    else None,
                    records=resumed.lost,
                    reason=f"the database holds the routing of {resumed.name} only up to "
                    f"offset {resumed.recorded}, and Kafka no longer holds the "
                    f"{resumed.lost} records after it (the outbox's retention, "
                    "SAATTAJA_TOPIC_RETENTION_HOURS, deleted them): the consents, "
                    "revocations and events among them are gone from this database for good. "
                    "Routing goes on from the oldest record left. Ask the organisations "
                    "publishing to this outbox to send again what they sent in that time "
                    "(revocations first), and keep the audit topic's records of it as "
                    "evidence",
                )

    def _kafka_changed(self, unreachable: KafkaUnavailableError | None) -> None:
        if unreachable is not None:
            self.status.kafka_unreachable = str(unreachable)
            _log.warning("routing_paused", reason=str(unreachable))
        else:
            self.status.kafka_unreachable = None
            self._resumed()
        self._show_pause()

    def _resumed(self) -> None:
        if self.status.waiting_for is None:
            _log.info("routing_resumed")

    def _show_pause(self) -> None:
        if self.status.waiting_for is None:
            self.metrics.resumed()
        else:
            self.metrics.paused()


def _check_co_partitioned(outboxes: OutboxSurvey) -> None:
    if len(set(outboxes.partitions.values())) > 1:
        found = ", ".join(
            f"{topic}: {count}" for topic, count in sorted(outboxes.partitions.items())
        )
        raise ConfigurationError(
            f"the outbox topics have different numbers of partitions ({found}); every "
            "outbox needs the same number, so that all the events of one client reach "
            "one router process. Add partitions to the smaller ones (kafka-topics.sh "
            "--alter --partitions N), or create the topics with one "
            "SAATTAJA_TOPIC_PARTITIONS"
        )
