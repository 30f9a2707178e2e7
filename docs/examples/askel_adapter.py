"""Adapter for Askel, an NGO's case-management system with a REST/JSON API (docs/adapters.md)."""

import asyncio
import uuid
from typing import Any, ClassVar

import aiohttp
import structlog
from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters import sdk
from schemas import Event, ReferralAccepted, ReferralCompleted

# Askel's words for a referral's status, and the event each one is.
EVENTS: dict[str, type[Event]] = {"started": ReferralAccepted, "finished": ReferralCompleted}
# A change read twice (a crash before its answer) keeps its event id; receivers drop repeats.
NAMESPACE = uuid.UUID("5b0c9a34-3f4e-4d56-9a8b-0c1d2e3f4a5b")
_log = structlog.get_logger(__name__)


class AskelSettings(BaseSettings):
    """Where Askel's API is (``SAATTAJA_ASKEL_*``)."""

    model_config = SettingsConfigDict(env_prefix="SAATTAJA_ASKEL_", frozen=True, extra="ignore")
    url: AnyHttpUrl = Field(description="Base URL of Askel's API, e.g. https://askel.example/api.")
    token: SecretStr | None = Field(default=None, description="Bearer token for Askel's API.")
    poll_seconds: float = Field(default=10.0, gt=0, description="Pause between reads of changes.")
    timeout_seconds: float = Field(default=10.0, gt=0, description="Longest one request may take.")


class AskelError(sdk.SaattajaAdapterError):
    """Askel did not answer, or answered with an error; the SDK retries deliveries."""


class AskelAdapter(sdk.Adapter[AskelSettings]):
    """Publishes the referral changes Askel lists; posts received events to Askel."""

    name: ClassVar[str] = "askel"

    async def run(self, context: sdk.AdapterContext) -> None:
        while True:
            try:
                for change in await self._call("GET", "saattaja/changes"):
                    answer = await self._publish(context, change)
                    await self._call("POST", f"saattaja/changes/{change['id']}", answer)
            except sdk.SaattajaAdapterError as exc:  # unanswered changes are listed again
                _log.warning("askel_unreachable", reason=str(exc))
            await asyncio.sleep(self.settings.poll_seconds)

    async def _publish(self, context: sdk.AdapterContext, change: dict[str, Any]) -> dict[str, str]:
        if (event_class := EVENTS.get(change.get("status", ""))) is None:
            return {"error": f"unknown status {change.get('status')!r}: use {', '.join(EVENTS)}"}
        try:
            event = event_class.model_validate(
                {
                    "event_id": uuid.uuid5(NAMESPACE, f"{context.organisation.oid}/{change['id']}"),
                    "occurred_at": change.get("changed"),
                    "sender": context.organisation.oid,
                    "client": change.get("client_hetu"),
                    "referral_id": change.get("referral"),
                    "requester": change.get("referred_by"),
                    "note": change.get("comment"),
                }
            )
            await context.publish(event)  # validated and stored locally: safe to answer now
        except (ValidationError, sdk.InvalidEventError) as exc:
            return {"error": str(exc)}
        return {"event_id": str(event.event_id)}

    async def handle(self, event: Event) -> None:
        payload = {"type": event.ce_type(), **event.model_dump(mode="json")}
        await self._call("POST", "saattaja/inbox", payload)

    async def check(self) -> list[str]:
        try:
            await self._call("GET", "saattaja/changes")
        except sdk.SaattajaAdapterError as exc:
            return [str(exc)]
        return []

    async def _call(self, method: str, path: str, body: object = None) -> Any:
        url = f"{str(self.settings.url).rstrip('/')}/{path}"
        token = self.settings.token
        headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout, headers=headers) as http,
                http.request(method, url, json=body) as response,
            ):
                if response.status in (400, 409, 422):  # Askel will never take it: park at once
                    raise sdk.RejectEvent(f"Askel refused {method} {url}: {await response.text()}")
                response.raise_for_status()
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            message = f"Askel did not answer {method} {url} ({exc}): check SAATTAJA_ASKEL_URL"
            raise AskelError(message) from exc
