"""The adapter under the SDK against the embedded Kafka broker and real HTTP on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiohttp
import pytest
from pydantic import SecretStr

from adapters.fhir_rest import FhirRestAdapter
from adapters.fhir_rest.receiving_server import DemoFhirServer
from adapters.sdk import AdapterRuntime, AdapterSettings, AdapterStore, ReceivedEvents
from broker.kafka import KafkaConnection
from broker.registry import Organisation
from broker.settings import SaattajaSettings
from broker.topics import outbox_topic
from schemas import CONTENT_TYPE
from tests.adapters.events import CODEC, KELA_OID, SECRET, client_code, referral
from tests.adapters.fhir_rest.conftest import settings_for
from tests.adapters.fhir_rest.fhir import accepted_task, plan, transaction
from tests.adapters.kafka import (
    create_organisation_topics,
    deliver_to_inbox,
    fresh_organisation,
)
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic

pytestmark = pytest.mark.kafka

_WITHIN: Final = 60.0


@dataclass
class Running:
    """Kela's adapter running, its FHIR server listening, the demo FHIR server receiving."""

    runtime: AdapterRuntime
    adapter: FhirRestAdapter
    connection: KafkaConnection
    organisation: Organisation
    fhir_server: DemoFhirServer

    async def post(self, path: str, resource: object) -> int:
        assert self.adapter.port is not None
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{self.adapter.port}{path}",
                json=resource,
                headers={"Content-Type": CONTENT_TYPE},
            ) as response,
        ):
            return response.status

    async def outbox_types(self) -> list[str]:
        records = await read_topic(self.connection, outbox_topic(self.organisation.id))
        return [dict(record.headers)["ce_type"].decode() for record in records]


@asynccontextmanager
async def running(kafka_bootstrap: str, state_file: Path) -> AsyncIterator[Running]:
    connection = KafkaConnection(kafka_bootstrap)
    organisation = fresh_organisation(KELA_OID)
    await create_organisation_topics(connection, organisation)
    async with DemoFhirServer() as fhir_server:
        adapter = FhirRestAdapter(settings_for(fhir_server.base_url))
        runtime = AdapterRuntime(
            adapter,
            settings=AdapterSettings(
                organisation=organisation.id,
                state_file=state_file,
                relay_first_delay_seconds=0.1,
                relay_max_delay_seconds=0.5,
                handler_attempts=3,
                handler_first_delay_seconds=0.05,
                handler_max_delay_seconds=0.1,
                session_timeout_ms=2_000,
            ),
            saattaja=SaattajaSettings(
                kafka_bootstrap=kafka_bootstrap, pseudonym_secret=SecretStr(SECRET.decode())
            ),
            organisation=organisation,
            connection=connection,
        )
        async with runtime:
            await eventually(lambda: adapter.port is not None, within=_WITHIN, what="listening")
            yield Running(runtime, adapter, connection, organisation, fhir_server)


async def _has(running: Running, *expected: Any) -> bool:
    return await running.outbox_types() == list(expected)


async def test_a_posted_task_accepting_a_referral_reaches_the_outbox_topic(
    kafka_bootstrap: str, state_file: Path
) -> None:
    async with running(kafka_bootstrap, state_file) as kela:
        assert await kela.post("/fhir/Task", accepted_task(client_code(40))) == 202

        await eventually(
            lambda: _has(kela, "fi.saattaja.referral.accepted.v1"),
            within=_WITHIN,
            what="referral.accepted in Kela's outbox topic",
        )


async def test_a_posted_transaction_bundle_of_a_plan_reaches_the_outbox_as_plan_created(
    kafka_bootstrap: str, state_file: Path
) -> None:
    async with running(kafka_bootstrap, state_file) as kela:
        assert await kela.post("/fhir", transaction(plan(client_code(41)))) == 202

        await eventually(
            lambda: _has(kela, "fi.saattaja.plan.created.v1"),
            within=_WITHIN,
            what="plan.created in Kela's outbox topic",
        )


async def test_an_invalid_resource_publishes_nothing(
    kafka_bootstrap: str, state_file: Path
) -> None:
    client = client_code(42)
    async with running(kafka_bootstrap, state_file) as kela:
        invalid = accepted_task(client) | {"status": "in-progress"}
        assert await kela.post("/fhir/Task", invalid) == 422
        assert await kela.post("/fhir/CarePlan", plan(client)) == 202

        # Same client, so same partition and order: the invalid one would have come first.
        await eventually(
            lambda: _has(kela, "fi.saattaja.plan.created.v1"),
            within=_WITHIN,
            what="only the valid plan in Kela's outbox topic",
        )


async def test_a_received_event_is_posted_to_the_organisations_fhir_server(
    kafka_bootstrap: str, state_file: Path
) -> None:
    event = referral(client_code(43))
    async with running(kafka_bootstrap, state_file) as kela:
        await deliver_to_inbox(kela.connection, kela.organisation, CODEC.encode(event))

        await eventually(
            lambda: len(kela.fhir_server.transactions) == 1, within=_WITHIN, what="delivered"
        )
    [task] = kela.fhir_server.resources("Task")
    assert task["status"] == "requested"


async def test_a_server_error_is_retried_until_the_event_is_taken(
    kafka_bootstrap: str, state_file: Path
) -> None:
    async with running(kafka_bootstrap, state_file) as kela:
        kela.fhir_server.fail_next(500, "database is restarting", times=2)
        await deliver_to_inbox(
            kela.connection, kela.organisation, CODEC.encode(referral(client_code(44)))
        )

        await eventually(
            lambda: len(kela.fhir_server.transactions) == 1, within=_WITHIN, what="delivered"
        )
    assert [request.status for request in kela.fhir_server.requests] == [500, 500, 200]


async def test_a_422_parks_the_event_with_the_servers_reason(
    kafka_bootstrap: str, state_file: Path
) -> None:
    event = referral(client_code(45))
    async with running(kafka_bootstrap, state_file) as kela:
        kela.fhir_server.fail_next(422, "unknown referral service")
        await deliver_to_inbox(kela.connection, kela.organisation, CODEC.encode(event))

        async def parked() -> bool:
            return (await kela.runtime.health()).parked == 1

        await eventually(parked, within=_WITHIN, what="the event parked")
    assert len(kela.fhir_server.requests) == 1  # parked at once, not retried
    store = await AdapterStore.open(state_file)
    try:
        [parked_event] = await ReceivedEvents(store).parked()
    finally:
        await store.close()
    assert parked_event.event_id == str(event.event_id)
    assert "refused it with 422: unknown referral service" in parked_event.reason
