"""Short-lived admin and consumer clients, with connection failures mapped to our error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError

from broker.kafka.connection import KafkaConnection

__all__ = ["open_admin", "open_consumer"]

# Long enough for a cluster under load, short enough that a CLI user is not left waiting.
_REQUEST_TIMEOUT_MS = 30_000


@asynccontextmanager
async def open_admin(
    connection: KafkaConnection, *, request_timeout_ms: int = _REQUEST_TIMEOUT_MS
) -> AsyncIterator[Any]:
    """A started AIOKafkaAdminClient; KafkaUnavailableError when nobody answers."""
    admin = AIOKafkaAdminClient(**connection.client_kwargs(), request_timeout_ms=request_timeout_ms)
    await _start(connection, admin)
    try:
        yield admin
    finally:
        await admin.close()


@asynccontextmanager
async def open_consumer(
    connection: KafkaConnection,
    *,
    request_timeout_ms: int = _REQUEST_TIMEOUT_MS,
    auto_offset_reset: str = "latest",
    group_id: str | None = None,
) -> AsyncIterator[Any]:
    """A started consumer for reading offsets and records, never committing.

    With ``group_id`` it can read what that group has committed (``committed``) without
    joining the group: it never subscribes.
    """
    consumer = AIOKafkaConsumer(
        **connection.client_kwargs(),
        group_id=group_id,
        enable_auto_commit=False,
        request_timeout_ms=request_timeout_ms,
        auto_offset_reset=auto_offset_reset,
    )
    await _start(connection, consumer)
    try:
        yield consumer
    finally:
        await consumer.stop()


async def _start(connection: KafkaConnection, client: Any) -> None:
    try:
        await client.start()
    except (KafkaConnectionError, KafkaError, OSError, TimeoutError) as exc:
        await _close(client)
        raise connection.unavailable(exc) from exc
    except BaseException:
        await _close(client)  # cancelled while starting
        raise


async def _close(client: Any) -> None:
    # A half-started client still holds sockets; close it so nothing leaks.
    await (client.close() if isinstance(client, AIOKafkaAdminClient) else client.stop())
