"""Delivery: each received event reaches the organisation's FHIR server as a transaction Bundle."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import aiohttp
import pytest
from pydantic import SecretStr

from adapters.fhir_rest import (
    EVENT_ID_HEADER,
    FhirEndpointError,
    FhirRestAdapter,
)
from adapters.fhir_rest.receiving_server import DemoFhirServer
from adapters.sdk import RejectEvent
from schemas import AssessmentAvailable, HandoverPackage, RejectionNotice, RevocationUnmatched
from schemas.examples import router_events
from tests.adapters.events import KELA_OID, client_code, referral
from tests.adapters.fhir_rest.conftest import settings_for


async def test_an_event_is_posted_as_a_transaction_of_its_focal_resources(
    demo_server: DemoFhirServer,
) -> None:
    event = referral(client_code(30))

    await FhirRestAdapter(settings_for(demo_server.base_url)).handle(event)

    [received] = demo_server.transactions
    assert received.body["type"] == "transaction"
    assert received.event_type == "fi.saattaja.referral.requested.v1"
    assert received.headers[EVENT_ID_HEADER] == str(event.event_id)
    assert [entry["request"]["method"] for entry in received.body["entry"]] == ["PUT", "PUT"]
    [task] = demo_server.resources("Task")
    assert task["owner"]["identifier"]["value"] == f"urn:oid:{KELA_OID}"


async def test_a_redelivered_event_replaces_rather_than_duplicates(
    demo_server: DemoFhirServer,
) -> None:
    adapter, event = FhirRestAdapter(settings_for(demo_server.base_url)), referral(client_code(31))

    await adapter.handle(event)
    await adapter.handle(event)

    assert len(demo_server.transactions) == 2
    assert len(demo_server.resources("ServiceRequest")) == 1


@pytest.mark.parametrize("notice_type", [HandoverPackage, AssessmentAvailable, RevocationUnmatched])
async def test_a_router_notice_without_business_identifier_is_put_by_an_id_of_its_event(
    demo_server: DemoFhirServer,
    notice_type: type[HandoverPackage | AssessmentAvailable | RevocationUnmatched],
) -> None:
    [notice] = [event for _, event in router_events() if isinstance(event, notice_type)]
    adapter = FhirRestAdapter(settings_for(demo_server.base_url))

    await adapter.handle(notice)
    await adapter.handle(notice)

    first, again = (request.body["entry"][0] for request in demo_server.transactions)
    resource = first["resource"]
    url = f"{resource['resourceType']}/{resource['id']}"
    assert first["request"] == {"method": "PUT", "url": url}
    assert again["request"] == first["request"]
    assert len(demo_server.resources(resource["resourceType"])) == 1


async def test_the_bearer_token_is_sent(demo_server: DemoFhirServer) -> None:
    settings = settings_for(demo_server.base_url, bearer_token=SecretStr("kela-token"))

    await FhirRestAdapter(settings).handle(referral(client_code(32)))

    assert demo_server.requests[0].headers["Authorization"] == "Bearer kela-token"


async def test_a_server_error_raises_so_that_the_sdk_retries(demo_server: DemoFhirServer) -> None:
    demo_server.fail_next(500, "database is restarting")

    with pytest.raises(FhirEndpointError, match="answered 500: database is restarting"):
        await FhirRestAdapter(settings_for(demo_server.base_url)).handle(referral(client_code(33)))


async def test_a_422_rejects_the_event_with_the_servers_words(demo_server: DemoFhirServer) -> None:
    demo_server.fail_next(422, "Task.owner is not an organisation we know")

    with pytest.raises(RejectEvent, match=re.escape("Task.owner is not an organisation we know")):
        await FhirRestAdapter(settings_for(demo_server.base_url)).handle(referral(client_code(34)))


async def test_an_unreachable_server_raises_so_that_the_sdk_retries() -> None:
    adapter = FhirRestAdapter(settings_for("http://127.0.0.1:9/fhir", timeout_seconds=5))

    with pytest.raises(FhirEndpointError, match="does not answer"):
        await adapter.handle(referral(client_code(35)))


async def test_an_unreachable_server_is_a_reason_that_still_holds_once_the_event_is_parked() -> (
    None
):
    # The last failure's words are the parked reason: "it is retried" was no longer true.
    adapter = FhirRestAdapter(settings_for("http://127.0.0.1:9/fhir", timeout_seconds=5))

    with pytest.raises(FhirEndpointError) as failed:
        await adapter.handle(referral(client_code(36)))

    assert str(failed.value).endswith("check that it runs and SAATTAJA_FHIR_REST_ENDPOINT_URL")


async def test_a_rejection_notice_is_posted_to_the_bundle_endpoint(
    demo_server: DemoFhirServer,
) -> None:
    notice = RejectionNotice(
        rejected_at=datetime(2026, 3, 1, tzinfo=UTC),
        recipient=KELA_OID,
        rejected_event_id="0b8f4a52-1d7e-4c1e-9d8c-3f7b1c2a9e10",
        reason="the plan names no performer",
        source_topic="saattaja.kela.outbox",
        source_partition=0,
        source_offset=7,
    )

    await FhirRestAdapter(settings_for(demo_server.base_url)).on_rejection(notice)

    [posted] = demo_server.notices
    assert posted.body["type"] == "message"
    outcome = posted.body["entry"][1]["resource"]
    assert outcome["issue"][0]["diagnostics"] == "the plan names no performer"


async def test_the_demo_server_refuses_a_bundle_fhir_validation_trips_on_with_400(
    demo_server: DemoFhirServer,
) -> None:
    entry = {"resource": {"resourceType": "Task", "contained": [{"resourceType": None}]}}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [entry]}
    async with (
        aiohttp.ClientSession() as http,
        http.post(demo_server.base_url, json=bundle) as response,
    ):
        status, body = response.status, await response.json(content_type=None)

    assert status == 400
    assert "an element has a value of the wrong type" in body["issue"][0]["diagnostics"]


async def test_the_demo_server_refuses_what_is_no_fhir_without_quoting_it(
    demo_server: DemoFhirServer,
) -> None:
    # Pydantic's own text quotes the input; the server's answer is logged by the adapter.
    bundle = {"resourceType": "Bundle", "type": "transaction", "note": "020516C903K"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(demo_server.base_url, json=bundle) as response,
    ):
        status, body = response.status, await response.json(content_type=None)

    assert status == 400
    assert body["issue"][0]["diagnostics"].startswith("not a FHIR R4 Bundle: Bundle: ")
    assert "020516C903K" not in body["issue"][0]["diagnostics"]
