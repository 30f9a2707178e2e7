"""``saattaja router``: run one router process until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from broker.cli.lifecycle import display_url, shutdown_requested, until_shutdown
from broker.kafka import KafkaConnection
from broker.logging import configure_logging
from broker.registry import OrganisationRegistry
from broker.router import RouterService, settle_collector
from broker.settings import load_settings

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add ``router``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "router",
        help="route events from every outbox to the inboxes the consents allow",
        description="Consumes every organisation's outbox in the consumer group "
        "SAATTAJA_ROUTER_GROUP_ID (start several to share the work), decides and audits "
        "each delivery, and produces to the inboxes. Needs a migrated database "
        "(`saattaja db upgrade`) and a running Kafka (`saattaja up` or a cluster).",
    )
    parser.set_defaults(run=_run)


def _run(_args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_format)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    connection = KafkaConnection.from_settings(settings)

    async def serve() -> None:
        with shutdown_requested() as shutdown:
            async with RouterService(settings, registry, connection) as router:
                settle_collector()
                print(
                    f"Router consuming from {connection.bootstrap} as group "
                    f"{settings.router_group_id}; stores at {display_url(settings)}. "
                    "Ctrl-C stops it.",
                    flush=True,
                )
                # Exits 1 should the consuming die, so that systemd starts it again rather
                # than leave a process up that routes nothing.
                await until_shutdown(shutdown, router.watch())

    asyncio.run(serve())
    return 0
