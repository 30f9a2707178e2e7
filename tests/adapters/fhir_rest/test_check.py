"""check(): the organisation's FHIR server answers its metadata, and the listen address is free."""

from __future__ import annotations

import socket

from structlog.testing import capture_logs
from yarl import URL

from adapters.fhir_rest import FhirRestAdapter
from adapters.fhir_rest.receiving_server import DemoFhirServer
from tests.adapters.fhir_rest.conftest import Intake, settings_for


async def test_a_reachable_server_and_a_free_port_are_no_problem(
    demo_server: DemoFhirServer,
) -> None:
    assert await FhirRestAdapter(settings_for(demo_server.base_url)).check() == []


async def test_an_unreachable_endpoint_is_reported_in_words() -> None:
    adapter = FhirRestAdapter(settings_for("http://127.0.0.1:9/fhir", timeout_seconds=5))

    [problem] = await adapter.check()

    assert problem.startswith("the FHIR server at http://127.0.0.1:9/fhir does not answer GET")
    assert "SAATTAJA_FHIR_REST_ENDPOINT_URL" in problem


async def test_an_endpoint_that_is_not_a_fhir_base_url_is_reported(
    demo_server: DemoFhirServer,
) -> None:
    adapter = FhirRestAdapter(settings_for(f"{demo_server.base_url}/Patient"))

    [problem] = await adapter.check()

    assert "answered 404" in problem


async def test_a_listen_port_in_use_is_reported(demo_server: DemoFhirServer) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        adapter = FhirRestAdapter(settings_for(demo_server.base_url, listen_port=port))

        [problem] = await adapter.check()

    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in problem


async def test_the_port_this_adapter_already_listens_on_is_a_warning_not_a_problem(
    intake: Intake, demo_server: DemoFhirServer
) -> None:
    port = URL(intake.base_url).port
    adapter = FhirRestAdapter(settings_for(demo_server.base_url, listen_port=port))

    with capture_logs() as logs:
        problems = await adapter.check()

    assert problems == []
    [warning] = [log for log in logs if log["log_level"] == "warning"]
    assert (warning["event"], warning["port"]) == ("fhir_listen_port_taken_by_the_adapter", port)


async def test_a_port_another_fhir_server_listens_on_is_a_problem(
    demo_server: DemoFhirServer,
) -> None:
    port = URL(demo_server.base_url).port
    adapter = FhirRestAdapter(settings_for(demo_server.base_url, listen_port=port))

    [problem] = await adapter.check()

    assert f"cannot listen on 127.0.0.1:{port}: the port is in use by something other" in problem
