"""A small receiving FHIR server for tests and the one-machine demo; not part of the adapter.

It stands in for the organisation's own FHIR server: it takes transaction Bundles and
posted Bundles, validates them as FHIR R4, keeps them in memory, and answers what it got,
in process (``transactions``, ``resources``) or over HTTP (``GET <base>/_received``). It can
be told to fail the next requests, to show retries and parking. Run it alone with
``python -m adapters.fhir_rest.receiving_server --port 8090``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Self

import structlog
from aiohttp import web
from fhir.resources.R4B.bundle import Bundle

from adapters.fhir_rest.sink import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SENDER_HEADER
from adapters.fhir_rest.source import operation_outcome
from schemas import CONTENT_TYPE
from schemas.fhir import FhirJson, fhir_validation_problem

__all__ = ["DemoFhirServer", "ReceivedRequest", "main"]

_log = structlog.get_logger(__name__)
_PREFIX: Final = "/fhir"
_KEPT_HEADERS: Final = (EVENT_ID_HEADER, EVENT_TYPE_HEADER, SENDER_HEADER, "Authorization")


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One POST the server got, and the status it answered."""

    path: str
    headers: Mapping[str, str]
    body: Any
    status: int

    @property
    def event_type(self) -> str | None:
        """The Saattaja event type the adapter named in its header."""
        return self.headers.get(EVENT_TYPE_HEADER)


@dataclass(slots=True)
class _Failure:
    status: int
    diagnostics: str
    remaining: int


@dataclass(slots=True)
class DemoFhirServer:
    """An in-memory FHIR server on loopback; ``async with`` it, then read ``base_url``."""

    host: str = "127.0.0.1"
    port: int = 0
    requests: list[ReceivedRequest] = field(default_factory=list)
    """Every POST, the failed ones too, in arrival order."""
    _stored: dict[tuple[str, str], FhirJson] = field(default_factory=dict)
    _failure: _Failure | None = None
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        """The FHIR base URL to give the adapter as SAATTAJA_FHIR_REST_ENDPOINT_URL."""
        return f"http://{self.host}:{self.port}{_PREFIX}"

    @property
    def transactions(self) -> list[ReceivedRequest]:
        """The transaction Bundles taken (answered 2xx), in order."""
        return [r for r in self.requests if r.path == _PREFIX and r.status < 300]

    @property
    def notices(self) -> list[ReceivedRequest]:
        """The Bundles POSTed to <base>/Bundle (rejection notices) and taken."""
        return [r for r in self.requests if r.path == f"{_PREFIX}/Bundle" and r.status < 300]

    def resources(self, resource_type: str) -> list[FhirJson]:
        """The current version of each resource of a type, as each PUT replaced it."""
        return [resource for (kind, _), resource in self._stored.items() if kind == resource_type]

    def fail_next(self, status: int, diagnostics: str, times: int = 1) -> None:
        """Answer the next ``times`` POSTs with ``status`` and an OperationOutcome."""
        self._failure = _Failure(status, diagnostics, times)

    async def start(self) -> None:
        """Listen; with port 0 a free port is chosen and kept in ``port``."""
        app = web.Application()
        app.add_routes(
            [
                web.get(f"{_PREFIX}/metadata", self._metadata),
                web.get(f"{_PREFIX}/_received", self._received),
                web.post(_PREFIX, self._transaction),
                web.post(f"{_PREFIX}/Bundle", self._bundle),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening; what was received stays readable."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def _transaction(self, request: web.Request) -> web.Response:
        return await self._take(request, self._store_entries)

    async def _bundle(self, request: web.Request) -> web.Response:
        return await self._take(request, lambda _bundle: None, created=True)

    async def _take(
        self, request: web.Request, keep: Callable[[FhirJson], None], *, created: bool = False
    ) -> web.Response:
        body = await request.read()
        headers = {name: request.headers[name] for name in _KEPT_HEADERS if name in request.headers}
        status, answer, data = self._answer(body, keep, created=created)
        self.requests.append(ReceivedRequest(request.path, headers, data, status))
        _log.info("demo_fhir_received", path=request.path, status=status, **headers)
        return web.Response(
            status=status,
            body=json.dumps(answer, ensure_ascii=False).encode(),
            content_type=CONTENT_TYPE,
        )

    def _answer(
        self, body: bytes, keep: Callable[[FhirJson], None], *, created: bool
    ) -> tuple[int, FhirJson, Any]:
        try:
            data: Any = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return 400, operation_outcome("error", "structure", f"not JSON: {exc}"), None
        if self._failure is not None and self._failure.remaining > 0:
            self._failure.remaining -= 1
            failure = self._failure
            return (
                failure.status,
                operation_outcome("error", "exception", failure.diagnostics),
                data,
            )
        problem = fhir_validation_problem(Bundle, data)
        if problem is not None:
            return (
                400,
                operation_outcome("error", "structure", f"not a FHIR R4 Bundle: {problem}"),
                data,
            )
        keep(data)
        if created:
            return 201, operation_outcome("information", "informational", "stored"), data
        response: FhirJson = {
            "resourceType": "Bundle",
            "type": f"{data.get('type', 'transaction')}-response",
            "entry": [{"response": {"status": "200 OK"}} for _ in data.get("entry") or []],
        }
        return 200, response, data

    def _store_entries(self, bundle: FhirJson) -> None:
        for entry in bundle.get("entry") or []:
            resource = entry["resource"]
            identifiers = resource.get("identifier") or []
            first = next(iter(identifiers), None) if isinstance(identifiers, list) else identifiers
            # Without a business identifier the resource is PUT by its logical id (Type/id).
            key = (
                f"{first.get('system')}|{first.get('value')}"
                if first
                else entry.get("request", {}).get("url") or entry.get("fullUrl")
            )
            self._stored[(resource["resourceType"], str(key))] = resource

    async def _metadata(self, _request: web.Request) -> web.Response:
        statement = {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-01-01",
            "kind": "instance",
            "fhirVersion": "4.0.1",
            "format": [CONTENT_TYPE],
            "rest": [{"mode": "server", "interaction": [{"code": "transaction"}]}],
        }
        return web.json_response(statement, content_type=CONTENT_TYPE)

    async def _received(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "requests": [asdict(r) | {"headers": dict(r.headers)} for r in self.requests],
                "resources": [
                    {"resourceType": kind, "key": key, "resource": resource}
                    for (kind, key), resource in self._stored.items()
                ],
            }
        )


async def _serve(host: str, port: int) -> None:
    async with DemoFhirServer(host, port) as server:
        _log.info("demo_fhir_server_listening", base_url=server.base_url)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    """Run the demo server until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args.host, args.port))
    except KeyboardInterrupt:
        return


if __name__ == "__main__":
    main()
