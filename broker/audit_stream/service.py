"""The audit stream as a running service: the audit log, record by record, on the audit topic.

A SIEM, or an auditor's own copy, reads the audit topic; each message carries a record with
its sequence and hashes, so the reader can check the chain as it goes, and the topic is a
copy of the log kept outside the database. While the audit store or Kafka is unavailable
the stream waits and retries by itself; at a record that does not follow the chain it stops
for good, because shipping it would pass off a changed log as whole. Several streams may
run: their consumer group lets one ship, and the others stand by to take over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.audit_stream.metrics import AuditStreamMetrics
from broker.audit_stream.ownership import StreamOwnership
from broker.audit_stream.position import last_shipped, require_audit_topic
from broker.audit_stream.shipper import AuditShipper
from broker.errors import AuditStreamError, AuditTopicTakenError, KafkaUnavailableError
from broker.kafka import AcknowledgedSender, KafkaConnection, start_producer
from broker.metrics import Health, MetricsServer
from broker.registry import OrganisationRegistry
from broker.settings import SaattajaSettings
from broker.topics import AUDIT_TOPIC
from consent.audit import AuditLog, AuditRecord, ChainAnchor
from consent.database import check_database_schema, create_database_engine
from consent.errors import AuditChainBrokenError, StoreUnavailableError

__all__ = ["AuditStreamService", "AuditStreamStatus"]

_log = structlog.get_logger(__name__)
_FIRST_RETRY_SECONDS = 0.2
_GROUP_WAIT_SECONDS = 0.1
# A batch of audit records is acknowledged in milliseconds by a cluster that is there; at
# aiokafka's default (40 s) the stream would say it streams for most of a minute after
# Kafka has gone. Failing sooner is safe: after a failed send the stream reads where the
# topic ends, so a batch that did arrive is not sent again.
_SEND_TIMEOUT_MS = 10_000


@dataclass(slots=True)
class AuditStreamStatus:
    """What integration staff and auditors want to know about the audit stream."""

    running: bool = False
    standing_by: bool = False
    """True while another stream of the group ships and this one waits to take over."""
    paused_reason: str | None = None
    """Why the stream waits, while the audit store or Kafka is unavailable."""
    stopped_reason: str | None = None
    """Why the stream stopped for good: the chain it follows is broken."""
    shipped: int = 0
    """Records shipped since start."""


class AuditStreamService:
    """Start, run and stop one audit stream; of several, one ships and the rest stand by."""

    def __init__(
        self,
        settings: SaattajaSettings,
        registry: OrganisationRegistry,
        connection: KafkaConnection,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._connection = connection
        self.status = AuditStreamStatus()
        self.metrics = AuditStreamMetrics()
        self.metrics_port: int | None = None
        """The port /metrics and /health are served on, once started (none when off)."""
        self._metrics_server: MetricsServer | None = None
        self._engine: AsyncEngine | None = None
        self._producer: AIOKafkaProducer | None = None
        self._log: AuditLog | None = None
        self._shipper: AuditShipper | None = None
        self._ownership: StreamOwnership | None = None

    @property
    def position(self) -> ChainAnchor | None:
        """The record the audit topic ends with, as far as this process knows; None for none."""
        return None if self._shipper is None else self._shipper.position

    async def start(self) -> None:
        """Check the audit topic and the database schema, and connect to Kafka."""
        settings = self._settings
        if settings.audit_stream_metrics_port is not None:
            self._metrics_server = MetricsServer(
                self.metrics.registry,
                self.health,
                host=settings.metrics_host,
                port=settings.audit_stream_metrics_port,
                configured_by="SAATTAJA_METRICS_HOST, SAATTAJA_AUDIT_STREAM_METRICS_PORT",
            )
            self.metrics_port = await self._metrics_server.start()
        await require_audit_topic(self._connection)
        # existing: the stream only reads, and a mistyped SQLite path must not become a file.
        self._engine = create_database_engine(settings.database_url, existing=True)
        await check_database_schema(self._engine)
        self._producer = await start_producer(self._connection, request_timeout_ms=_SEND_TIMEOUT_MS)
        self._ownership = StreamOwnership(
            self._connection,
            group_id=settings.audit_stream_group_id,
            session_timeout_ms=settings.audit_stream_session_timeout_ms,
        )
        await self._ownership.start()
        self._log = AuditLog(self._engine)
        self._shipper = AuditShipper(
            self._log,
            AcknowledgedSender(self._producer),
            stream_format=settings.audit_stream_format,
            organisations={organisation.oid: organisation.name for organisation in self._registry},
            batch_size=settings.audit_stream_batch_size,
            on_shipped=self._shipped,
        )
        _log.info("audit_stream_started", format=settings.audit_stream_format)

    async def stop(self) -> None:
        """Flush the producer, close the database pool and stop serving metrics."""
        if self._metrics_server is not None:
            await self._metrics_server.stop()
            self.metrics_port = None
        if self._ownership is not None:
            await self._ownership.stop()
        if self._producer is not None:
            await self._producer.stop()
        if self._engine is not None:
            await self._engine.dispose()
        self.status.running = False
        _log.info("audit_stream_stopped", shipped=self.status.shipped)

    async def __aenter__(self) -> AuditStreamService:
        try:
            await self.start()
        except BaseException:
            await self.stop()  # what started before the failure
            raise
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def ship_once(self, *, within: float = 30.0) -> int:
        """Ship what the log holds beyond the topic's end, once; how many records were shipped.

        Waits up to ``within`` seconds for the group to give this stream the topic, and
        raises AuditTopicTakenError if it does not (a running stream holds it). Raises
        KafkaUnavailableError or StoreUnavailableError rather than wait for them, and
        AuditChainBrokenError when the log does not go on from what the topic holds.
        """
        shipper, ownership = self._started()
        try:
            await self._wait_for_the_topic(ownership, within)
            async with ownership.shipping():
                await shipper.resume(await last_shipped(self._connection))
                total = 0
                while (shipped := await shipper.ship_next()) == shipper.batch_size:
                    total += shipped
                return total + shipped
        except KafkaError as exc:
            raise self._connection.unavailable(exc) from exc

    async def run(self) -> None:
        """Ship records as they are appended, until cancelled.

        Waits and retries while the audit store or Kafka is unavailable. Raises
        AuditChainBrokenError (or AuditStreamError) when the chain it follows is broken.
        """
        self.status.running = True
        try:
            await self._ship_as_appended()
        finally:
            self.status.running = False

    async def _ship_as_appended(self) -> None:
        (shipper, ownership), log = self._started(), self._log
        assert log is not None  # noqa: S101 - set with the shipper
        delay = _FIRST_RETRY_SECONDS
        resumed_in = -1  # the ownership generation where the topic's end was last read
        while True:
            try:
                if not await ownership.owns():
                    self._stand_by(True)
                    await _reach_kafka(ownership, 0)
                    self._resume()
                    await asyncio.sleep(self._settings.audit_stream_poll_seconds)
                    continue
                self._stand_by(False)
                async with ownership.shipping():
                    if resumed_in != ownership.generation:
                        # Newly given the topic, or after a failure: another stream, or
                        # a batch whose acknowledgement was lost, may have written since.
                        await shipper.resume(await last_shipped(self._connection))
                        resumed_in = ownership.generation
                    shipped = await shipper.ship_next()
                head = await log.head()
                await _reach_kafka(ownership, shipped)
            except (StoreUnavailableError, KafkaError, KafkaUnavailableError) as exc:
                if not isinstance(exc, StoreUnavailableError):
                    resumed_in = -1  # the batch in hand may or may not be on the topic
                self._pause(str(exc), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._settings.store_retry_max_seconds)
                continue
            except (AuditChainBrokenError, AuditStreamError) as exc:
                self.metrics.broken()
                self.status.stopped_reason = str(exc)
                _log.error("audit_stream_stopped_at_broken_chain", reason=str(exc))
                raise
            delay = _FIRST_RETRY_SECONDS
            self._resume()
            self.metrics.looked(shipper.position, head)
            if shipped < shipper.batch_size:
                await asyncio.sleep(self._settings.audit_stream_poll_seconds)

    async def health(self) -> Health:
        """/health's answer: streaming or standing by; paused and why, stopped, or idle."""
        detail: dict[str, object] = {"shipped": self.status.shipped}
        if self.status.stopped_reason is not None:
            return Health(False, "stopped", {"reason": self.status.stopped_reason, **detail})
        if self.status.paused_reason is not None:
            return Health(False, "paused", {"reason": self.status.paused_reason, **detail})
        if not self.status.running:
            return Health(False, "idle", detail)
        if self.status.standing_by:
            return Health(True, "standby", detail)
        return Health(True, "streaming", detail)

    def _started(self) -> tuple[AuditShipper, StreamOwnership]:
        if self._shipper is None or self._ownership is None:
            raise RuntimeError("the audit stream is not started: call start() first")
        return self._shipper, self._ownership

    async def _wait_for_the_topic(self, ownership: StreamOwnership, within: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not await ownership.owns():
            if loop.time() >= deadline:
                raise AuditTopicTakenError(
                    f"the group {self._settings.audit_stream_group_id} did not give this "
                    f"stream {AUDIT_TOPIC} within {within:g} s: another audit stream of the "
                    "group holds it and ships the log, or Kafka is slow to let this one in"
                )
            await asyncio.sleep(_GROUP_WAIT_SECONDS)

    def _stand_by(self, standing_by: bool) -> None:
        if standing_by != self.status.standing_by:
            _log.info("audit_stream_standing_by" if standing_by else "audit_stream_shipping")
        self.status.standing_by = standing_by
        self.metrics.active(not standing_by)

    def _shipped(self, records: Sequence[AuditRecord]) -> None:
        self.status.shipped += len(records)
        self.metrics.shipped(records)

    def _pause(self, reason: str, delay: float) -> None:
        if self.status.paused_reason is None:
            self.metrics.paused(True)
        self.status.paused_reason = reason
        _log.warning("audit_stream_paused", reason=reason, retry_in_seconds=delay)

    def _resume(self) -> None:
        if self.status.paused_reason is not None:
            self.metrics.paused(False)
            self.status.paused_reason = None
            _log.info("audit_stream_resumed")


async def _reach_kafka(ownership: StreamOwnership, shipped: int) -> None:
    """KafkaUnavailableError unless Kafka answers, after a look that shipped ``shipped``.

    A stream with nothing to send would otherwise not notice that Kafka is gone, and
    /health would say it streams (or stands by) while it could not.
    """
    await ownership.kafka.polled(shipped)
    if (unreachable := ownership.kafka.unreachable) is not None:
        # The same error at every look of an outage: its traceback must not grow with each.
        raise unreachable.with_traceback(None)
