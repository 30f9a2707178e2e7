"""The FHIR REST adapter: for organisations whose system already speaks FHIR R4 (Kela, TYP)."""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import ClassVar

import structlog
from pydantic_settings import BaseSettings

from adapters.fhir_rest.settings import FhirRestSettings
from adapters.fhir_rest.sink import FhirEndpoint
from adapters.fhir_rest.source import FhirIntake, intake_answers
from adapters.sdk import Adapter, AdapterContext
from schemas import Event, RejectionNotice

__all__ = ["FhirRestAdapter"]

_log = structlog.get_logger(__name__)


class FhirRestAdapter(Adapter[FhirRestSettings]):
    """Publishes what the organisation's system POSTs as FHIR; delivers events to its FHIR server.

    In: POST a resource or a transaction Bundle to ``<listen>/<prefix>``; 202 means the event
    is stored and will reach Kafka. Out: each inbox event is POSTed as a transaction Bundle
    to ``SAATTAJA_FHIR_REST_ENDPOINT_URL``; rejection notices go to ``<endpoint>/Bundle``.
    """

    name: ClassVar[str] = "fhir_rest"
    settings_model: ClassVar[type[BaseSettings]] = FhirRestSettings

    def __init__(self, settings: FhirRestSettings) -> None:
        super().__init__(settings)
        self._endpoint = FhirEndpoint(settings)
        self.port: int | None = None
        """The port the FHIR server listens on once run() has bound it (useful with port 0)."""

    async def run(self, context: AdapterContext) -> None:
        async with FhirIntake(context, self.settings).serving() as port:
            self.port = port
            try:
                await asyncio.Event().wait()  # serve until the SDK cancels run() at shutdown
            finally:
                self.port = None

    async def handle(self, event: Event) -> None:
        await self._endpoint.deliver(event)

    async def on_rejection(self, notice: RejectionNotice) -> None:
        await self._endpoint.deliver_notice(notice)

    async def check(self) -> list[str]:
        return [*await self._endpoint.problems(), *await _listen_problems(self.settings)]


async def _listen_problems(settings: FhirRestSettings) -> list[str]:
    """Whether the FHIR server could listen where it is told to, tried by binding once.

    The port this adapter's own running FHIR server holds is no problem: a check beside
    the running adapter, as after a change of its settings, would otherwise always fail.
    """
    host, port = settings.listen_host, settings.listen_port
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host, port))
    except OSError as exc:
        in_use = exc.errno == errno.EADDRINUSE
        if in_use and await intake_answers(settings):
            _log.warning(
                "fhir_listen_port_taken_by_the_adapter",
                host=host,
                port=port,
                reason="this adapter's FHIR server already answers there: it runs, and a "
                "second one for the same port would not start",
            )
            return []
        why = "the port is in use by something other than this adapter" if in_use else str(exc)
        return [
            f"cannot listen on {host}:{port}: {why}; check SAATTAJA_FHIR_REST_LISTEN_HOST and "
            "SAATTAJA_FHIR_REST_LISTEN_PORT"
        ]
    return []
