"""With an intake token set, the adapter's FHIR server publishes only what bears it."""

from __future__ import annotations

import pytest

from adapters.fhir_rest import FhirRestSettings
from adapters.fhir_rest.receiving_server import DemoFhirServer
from adapters.sdk import AdapterConfigurationError, AdapterStore, load_settings_model
from tests.adapters.events import client_code
from tests.adapters.fhir_rest.conftest import INTAKE_TOKEN, Intake, serving_intake
from tests.adapters.fhir_rest.fhir import accepted_task


async def test_a_post_bearing_the_token_is_published(guarded_intake: Intake) -> None:
    status, _, _ = await guarded_intake.post(
        "/fhir/Task", accepted_task(client_code(1)), Authorization=f"Bearer {INTAKE_TOKEN}"
    )

    assert status == 202
    assert len(await guarded_intake.published()) == 1


async def test_a_post_without_the_token_is_refused_and_publishes_nothing(
    guarded_intake: Intake,
) -> None:
    status, body, headers = await guarded_intake.post("/fhir/Task", accepted_task(client_code(2)))

    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert body["issue"][0]["code"] == "login"
    assert "SAATTAJA_FHIR_REST_INTAKE_TOKEN" in body["issue"][0]["diagnostics"]
    assert await guarded_intake.published() == []


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {INTAKE_TOKEN}x", f"Basic {INTAKE_TOKEN}", "Bearer", f"Bearer {INTAKE_TOKEN[:-1]}"],
)
async def test_a_put_with_another_token_is_refused(
    guarded_intake: Intake, authorization: str
) -> None:
    status, _, _ = await guarded_intake.post(
        "/fhir/CarePlan/KELA-SUUNN-7",
        accepted_task(client_code(3)),
        method="PUT",
        Authorization=authorization,
    )

    assert status == 401
    assert await guarded_intake.published() == []


async def test_the_capability_statement_needs_no_token(guarded_intake: Intake) -> None:
    async with guarded_intake.http.get(f"{guarded_intake.base_url}/fhir/metadata") as response:
        assert response.status == 200


def test_listening_beyond_loopback_without_a_token_fails_at_start_naming_it(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_FHIR_REST_ENDPOINT_URL", "http://127.0.0.1:8080/fhir")
    clean_environment.setenv("SAATTAJA_FHIR_REST_LISTEN_HOST", "0.0.0.0")  # noqa: S104

    with pytest.raises(AdapterConfigurationError, match="SAATTAJA_FHIR_REST_INTAKE_TOKEN is req"):
        load_settings_model(FhirRestSettings)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_listening_on_loopback_needs_no_token(host: str) -> None:
    settings = FhirRestSettings(endpoint_url="http://127.0.0.1/fhir", listen_host=host)  # type: ignore[arg-type]  # pydantic validates the URL text

    assert settings.intake_token is None


def test_a_short_token_is_refused_naming_the_variable(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_FHIR_REST_ENDPOINT_URL", "http://127.0.0.1:8080/fhir")
    clean_environment.setenv("SAATTAJA_FHIR_REST_INTAKE_TOKEN", "secret")

    with pytest.raises(AdapterConfigurationError, match=r"SAATTAJA_FHIR_REST_INTAKE_TOKEN: .*32"):
        load_settings_model(FhirRestSettings)


def test_the_env_examples_placeholder_token_is_refused_naming_the_variable(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_FHIR_REST_ENDPOINT_URL", "http://127.0.0.1:8080/fhir")
    clean_environment.setenv(
        "SAATTAJA_FHIR_REST_INTAKE_TOKEN",
        "change-me-to-a-random-token-of-64-hex-digits-0000000000",
    )

    with pytest.raises(
        AdapterConfigurationError, match=r"SAATTAJA_FHIR_REST_INTAKE_TOKEN: .*placeholder"
    ):
        load_settings_model(FhirRestSettings)


async def test_during_a_rotation_the_previous_token_is_taken_too(
    store: AdapterStore, demo_server: DemoFhirServer
) -> None:
    new = "kela-intake-token-new-" + "8" * 32
    async with serving_intake(
        store, demo_server.base_url, intake_token=new, intake_token_previous=INTAKE_TOKEN
    ) as intake:
        old_status, _, _ = await intake.post(
            "/fhir/Task", accepted_task(client_code(4)), Authorization=f"Bearer {INTAKE_TOKEN}"
        )
        new_status, _, _ = await intake.post(
            "/fhir/Task", accepted_task(client_code(5)), Authorization=f"Bearer {new}"
        )
        wrong_status, _, _ = await intake.post(
            "/fhir/Task", accepted_task(client_code(6)), Authorization=f"Bearer {new}x"
        )

    assert (old_status, new_status, wrong_status) == (202, 202, 401)


def test_a_previous_token_without_a_current_one_fails_at_start_naming_both(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_FHIR_REST_ENDPOINT_URL", "http://127.0.0.1:8080/fhir")
    clean_environment.setenv("SAATTAJA_FHIR_REST_INTAKE_TOKEN_PREVIOUS", INTAKE_TOKEN)

    with pytest.raises(AdapterConfigurationError, match="INTAKE_TOKEN_PREVIOUS is set but"):
        load_settings_model(FhirRestSettings)
