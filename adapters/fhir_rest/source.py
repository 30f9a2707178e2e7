"""The adapter's FHIR server: the organisation's system POSTs resources, events are published."""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Final

import aiohttp
import structlog
from aiohttp import web
from yarl import URL

from adapters.fhir_rest.errors import (
    FhirInputError,
    MalformedFhirError,
    UnacceptableFhirError,
    UnauthorisedPostError,
)
from adapters.fhir_rest.mapping import event_from_submission
from adapters.fhir_rest.resources import read_submission
from adapters.fhir_rest.settings import FhirRestSettings
from adapters.fhir_rest.sink import EVENT_ID_HEADER, EVENT_TYPE_HEADER
from adapters.sdk import (
    AdapterConfigurationError,
    AdapterContext,
    InvalidEventError,
    LocalStoreError,
)
from schemas import CONTENT_TYPE, echoed
from schemas.fhir import FhirJson

__all__ = ["FhirIntake", "operation_outcome"]

_log = structlog.get_logger(__name__)
# Named in the CapabilityStatement, so that `saattaja adapter check` can tell this adapter,
# already running on the listen port, from anything else listening there.
_SOFTWARE: Final = "Saattaja fhir_rest adapter"
# A check waits this long for the server on the listen port to say what it is.
_ASK_SECONDS: Final = 5.0
# Where a server listening on every interface is asked from this host.
_LOOPBACK_OF: Final = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104
_JSON_TYPES: Final = frozenset({CONTENT_TYPE, "application/json"})
_TAKES: Final = (
    "ServiceRequest",
    "Task",
    "CarePlan",
    "EpisodeOfCare",
    "CareTeam",
    "Consent",
    "Observation",
    "QuestionnaireResponse",
)


