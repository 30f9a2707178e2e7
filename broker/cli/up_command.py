"""``saattaja up``: the one-machine start: broker, topics, then wait for Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine
from typing import Any

import structlog

from broker.audit_stream import AuditStreamService
from broker.cli.audit_command import CHAIN_BROKEN_EXIT_STATUS
from broker.cli.lifecycle import display_url, shutdown_requested, until_shutdown
from broker.cli.topics_command import format_creation
from broker.embedded import EmbeddedBroker
from broker.errors import AuditStreamError, PartStoppedError
from broker.kafka import KafkaConnection
from broker.logging import configure_logging
from broker.registry import OrganisationRegistry
from broker.router import RouterService, settle_collector
from broker.settings import SaattajaSettings, load_settings
from broker.topics import AUDIT_TOPIC, create_topics
from consent.database import upgrade_database
from consent.errors import AuditChainBrokenError

__all__ = ["register"]

_log = structlog.get_logger(__name__)

_PORT_MAX = 65535


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``up`` to the ``saattaja`` parser."""
    parser = commands.add_parser(
        "up",
        help="start the embedded Kafka-protocol broker, the router and the audit stream (or "
        "create the topics on the cluster)",
        description="Without SAATTAJA_KAFKA_BOOTSTRAP: start the embedded broker, create the "
        "registry's topics, migrate the database, and run the router and the audit stream "
        "until Ctrl-C (the broker keeps everything in memory and loses it on stop). With it: "
        "create the topics on that cluster and exit.",
    )
    parser.add_argument(
        "--host", default=None, help="address to listen on (default: SAATTAJA_EMBEDDED_HOST)"
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=None,
        help="port to listen on, 0 for any free one (default: SAATTAJA_EMBEDDED_PORT)",
    )
    parser.set_defaults(run=run_up)


def port_number(text: str) -> int:
    """argparse type for a TCP port, 0 meaning 'any free port'."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= _PORT_MAX:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0-{_PORT_MAX})")
    return value


def run_up(args: argparse.Namespace) -> int:
    """Start what one machine needs and keep it running until SIGINT or SIGTERM."""
    settings = load_settings()
    # With a cluster, it creates the topics and exits.
    configure_logging(settings.log_format, one_shot=not settings.uses_embedded_broker)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    if not settings.uses_embedded_broker:
        return asyncio.run(_provision_cluster(settings, registry, args))
    return asyncio.run(_run_embedded(settings, registry, args))


async def _provision_cluster(
    settings: SaattajaSettings, registry: OrganisationRegistry, args: argparse.Namespace
) -> int:
    connection = KafkaConnection.from_settings(settings)
    if args.host is not None or args.port is not None:
        print("--host and --port apply to the embedded broker only; ignoring them.")
    creation = await create_topics(
        connection,
        registry,
        settings.topic_partitions,
        retention_hours=settings.topic_retention_hours,
    )
    print(
        f"Using the Kafka cluster at {connection.bootstrap} (SAATTAJA_KAFKA_BOOTSTRAP); "
        "no embedded broker started."
    )
    print(
        format_creation(
            creation,
            bootstrap=connection.bootstrap,
            partitions=settings.topic_partitions,
            retention_hours=settings.topic_retention_hours,
        )
    )
    return 0


async def _run_embedded(
    settings: SaattajaSettings, registry: OrganisationRegistry, args: argparse.Namespace
) -> int:
    with shutdown_requested() as shutdown:
        broker = EmbeddedBroker.from_settings(settings, host=args.host, port=args.port)
        async with broker:
            print(
                f"Kafka-protocol broker listening on {broker.bootstrap} — connect kcat or any "
                "Kafka client",
                flush=True,
            )
            connection = KafkaConnection.from_settings(settings, bootstrap=broker.bootstrap)
            creation = await create_topics(
                connection,
                registry,
                settings.topic_partitions,
                retention_hours=settings.topic_retention_hours,
            )
            print(
                format_creation(
                    creation,
                    bootstrap=broker.bootstrap,
                    partitions=settings.topic_partitions,
                    retention_hours=settings.topic_retention_hours,
                ),
                flush=True,
            )
            await upgrade_database(settings.database_url)
            async with (
                RouterService(settings, registry, connection) as router,
                AuditStreamService(settings, registry, connection) as audit_stream,
            ):
                settle_collector()
                print(
                    f"Router running (consent and audit stores: {display_url(settings)}).",
                    flush=True,
                )
                print(
                    f"Audit stream writing the audit log to {AUDIT_TOPIC} "
                    f"({settings.audit_stream_format}).",
                    flush=True,
                )
                print(
                    "Running until Ctrl-C. The broker keeps everything in memory: stopping it "
                    "loses every topic and record.",
                    flush=True,
                )
                status = 0
                try:
                    await until_shutdown(shutdown, *up_parts(broker, router, audit_stream))
                except (AuditChainBrokenError, AuditStreamError) as exc:
                    # Only the copy of the log on the audit topic stops; stopping the broker
                    # too would lose every topic, and the router goes on auditing.
                    print(
                        f"saattaja: error: the audit stream stopped: {exc}; the router and "
                        "the embedded broker go on, the audit stream ships nothing more. "
                        "Run `saattaja audit verify`; Ctrl-C stops the rest.",
                        file=sys.stderr,
                        flush=True,
                    )
                    status = CHAIN_BROKEN_EXIT_STATUS
                    await until_shutdown(shutdown, *up_parts(broker, router, None))
                finally:
                    print(
                        "Stopping the audit stream, the router and the embedded broker.",
                        flush=True,
                    )
    return status


def up_parts(
    broker: EmbeddedBroker, router: RouterService, audit_stream: AuditStreamService | None
) -> list[Coroutine[Any, Any, None]]:
    """What ``up`` runs and watches, each raising PartStoppedError naming it should it stop.

    The audit stream is None once it has stopped at a broken chain: the rest go on.
    """
    parts = [
        watched_part("the embedded broker", broker.watch()),
        # Its consuming task: a router whose consuming died would leave `up` running,
        # routing nothing.
        watched_part("the router", router.watch()),
    ]
    if audit_stream is not None:
        parts.append(watched_part("the audit stream", audit_stream.run()))
    return parts


async def watched_part(part: str, running: Coroutine[Any, Any, None]) -> None:
    """Run one part of ``up``; raise PartStoppedError naming it if it fails or ends.

    A broken audit chain is let through: the caller keeps the other parts running.
    """
    try:
        await running
    except (AuditChainBrokenError, AuditStreamError):
        raise
    except Exception as exc:
        _log.exception("up_part_failed", part=part)  # the traceback, should it be a bug
        raise PartStoppedError(
            f"{part} failed: {exc}; the router, the audit stream and the embedded broker "
            "were stopped with it, and the broker's topics and records are lost"
        ) from exc
    raise PartStoppedError(
        f"{part} ended by itself; the router, the audit stream and the embedded broker were "
        "stopped with it, and the broker's topics and records are lost"
    )
