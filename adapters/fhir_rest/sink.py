"""Delivery to the organisation's FHIR server: transaction Bundles, notices, and its metadata."""

from __future__ import annotations

import json
from typing import Any, Final

import aiohttp

from adapters.fhir_rest.errors import FhirEndpointError
from adapters.fhir_rest.mapping import transaction_bundle
from adapters.fhir_rest.settings import FhirRestSettings
from adapters.sdk import RejectEvent
from schemas import CONTENT_TYPE, Event, RejectionNotice, oid_urn

__all__ = ["EVENT_ID_HEADER", "EVENT_TYPE_HEADER", "SENDER_HEADER", "FhirEndpoint"]

EVENT_ID_HEADER: Final = "X-Saattaja-Event-Id"
EVENT_TYPE_HEADER: Final = "X-Saattaja-Event-Type"
SENDER_HEADER: Final = "X-Saattaja-Sender"
# Statuses a retry cannot change: the server read the request and will never take it.
_NEVER: Final = frozenset({400, 413, 422})
_SHOWN_BODY: Final = 500


class FhirEndpoint:
    """The organisation's FHIR server at ``SAATTAJA_FHIR_REST_ENDPOINT_URL``.

    A session per request: an organisation receives events at a human pace, and a session
    kept between them would be one more thing for ``Adapter.close`` and every caller of
    ``handle`` outside the runtime (``saattaja adapter check``, tests) to close.
    """

    def __init__(self, settings: FhirRestSettings) -> None:
        self._base = settings.endpoint_base
        self._timeout = aiohttp.ClientTimeout(total=settings.timeout_seconds)
        self._headers = {"Accept": CONTENT_TYPE}
        if settings.bearer_token is not None:
            self._headers["Authorization"] = f"Bearer {settings.bearer_token.get_secret_value()}"

    @property
    def base_url(self) -> str:
        """Where transaction Bundles are POSTed."""
        return self._base

    async def deliver(self, event: Event) -> None:
        """POST the event as a transaction Bundle to the base URL.

        Returns on 2xx; raises RejectEvent on 400/413/422 with the server's own words, and
        FhirEndpointError on anything else, so that the SDK retries and then parks.
        """
        headers = {
            EVENT_ID_HEADER: str(event.event_id),
            EVENT_TYPE_HEADER: event.ce_type(),
            SENDER_HEADER: oid_urn(event.sender),
        }
        what = f"{event.ce_type()} {event.event_id}"
        await self._post(self._base, transaction_bundle(event), headers, what)

    async def deliver_notice(self, notice: RejectionNotice) -> None:
        """POST the router's rejection notice (a message Bundle) to <base>/Bundle, to be kept."""
        bundle = json.loads(notice.encode(None).value)
        what = f"rejection notice {notice.notice_id}"
        await self._post(f"{self._base}/Bundle", bundle, {}, what)

    async def problems(self) -> list[str]:
        """Why the server cannot take deliveries, in words; [] when its metadata answers."""
        url = f"{self._base}/metadata"
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout, headers=self._headers) as session,
                session.get(url) as response,
            ):
                body = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return [
                f"the FHIR server at {self._base} does not answer GET {url} "
                f"({type(exc).__name__}: {exc}): check SAATTAJA_FHIR_REST_ENDPOINT_URL and "
                "that the server runs"
            ]
        if status != 200:
            return [f"GET {url} answered {status}: {_short(body)}; check the URL and the token"]
        if _resource_type(body) != "CapabilityStatement":
            return [
                f"GET {url} did not answer a FHIR CapabilityStatement: is "
                "SAATTAJA_FHIR_REST_ENDPOINT_URL the FHIR base URL of the server?"
            ]
        return []

    async def _post(
        self, url: str, bundle: dict[str, Any], headers: dict[str, str], what: str
    ) -> None:
        body = json.dumps(bundle, ensure_ascii=False).encode()
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout, headers=self._headers) as session,
                session.post(
                    url, data=body, headers={"Content-Type": CONTENT_TYPE, **headers}
                ) as response,
            ):
                answer = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise FhirEndpointError(
                f"{what} not delivered: the FHIR server at {url} does not answer "
                f"({type(exc).__name__}: {exc}): check that it runs and "
                "SAATTAJA_FHIR_REST_ENDPOINT_URL"
            ) from exc
        if 200 <= status < 300:
            return
        if status in _NEVER:
            raise RejectEvent(
                f"the FHIR server at {url} refused it with {status}: {_short(answer)}"
            )
        raise FhirEndpointError(f"{what} not delivered: {url} answered {status}: {_short(answer)}")


def _resource_type(body: str) -> str | None:
    try:
        data: Any = json.loads(body)
    except json.JSONDecodeError:
        return None
    return data.get("resourceType") if isinstance(data, dict) else None


def _short(body: str) -> str:
    """The OperationOutcome's diagnostics when the body is one, else the body's beginning."""
    try:
        data: Any = json.loads(body)
    except json.JSONDecodeError:
        return body[:_SHOWN_BODY] or "(no body)"
    if isinstance(data, dict) and data.get("resourceType") == "OperationOutcome":
        texts = [
            str(issue.get("diagnostics") or (issue.get("details") or {}).get("text") or "")
            for issue in data.get("issue") or []
            if isinstance(issue, dict)
        ]
        return "; ".join(text for text in texts if text) or "an OperationOutcome without text"
    return body[:_SHOWN_BODY]