def operation_outcome(severity: str, code: str, diagnostics: str) -> FhirJson:
    """A FHIR OperationOutcome of one issue, the answer to every POST."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


def _answer(status: int, outcome: FhirJson, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(outcome, ensure_ascii=False).encode(),
        content_type=CONTENT_TYPE,
        headers=headers,
    )


class FhirIntake:
    """Turns each POSTed resource or Bundle into one event and publishes it.

    202 Accepted once the event is durably in the adapter's local outbox (the SDK sends it
    on to Kafka, also after an outage); 400 or 422 with an OperationOutcome saying what is
    wrong, and nothing published; 413 for a body over SAATTAJA_FHIR_REST_MAX_BODY_BYTES; 401
    without the intake token, when one is set; 503 when the local outbox cannot be written.
    The CapabilityStatement (``<prefix>/metadata``) needs no token: it says only what the
    server takes.
    """

    def __init__(self, context: AdapterContext, settings: FhirRestSettings) -> None:
        self._context = context
        self._settings = settings

    def application(self) -> web.Application:
        """The aiohttp application: POST <prefix>[/<type>], PUT <prefix>/<type>[/<id>]."""
        prefix = self._settings.path_prefix
        app = web.Application(client_max_size=self._settings.max_body_bytes)
        app.add_routes(
            [
                web.post("/", self._receive),
                web.post(prefix, self._receive),
                web.post(f"{prefix}/{{type}}", self._receive),
                web.put(f"{prefix}/{{type}}", self._receive),
                web.put(f"{prefix}/{{type}}/{{id}}", self._receive),
                web.get(f"{prefix}/metadata", self._metadata),
            ]
        )
        return app

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[int]:
        """Listen on the configured address for as long as the block runs; yields the port.

        AdapterConfigurationError, naming the settings, when it cannot listen there: as with
        the metrics port, a restart would meet the same address.
        """
        host, port = self._settings.listen_host, self._settings.listen_port
        runner = web.AppRunner(self.application(), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            try:
                await site.start()
            except OSError as exc:
                raise AdapterConfigurationError(
                    f"the FHIR server cannot listen on {host}:{port}: {exc.strerror or exc}; "
                    "stop what listens there, or choose another address or port "
                    "(SAATTAJA_FHIR_REST_LISTEN_HOST, SAATTAJA_FHIR_REST_LISTEN_PORT)"
                ) from exc
            bound: int = runner.addresses[0][1]
            _log.info("fhir_intake_listening", host=host, port=bound)
            yield bound
        finally:
            await runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request)
            return await self._publish(request)
        except UnauthorisedPostError as exc:
            _log.warning("fhir_unauthorised", path=request.path, remote=request.remote)
            return _answer(
                401,
                operation_outcome("error", "login", str(exc)),
                {"WWW-Authenticate": 'Bearer realm="saattaja-adapter"'},
            )
        except FhirInputError as exc:
            _log.warning("fhir_refused", status=exc.status, path=request.path, reason=str(exc))
            return _answer(exc.status, operation_outcome("error", exc.issue_code, str(exc)))
        except web.HTTPRequestEntityTooLarge:
            # aiohttp's own answer is plain text that names no setting.
            reason = (
                f"the body is larger than {self._settings.max_body_bytes} bytes, the most this "
                "adapter takes (SAATTAJA_FHIR_REST_MAX_BODY_BYTES): send the resources of one "
                "event only"
            )
            _log.warning("fhir_refused", status=413, path=request.path, reason=reason)
            return _answer(413, operation_outcome("error", "too-long", reason))

    def _check_token(self, request: web.Request) -> None:
        """Raise UnauthorisedPostError unless the request bears the intake token, when set."""
        expected = self._settings.intake_tokens
        if not expected:
            return
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        bearer = given.strip().encode()
        # compare_digest: how much of a guess matched must not show in the answer's timing;
        # every token is compared, so neither does which one matched.
        matches = [hmac.compare_digest(bearer, token) for token in expected]
        if scheme.lower() != "bearer" or not any(matches):
            raise UnauthorisedPostError(
                "this adapter takes only requests bearing its intake token: send "
                "`Authorization: Bearer <token>`, the token its operators set in "
                "SAATTAJA_FHIR_REST_INTAKE_TOKEN"
            )

    async def _publish(self, request: web.Request) -> web.Response:
        if request.content_type not in _JSON_TYPES:
            raise MalformedFhirError(
                f"Content-Type is {request.content_type or 'missing'}: send {CONTENT_TYPE}"
            )
        submission = read_submission(
            await request.read(), method=request.method, url_type=request.match_info.get("type")
        )
        event = event_from_submission(
            submission,
            sender_oid=self._context.organisation.oid,
            event_id=_event_id(request),
            received_at=datetime.now(UTC),
        )
        try:
            await self._context.publish(event)
        except InvalidEventError as exc:
            raise UnacceptableFhirError(str(exc)) from exc
        except LocalStoreError as exc:
            _log.error("fhir_not_stored", event_id=str(event.event_id), reason=str(exc))
            return _answer(
                503,
                operation_outcome(
                    "fatal", "transient", f"not accepted, the adapter cannot store it: {exc}"
                ),
                {"Retry-After": "30"},
            )
        _log.info("fhir_published", event_id=str(event.event_id), type=event.ce_type())
        return _answer(
            202,
            operation_outcome(
                "information",
                "informational",
                f"accepted as {event.ce_type()} event {event.event_id}; it is stored and will "
                "reach Saattaja",
            ),
            {EVENT_ID_HEADER: str(event.event_id), EVENT_TYPE_HEADER: event.ce_type()},
        )

    async def _metadata(self, _request: web.Request) -> web.Response:
        """A CapabilityStatement naming what this server takes, for the system's developers."""
        statement: FhirJson = {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": datetime.now(UTC).date().isoformat(),
            "kind": "instance",
            "software": {"name": _SOFTWARE},
            "fhirVersion": "4.0.1",
            "format": [CONTENT_TYPE],
            "rest": [
                {
                    "mode": "server",
                    "resource": [
                        {"type": name, "interaction": [{"code": "create"}, {"code": "update"}]}
                        for name in _TAKES
                    ],
                    "interaction": [{"code": "transaction"}, {"code": "batch"}],
                }
            ],
        }
        return _answer(200, statement)


async def intake_answers(settings: FhirRestSettings) -> bool:
    """Whether this adapter's FHIR server already answers on its listen address."""
    url = URL.build(
        scheme="http",
        host=_LOOPBACK_OF.get(settings.listen_host, settings.listen_host),
        port=settings.listen_port,
        path=f"{settings.path_prefix}/metadata",
    )
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=_ASK_SECONDS)) as http,
            http.get(url) as response,
        ):
            statement = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return False
    return (
        response.status == 200
        and isinstance(statement, dict)
        and statement.get("software") == {"name": _SOFTWARE}
    )


def _event_id(request: web.Request) -> uuid.UUID:
    """The caller's event id when it sends one, so that a retried POST makes the same event."""
    given = request.headers.get(EVENT_ID_HEADER)
    if given is None:
        return uuid.uuid4()
    try:
        return uuid.UUID(given)
    except ValueError as exc:
        raise MalformedFhirError(
            f"{EVENT_ID_HEADER} is {echoed(given)}: leave it out or send a UUID"
        ) from exc
