"""What long-running commands share: an orderly stop on Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from broker.database_urls import printable_database_url
from broker.settings import SaattajaSettings

__all__ = ["display_url", "shutdown_requested", "until_shutdown"]


def display_url(settings: SaattajaSettings) -> str:
    """The database URL without its password, fit to print."""
    return printable_database_url(settings.database_url)


@contextmanager
def shutdown_requested() -> Iterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM, so that both end in an orderly stop."""
    loop = asyncio.get_running_loop()
    event = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, event.set)
    try:
        yield event
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


async def until_shutdown(shutdown: asyncio.Event, *watched: Coroutine[Any, Any, None]) -> None:
    """Return once ``shutdown`` is set; raise what a ``watched`` coroutine raises if one ends first.

    What is still running when the wait ends is cancelled.
    """
    tasks = [asyncio.create_task(shutdown.wait()), *map(asyncio.create_task, watched)]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if not task.cancelled():
            task.result()  # re-raises the failure of a watched coroutine
