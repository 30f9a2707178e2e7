"""What long-running commands share: an orderly stop on Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from broker.settings import SaattajaSettings

__all__ = ["display_url", "shutdown_requested"]


def display_url(settings: SaattajaSettings) -> str:
    """The database URL without its password, fit to print."""
    return make_url(settings.database_url).render_as_string(hide_password=True)


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
