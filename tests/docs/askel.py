"""A stand-in for Askel, the NGO's case-management system of the worked example, on loopback.

It serves the API docs/adapters.md describes, keeping its state in plain Python objects so
that a test can put changes in and read answers, received events and notices out.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Askel:
    """Askel's side of the integration: changes waiting for an answer, and what it was sent."""

    changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    answers: dict[int, dict[str, str]] = field(default_factory=dict)
    inbox: list[dict[str, Any]] = field(default_factory=list)
    inbox_attempts: int = 0
    refuse_inbox: str | None = None
    """When set, every POST to the inbox is refused with 422 and these words."""

    def application(self) -> web.Application:
        """The API under ``/api``."""
        app = web.Application()
        app.router.add_get("/api/saattaja/changes", self._list)
        app.router.add_post("/api/saattaja/changes/{id}", self._answer)
        app.router.add_post("/api/saattaja/inbox", self._receive)
        return app

    async def _list(self, _request: web.Request) -> web.Response:
        # Only changes without an answer: an answered change is never handed over again.
        return web.json_response(list(self.changes.values()))

    async def _answer(self, request: web.Request) -> web.Response:
        change_id = int(request.match_info["id"])
        self.answers[change_id] = await request.json()
        self.changes.pop(change_id, None)
        return web.Response(status=204)

    async def _receive(self, request: web.Request) -> web.Response:
        self.inbox_attempts += 1
        if self.refuse_inbox is not None:
            return web.Response(status=422, text=self.refuse_inbox)
        self.inbox.append(await request.json())
        return web.Response(status=204)


@asynccontextmanager
async def serving(askel: Askel) -> AsyncIterator[str]:
    """Askel on a free port of 127.0.0.1; yields its API's base URL."""
    runner = web.AppRunner(askel.application())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}/api"
    finally:
        await runner.cleanup()


def unused_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"
