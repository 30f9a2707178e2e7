"""The organisation's outbox and inbox must exist before the adapter touches either."""

from __future__ import annotations

import asyncio

import structlog

from adapters.sdk.errors import AdapterConfigurationError
from broker.errors import KafkaUnavailableError, TopicError
from broker.kafka import KafkaConnection, open_admin
from broker.topics import missing_topics

__all__ = ["TopicsCheck", "waiting_reason"]

_log = structlog.get_logger(__name__)


class TopicsCheck:
    """Whether the organisation's topics exist, asked until Kafka has answered once.

    Asked about a missing topic, Kafka creates it (auto.create.topics.enable, and the
    embedded broker always) with its own partitions and retention, not Saattaja's: an outbox
    the router does not read. So the relay and receiver await ``passed()`` before each
    producer or consumer they start, in the loops that already wait for Kafka.
    """

    def __init__(
        self,
        connection: KafkaConnection,
        topics: tuple[str, ...],
        *,
        organisation_id: str,
        request_timeout_ms: int,
    ) -> None:
        self._connection = connection
        self._topics = topics
        self._organisation_id = organisation_id
        self._request_timeout_ms = request_timeout_ms
        self._passed = False
        # The relay and receiver wait on one answer rather than each asking Kafka.
        self._lock = asyncio.Lock()

    async def passed(self) -> None:
        """Return once the topics were found; raise while that is not known or not so.

        KafkaUnavailableError or TopicError while Kafka does not answer (the caller waits
        and asks again); AdapterConfigurationError when a topic is missing, which stops the
        adapter as it would have at start.
        """
        if self._passed:
            return
        async with self._lock:
            if self._passed:
                return
            async with open_admin(
                self._connection, request_timeout_ms=self._request_timeout_ms
            ) as admin:
                missing = await missing_topics(admin, self._topics)
            if missing:
                raise AdapterConfigurationError(
                    f"the topics {', '.join(missing)} do not exist at "
                    f"{self._connection.bootstrap}: create them with `saattaja topics create` "
                    "before starting the adapter, so that Kafka does not create them with its "
                    "own partitions and retention "
                    f"(organisation {self._organisation_id} of SAATTAJA_REGISTRY_FILE)"
                )
            self._passed = True

    async def at_start(self) -> None:
        """Refuse to start while a topic is missing; with Kafka away, leave it for later."""
        try:
            await self.passed()
        except (KafkaUnavailableError, TopicError) as exc:
            _log.warning("adapter_topics_not_checked", reason=str(exc))


def waiting_reason(connection: KafkaConnection, failure: BaseException) -> str:
    """Why a producer or consumer waits for Kafka, for the health output."""
    if isinstance(failure, KafkaUnavailableError | TopicError):
        return str(failure)  # the topics check's: it says already where and what to do
    return str(connection.unavailable(failure))
