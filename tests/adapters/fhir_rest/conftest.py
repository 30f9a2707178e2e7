"""Fixtures of the FHIR REST adapter tests: the demo FHIR server, and the adapter's own server
publishing into a local outbox (no Kafka), answering a real aiohttp client on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from adapters.fhir_rest import FhirIntake, FhirRestSettings
from adapters.fhir_rest.receiving_server import DemoFhirServer
from adapters.sdk import (
    AdapterContext,
    AdapterHealth,
    AdapterSettings,
    AdapterStore,
    LocalOutbox,
    Publisher,
)
from broker.registry import Organisation
from schemas import CONTENT_TYPE, Event, OrganisationKind, Pseudonymiser
from tests.adapters.events import CODEC, KELA_OID, SECRET


def settings_for(endpoint_url: str, **changes: Any) -> FhirRestSettings:
    """The adapter's settings on a free port of loopback, delivering to ``endpoint_url``."""
    values: dict[str, Any] = {"endpoint_url": endpoint_url, "listen_port": 0, **changes}
    return FhirRestSettings(**values)


@pytest.fixture
async def demo_server() -> AsyncIterator[DemoFhirServer]:
    """The organisation's FHIR server, as the demo runs it."""
    async with DemoFhirServer() as server:
        yield server


@dataclass
class Intake:
    """The adapter's FHIR server and what it has published so far."""

    base_url: str
    outbox: LocalOutbox
    http: aiohttp.ClientSession

    async def post(
        self, path: str, resource: object, *, method: str = "POST", **headers: str
    ) -> tuple[int, Any, CIMultiDictProxy[str]]:
        """Send FHIR JSON as the organisation's system would; the status, body and headers."""
        async with self.http.request(
            method,
            f"{self.base_url}{path}",
            json=resource,
            headers={"Content-Type": CONTENT_TYPE, **headers},
        ) as response:
            return response.status, await response.json(content_type=None), response.headers

    async def published(self) -> list[Event]:
        """The events in the local outbox, decoded as a receiver would."""
        return [CODEC.decode(stored.record) for stored in await self.outbox.unsent(100)]


async def _healthy() -> AdapterHealth:
    return AdapterHealth(outbox_unsent=0, outbox_oldest_age_seconds=0.0, parked=0)


INTAKE_TOKEN = "kela-intake-token-" + "7" * 32
"""The token a guarded intake takes (tests only)."""


@asynccontextmanager
async def serving_intake(
    store: AdapterStore, endpoint_url: str, **changes: Any
) -> AsyncIterator[Intake]:
    """Kela's adapter server with these settings, publishing into a local outbox of its own."""
    outbox = LocalOutbox(store)
    kela = Organisation(id="kela", name="Kela", oid=KELA_OID, kind=OrganisationKind.KELA)
    context = AdapterContext(
        organisation=kela,
        settings=AdapterSettings(organisation="kela", state_file=Path("unused.db")),
        publisher=Publisher(outbox, CODEC, sender_oid=KELA_OID),
        pseudonymiser=Pseudonymiser(SECRET),
        health=_healthy,
    )
    settings = settings_for(endpoint_url, **changes)
    async with (
        FhirIntake(context, settings).serving() as port,
        aiohttp.ClientSession() as http,
    ):
        yield Intake(f"http://127.0.0.1:{port}", outbox, http)


@pytest.fixture
async def intake(store: AdapterStore, demo_server: DemoFhirServer) -> AsyncIterator[Intake]:
    """Kela's adapter server on loopback, taking requests without a token."""
    async with serving_intake(store, demo_server.base_url) as intake:
        yield intake


@pytest.fixture
async def guarded_intake(store: AdapterStore, demo_server: DemoFhirServer) -> AsyncIterator[Intake]:
    """Kela's adapter server taking only requests bearing ``INTAKE_TOKEN``."""
    async with serving_intake(store, demo_server.base_url, intake_token=INTAKE_TOKEN) as intake:
        yield intake
