"""A process's /metrics for Prometheus and /health for whatever restarts it, on its own loop."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from broker.errors import ConfigurationError

__all__ = ["Health", "MetricsServer"]

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Health:
    """Whether the process does its work now, and what a person needs to know about it."""

    ok: bool
    status: str
    """One word: routing, paused, running..."""
    detail: Mapping[str, object] = field(default_factory=dict)


class MetricsServer:
    """Serves GET /metrics (the registry, in Prometheus's text format) and GET /health.

    /health answers 200 while the process says it does its work and 503 while it says it
    cannot (a router failing closed), with the status as JSON: a load balancer or an
    orchestrator reads the code, a person the body. Both are read on the event loop of the
    process, so that the metrics never see a half-made change; ``before_scrape`` refreshes,
    before each scrape, the figures that only a read of a store gives.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        health: Callable[[], Awaitable[Health]],
        *,
        host: str,
        port: int,
        configured_by: str,
        before_scrape: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._registry = registry
        self._health = health
        self._before_scrape = before_scrape
        self._host = host
        self._port = port
        self._configured_by = configured_by
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Listen; the port bound (the one configured, or a free one for 0).

        Raises ConfigurationError, naming ``configured_by``, when it cannot listen there.
        """
        app = web.Application()
        app.add_routes([web.get("/metrics", self._metrics), web.get("/health", self._report)])
        self._runner = runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError as exc:
            await runner.cleanup()
            self._runner = None
            raise ConfigurationError(
                f"cannot serve metrics on {self._host}:{self._port}: {exc.strerror or exc}; "
                f"choose another address or port ({self._configured_by})"
            ) from exc
        port: int = runner.addresses[0][1]
        _log.info("metrics_listening", host=self._host, port=port)
        return port

    async def stop(self) -> None:
        """Stop listening; safe to call when not started."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, _request: web.Request) -> web.Response:
        if self._before_scrape is not None:
            await self._before_scrape()  # what only a read of a store can tell
        response = web.Response(body=generate_latest(self._registry))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def _report(self, _request: web.Request) -> web.Response:
        health = await self._health()
        body = {"status": health.status, **health.detail}
        return web.Response(
            status=200 if health.ok else 503,
            body=json.dumps(body, ensure_ascii=False).encode(),
            content_type="application/json",
        )
