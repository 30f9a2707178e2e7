"""The adapter's FHIR server: what the organisation's system POSTs becomes one event, or a 4xx."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest

from adapters.fhir_rest import EVENT_ID_HEADER, EVENT_TYPE_HEADER
from adapters.fhir_rest.receiving_server import DemoFhirServer
from adapters.sdk import AdapterConfigurationError, AdapterStore
from schemas import (
    ConsentRevoked,
    PlanCreated,
    PlanUpdated,
    ReferralAccepted,
    ReferralRequested,
)
from tests.adapters.events import KELA_OID, SOTE_OID, client_code
from tests.adapters.fhir_rest.conftest import Intake, serving_intake
from tests.adapters.fhir_rest.fhir import (
    accepted_task,
    plan,
    referral_resources,
    revoked_consent,
    transaction,
)


async def test_a_posted_task_accepting_a_referral_is_published_as_referral_accepted(
    intake: Intake,
) -> None:
    status, body, headers = await intake.post("/fhir/Task", accepted_task(client_code(1)))

    [event] = await intake.published()
    assert status == 202
    assert isinstance(event, ReferralAccepted)
    assert (event.sender, event.requester, event.referral_id) == (
        KELA_OID,
        SOTE_OID,
        "EKHVA-LAH-2026-00412",
    )
    assert headers[EVENT_ID_HEADER] == str(event.event_id)
    assert headers[EVENT_TYPE_HEADER] == "fi.saattaja.referral.accepted.v1"
    assert body["resourceType"] == "OperationOutcome"
    assert str(event.event_id) in body["issue"][0]["diagnostics"]


async def test_a_transaction_bundle_of_service_request_and_task_is_a_referral(
    intake: Intake,
) -> None:
    status, _, _ = await intake.post("/fhir", transaction(*referral_resources(client_code(2))))

    [event] = await intake.published()
    assert status == 202
    assert isinstance(event, ReferralRequested)
    assert event.receiver == SOTE_OID


async def test_a_care_plan_posted_is_created_and_put_is_updated(intake: Intake) -> None:
    await intake.post("/fhir/CarePlan", plan(client_code(3)))
    await intake.post("/fhir/CarePlan/KELA-SUUNN-7", plan(client_code(3)), method="PUT")

    created, updated = await intake.published()
    assert isinstance(created, PlanCreated)
    assert isinstance(updated, PlanUpdated)
    assert updated.plan_id == created.plan_id


async def test_an_inactive_consent_is_a_revocation(intake: Intake) -> None:
    await intake.post("/", transaction(revoked_consent(client_code(4))))

    [event] = await intake.published()
    assert isinstance(event, ConsentRevoked)


async def test_a_sender_left_out_of_the_resources_is_this_organisation(intake: Intake) -> None:
    task = accepted_task(client_code(5))
    del task["owner"]

    status, _, _ = await intake.post("/fhir/Task", task)

    [event] = await intake.published()
    assert status == 202
    assert event.sender == KELA_OID


async def test_resources_naming_another_organisation_as_sender_are_refused(
    intake: Intake,
) -> None:
    task = accepted_task(client_code(6))
    task["owner"] = task["requester"]  # the health centre's OID: not Kela's to send

    status, body, _ = await intake.post("/fhir/Task", task)

    assert status == 422
    assert f"Task.owner names organisation {SOTE_OID}" in body["issue"][0]["diagnostics"]
    assert await intake.published() == []


async def test_a_resource_that_is_not_valid_fhir_is_refused_with_400(intake: Intake) -> None:
    task = accepted_task(client_code(7))
    task["authoredOn"] = "last tuesday"

    status, body, _ = await intake.post("/fhir/Task", task)

    assert status == 400
    assert body["resourceType"] == "OperationOutcome"
    assert "Task is not valid FHIR R4: authoredOn" in body["issue"][0]["diagnostics"]
    assert await intake.published() == []


@pytest.mark.parametrize("contained_type", [None, "Sanna Virtanen"])
async def test_a_resource_that_fhir_validation_trips_on_is_refused_with_400(
    intake: Intake, contained_type: str | None
) -> None:
    task = accepted_task(client_code(7)) | {"contained": [{"resourceType": contained_type}]}

    status, body, _ = await intake.post("/fhir/Task", task)

    assert status == 400
    diagnostics = body["issue"][0]["diagnostics"]
    assert "Task is not valid FHIR R4: an element has a value of the wrong type" in diagnostics
    assert "Sanna" not in diagnostics
    assert await intake.published() == []


async def test_a_task_of_a_status_that_makes_no_event_is_refused_with_422(intake: Intake) -> None:
    task = accepted_task(client_code(8)) | {"status": "in-progress"}

    status, body, _ = await intake.post("/fhir/Task", task)

    assert status == 422
    assert "Task.status is 'in-progress'" in body["issue"][0]["diagnostics"]
    assert await intake.published() == []


async def test_resources_that_make_no_event_are_refused_naming_them_and_what_would(
    intake: Intake,
) -> None:
    patient = {"resourceType": "Patient", "active": True}

    status, body, _ = await intake.post("/fhir", patient)

    assert status == 422
    diagnostics = body["issue"][0]["diagnostics"]
    assert diagnostics.startswith("these resources make no Saattaja event (Patient: 1); send one")
    assert "a ServiceRequest with its Task (referral requested)" in diagnostics
    assert await intake.published() == []


async def test_a_body_of_another_type_than_the_url_names_is_refused(intake: Intake) -> None:
    status, body, _ = await intake.post("/fhir/CarePlan", accepted_task(client_code(9)))

    assert status == 400
    assert "the body is a Task but the URL names 'CarePlan'" in body["issue"][0]["diagnostics"]


async def test_a_resource_missing_what_the_event_needs_is_refused_naming_it(
    intake: Intake,
) -> None:
    task = accepted_task(client_code(10))
    del task["for"]

    status, body, _ = await intake.post("/fhir/Task", task)

    assert status == 422
    assert "Task.for is missing" in body["issue"][0]["diagnostics"]


async def test_not_json_is_refused_with_400(intake: Intake) -> None:
    async with intake.http.post(
        f"{intake.base_url}/fhir/Task",
        data=b"<Task/>",
        headers={"Content-Type": "application/fhir+json"},
    ) as response:
        assert response.status == 400
        assert "not JSON" in (await response.json(content_type=None))["issue"][0]["diagnostics"]
    assert await intake.published() == []


async def test_a_retried_post_with_the_same_event_id_makes_the_same_event(intake: Intake) -> None:
    event_id = str(uuid.uuid4())
    for _ in range(2):
        await intake.post(
            "/fhir/Task", accepted_task(client_code(11)), **{EVENT_ID_HEADER: event_id}
        )

    # Both are kept; the event id lets every receiver drop the second.
    assert {str(event.event_id) for event in await intake.published()} == {event_id}


async def test_the_server_answers_its_capability_statement(intake: Intake) -> None:
    async with intake.http.get(f"{intake.base_url}/fhir/metadata") as response:
        statement = await response.json(content_type=None)
    assert statement["resourceType"] == "CapabilityStatement"
    assert "Task" in {resource["type"] for resource in statement["rest"][0]["resource"]}


# What a request holds is not quoted back where it may be personal data: the answer goes
# into the adapter's log and the system's.

_IDENTITY_CODE = "020516C903K"


async def test_a_url_naming_no_resource_type_is_refused_without_quoting_it(
    intake: Intake,
) -> None:
    status, body, _ = await intake.post(f"/fhir/{_IDENTITY_CODE}", accepted_task(client_code(12)))

    assert status == 400
    assert "the URL names a value of 11 characters" in body["issue"][0]["diagnostics"]
    assert _IDENTITY_CODE not in body["issue"][0]["diagnostics"]


async def test_a_task_status_that_may_be_personal_data_is_refused_without_quoting_it(
    intake: Intake,
) -> None:
    task = accepted_task(client_code(13)) | {"status": _IDENTITY_CODE}

    status, body, _ = await intake.post("/fhir/Task", task)

    assert status == 422
    assert "Task.status is a value of 11 characters" in body["issue"][0]["diagnostics"]
    assert _IDENTITY_CODE not in body["issue"][0]["diagnostics"]


async def test_an_element_fhir_does_not_define_is_refused_without_quoting_its_name(
    intake: Intake,
) -> None:
    task = accepted_task(client_code(14)) | {_IDENTITY_CODE: "x"}

    status, body, _ = await intake.post("/fhir/Task", task)

    assert status == 400
    assert "Task: a value of 11 characters" in body["issue"][0]["diagnostics"]
    assert _IDENTITY_CODE not in body["issue"][0]["diagnostics"]


async def test_a_resource_type_that_is_no_fhir_resource_is_refused_without_quoting_it(
    intake: Intake,
) -> None:
    status, body, _ = await intake.post("/fhir", {"resourceType": _IDENTITY_CODE})

    assert status == 400
    assert "resourceType a value of 11 characters" in body["issue"][0]["diagnostics"]
    assert _IDENTITY_CODE not in body["issue"][0]["diagnostics"]


async def test_a_bundle_type_that_may_be_personal_data_is_refused_without_quoting_it(
    intake: Intake,
) -> None:
    bundle = transaction(*referral_resources(client_code(15))) | {"type": _IDENTITY_CODE}

    status, body, _ = await intake.post("/fhir", bundle)

    assert status == 422
    assert "Bundle.type is a value of 11 characters" in body["issue"][0]["diagnostics"]
    assert _IDENTITY_CODE not in body["issue"][0]["diagnostics"]


async def test_an_event_id_header_that_is_no_uuid_is_refused_without_quoting_it(
    intake: Intake,
) -> None:
    status, body, _ = await intake.post(
        "/fhir/Task", accepted_task(client_code(16)), **{EVENT_ID_HEADER: _IDENTITY_CODE}
    )

    assert status == 400
    assert f"{EVENT_ID_HEADER} is a value of 11 characters" in body["issue"][0]["diagnostics"]
    assert _IDENTITY_CODE not in body["issue"][0]["diagnostics"]


async def test_a_bundle_entry_method_that_may_be_personal_data_is_refused_without_quoting_it(
    intake: Intake,
) -> None:
    bundle = transaction(*referral_resources(client_code(17)), method=_IDENTITY_CODE)

    status, body, _ = await intake.post("/fhir", bundle)

    assert status == 422
    assert (
        "Bundle.entry[0].request.method is a value of 11 characters"
        in body["issue"][0]["diagnostics"]
    )
    assert _IDENTITY_CODE not in body["issue"][0]["diagnostics"]


async def test_a_listen_port_in_use_is_refused_as_a_setting_to_fix(
    intake: Intake, store: AdapterStore, demo_server: DemoFhirServer
) -> None:
    taken = urlsplit(intake.base_url).port

    with pytest.raises(AdapterConfigurationError, match="SAATTAJA_FHIR_REST_LISTEN_PORT"):
        async with serving_intake(store, demo_server.base_url, listen_port=taken):
            pass


async def test_a_body_over_the_limit_is_refused_with_413_naming_the_setting(
    store: AdapterStore, demo_server: DemoFhirServer
) -> None:
    task = accepted_task(client_code(18)) | {"note": [{"text": "x" * 2_048}]}

    async with serving_intake(store, demo_server.base_url, max_body_bytes=1_024) as small:
        status, body, _ = await small.post("/fhir/Task", task)

    assert status == 413
    assert body["resourceType"] == "OperationOutcome"
    assert "SAATTAJA_FHIR_REST_MAX_BODY_BYTES" in body["issue"][0]["diagnostics"]
    assert await small.published() == []
