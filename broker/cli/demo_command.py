"""``saattaja demo``: everything on one machine, one client's journey, then live until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import logging
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from broker.cli.lifecycle import shutdown_requested
from broker.demo import DecisionWatch, DemoStack, Narrator, report_stopped_adapters, tell
from broker.logging import configure_logging
from broker.registry import OrganisationRegistry
from broker.settings import load_settings

__all__ = ["register"]

_WATCH_SECONDS: Final = 0.5


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``demo`` to the ``saattaja`` parser."""
    parser = commands.add_parser(
        "demo",
        help="run broker, router and the five reference adapters; play one client's journey",
        description="Start the embedded broker (or use SAATTAJA_KAFKA_BOOTSTRAP), the router "
        "and the five organisations' reference adapters with example source systems, play a "
        "client's journey through them and print who received what and what was refused, "
        "what the router handed over and whom it reminded; then route other synthetic "
        "clients' paths and print the period's pathway indicators; then keep running until "
        "Ctrl-C, narrating the decisions on records you feed. Without "
        "SAATTAJA_PSEUDONYM_SECRET it uses a demonstration secret that every other command "
        "refuses.",
    )
    parser.add_argument(
        "--folder",
        type=Path,
        default=Path("var/demo"),
        help="where the demo keeps its files; removed at each start (default: var/demo)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show the router's and the adapters' info logs (on stderr) between the steps",
    )
    parser.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    """Start, play, watch, stop."""
    settings = load_settings()
    # The adapters' and the router's own logs stay on stderr, and only warnings unless asked
    # for: on a terminal their info lines would break up the story printed on stdout.
    configure_logging(settings.log_format, level=logging.INFO if args.verbose else logging.WARNING)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    return asyncio.run(_demo(DemoStack(settings, registry, args.folder)))


async def _demo(stack: DemoStack) -> int:
    narrator = Narrator(stack.registry)
    with shutdown_requested() as shutdown:
        narrator.say(f"Starting the demo (files under {stack.folder}/, removed at each start)…")
        if stack.ignores_database_url:
            narrator.say(
                "SAATTAJA_DATABASE_URL is not used: the demo keeps its own SQLite database "
                f"under {stack.folder}/, new at each start, so that it never writes into yours."
            )
        async with stack:
            # An adapter that stops on a failure is said to have stopped, at once: its
            # organisation's records would otherwise wait in silence.
            adapters = asyncio.create_task(
                report_stopped_adapters(stack.runtimes, narrator, until=shutdown)
            )
            try:
                await _play_and_watch(stack, narrator, shutdown)
            finally:
                adapters.cancel()  # before the stack stops them: that is no failure
                with suppress(asyncio.CancelledError):
                    await adapters
    return 0


async def _play_and_watch(stack: DemoStack, narrator: Narrator, shutdown: asyncio.Event) -> None:
    narrator.started(stack)
    narrator.say()
    narrator.say("One client's journey between the five organisations:")
    await tell(stack, narrator, start=datetime.now(UTC), stopped=shutdown.is_set)
    narrator.say()
    narrator.say(
        "The journey is done. Everything keeps running until Ctrl-C: feed new records "
        "where shown above, and each decision is printed here as it is made."
    )
    narrator.addresses(stack)
    watch = DecisionWatch(stack)
    await watch.skip_seen()
    while not shutdown.is_set():
        for records in await watch.new_decisions():
            narrator.decisions(records)
        try:
            await asyncio.wait_for(shutdown.wait(), _WATCH_SECONDS)
        except TimeoutError:
            continue
    narrator.say("Stopping the adapters, the router and the broker.")
