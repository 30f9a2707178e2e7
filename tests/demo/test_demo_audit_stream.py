"""The demo on a broker of its own runs the audit stream beside the router."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from broker.demo import DemoStack, Narrator
from broker.embedded import free_port
from broker.kafka import KafkaConnection
from broker.registry import OrganisationRegistry
from broker.settings import SaattajaSettings
from broker.topics import AUDIT_TOPIC
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic
from tests.consent.audit.entries import entry
from tests.router.harness import suffixed_registry

pytestmark = [pytest.mark.kafka]


async def test_a_demo_on_its_own_broker_streams_each_decision_to_the_audit_topic(
    registry: OrganisationRegistry, tmp_path: Path
) -> None:
    settings = SaattajaSettings(
        embedded_port=free_port("127.0.0.1"),
        pseudonym_secret=SecretStr("demo-audit-stream-test-secret-0123456789"),
        router_session_timeout_ms=6_000,
        audit_stream_poll_seconds=0.05,
    )
    lines: list[str] = []
    async with DemoStack(settings, registry, tmp_path / "demo") as stack:
        assert stack.audit is not None
        [record] = await stack.audit.append([entry(event_id=uuid.uuid4())])
        connection = KafkaConnection(stack.bootstrap)

        async def shipped() -> bool:
            return len(await read_topic(connection, AUDIT_TOPIC)) == 1

        await eventually(shipped, within=30, what="the decision on the audit topic")
        [message] = await read_topic(connection, AUDIT_TOPIC)
        Narrator(registry, lines.append).addresses(stack)

    assert dict(message.headers)["saattaja_audit_hash"].decode() == record.hash
    told = f"Audit stream running: each decision also goes to {AUDIT_TOPIC}"
    assert any(told in line for line in lines)


async def test_a_demo_on_a_broker_it_was_given_runs_no_audit_stream(
    kafka_bootstrap: str, registry: OrganisationRegistry, tmp_path: Path
) -> None:
    settings = SaattajaSettings(
        kafka_bootstrap=kafka_bootstrap,
        pseudonym_secret=SecretStr("demo-audit-stream-test-secret-0123456789"),
        router_group_id=f"demo-test-{uuid.uuid4().hex[:8]}",
        router_session_timeout_ms=6_000,
    )
    organisations = suffixed_registry(registry)  # topics no other test uses
    lines: list[str] = []
    async with DemoStack(
        settings, organisations, tmp_path / "demo", bootstrap=kafka_bootstrap
    ) as stack:
        Narrator(organisations, lines.append).addresses(stack)

    assert stack.audit_stream is None
    assert not any("Audit stream" in line for line in lines)
