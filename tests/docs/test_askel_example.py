"""The worked example of docs/adapters.md runs: Askel's changes reach Kafka, events reach Askel."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from adapters.sdk import AdapterRuntime, AdapterSettings, installed_adapters
from broker.cli import main
from broker.kafka import KafkaConnection
from broker.registry import Organisation
from broker.settings import SaattajaSettings
from broker.topics import outbox_topic
from docs.examples.askel_adapter import NAMESPACE, AskelAdapter, AskelSettings
from schemas import (
    Event,
    KafkaRecord,
    OrganisationKind,
    ReferralAccepted,
    ReferralRequested,
    RejectionNotice,
)
from schemas.examples import EXAMPLE_ORGANISATIONS
from tests.adapters.events import CODEC, SECRET, client_code
from tests.adapters.kafka import create_organisation_topics, deliver_to_inbox
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic
from tests.docs.askel import Askel, serving, unused_url

_WITHIN: Final = 60.0
JARJESTO_OID: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.JARJESTO]
TYOLLISYYS_OID: Final = EXAMPLE_ORGANISATIONS[OrganisationKind.TYOLLISYYS]


def fresh_jarjesto() -> Organisation:
    """The NGO, under an id of its own so that no other test shares its topics."""
    return Organisation(
        id=f"jarjesto-{uuid.uuid4().hex[:8]}",
        name="Työvalmennussäätiö (example)",
        oid=JARJESTO_OID,
        kind=OrganisationKind.JARJESTO,
    )


def change(change_id: int, client: str, status: str = "started", **fields: Any) -> dict[str, Any]:
    """A referral change as Askel lists it."""
    return {
        "id": change_id,
        "status": status,
        "client_hetu": client,
        "referral": f"TYO-2026-{change_id}",
        "referred_by": TYOLLISYYS_OID,
        "changed": "2026-03-09T10:00:00+02:00",
        **fields,
    }


@dataclass
class Running:
    """The example adapter in its runtime, and Askel beside it."""

    runtime: AdapterRuntime
    askel: Askel
    connection: KafkaConnection
    organisation: Organisation

    async def published(self) -> list[Event]:
        """The events in the NGO's outbox topic, decoded as the router would."""
        records = await read_topic(self.connection, outbox_topic(self.organisation.id))
        return [
            CODEC.decode(
                KafkaRecord(
                    key=record.key or b"", headers=tuple(record.headers), value=record.value
                )
            )
            for record in records
        ]


@asynccontextmanager
async def running(kafka_bootstrap: str, tmp_path: Path, askel: Askel) -> AsyncIterator[Running]:
    connection = KafkaConnection(kafka_bootstrap)
    organisation = fresh_jarjesto()
    await create_organisation_topics(connection, organisation)
    async with serving(askel) as url:
        adapter = AskelAdapter(AskelSettings.model_validate({"url": url, "poll_seconds": 0.05}))
        runtime = AdapterRuntime(
            adapter,
            settings=AdapterSettings(
                organisation=organisation.id,
                state_file=tmp_path / "askel.db",
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
            yield Running(runtime, askel, connection, organisation)


@pytest.mark.kafka
async def test_a_change_askel_lists_is_published_and_answered_with_its_event_id(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    client = client_code(40)
    askel = Askel(changes={1: change(1, client, comment="Aloittaa työkokeilun maanantaina.")})
    async with running(kafka_bootstrap, tmp_path, askel) as run:
        await eventually(lambda: 1 in askel.answers, within=_WITHIN, what="change 1 answered")

        async def sent() -> bool:
            return len(await run.published()) == 1

        await eventually(sent, within=_WITHIN, what="the event in the NGO's outbox topic")
        [event] = await run.published()
    expected_id = uuid.uuid5(NAMESPACE, f"{JARJESTO_OID}/1")
    assert event == ReferralAccepted(
        event_id=expected_id,
        occurred_at=datetime(2026, 3, 9, 8, 0, tzinfo=UTC),
        sender=JARJESTO_OID,
        client=client,
        referral_id="TYO-2026-1",
        requester=TYOLLISYYS_OID,
        note="Aloittaa työkokeilun maanantaina.",
    )
    assert askel.answers[1] == {"event_id": str(expected_id)}
    assert askel.changes == {}


@pytest.mark.kafka
async def test_a_change_that_breaks_the_contract_is_answered_with_the_reason_and_never_sent(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    askel = Askel(
        changes={
            2: change(2, "150388-1234"),  # not a valid identity code
            3: change(3, client_code(41), status="paused"),
            4: change(4, client_code(42), status="finished"),
        }
    )
    async with running(kafka_bootstrap, tmp_path, askel) as run:
        await eventually(lambda: len(askel.answers) == 3, within=_WITHIN, what="all answered")

        async def sent() -> bool:
            return len(await run.published()) == 1

        await eventually(sent, within=_WITHIN, what="the valid change in the outbox topic")
        published = await run.published()
    assert [event.document_id for event in published] == ["TYO-2026-4"]
    assert "client" in askel.answers[2]["error"]
    assert askel.answers[3] == {
        "error": "unknown status 'paused': use started, finished",
    }
    assert set(askel.answers[4]) == {"event_id"}


@pytest.mark.kafka
async def test_an_event_in_the_inbox_is_posted_to_askel_as_json_with_its_type(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    askel = Askel()
    async with running(kafka_bootstrap, tmp_path, askel) as run:
        referral = _referral_to(run.organisation, client_code(43))
        await deliver_to_inbox(run.connection, run.organisation, CODEC.encode(referral))
        await eventually(lambda: len(askel.inbox) == 1, within=_WITHIN, what="posted to Askel")
    assert askel.inbox == [
        {"type": "fi.saattaja.referral.requested.v1", **referral.model_dump(mode="json")}
    ]


@pytest.mark.kafka
async def test_an_event_askel_refuses_is_parked_at_once_and_the_next_one_goes_on(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    askel = Askel(refuse_inbox="no such service in Askel")
    async with running(kafka_bootstrap, tmp_path, askel) as run:
        refused = _referral_to(run.organisation, client_code(44))
        await deliver_to_inbox(run.connection, run.organisation, CODEC.encode(refused))

        async def parked() -> bool:
            return (await run.runtime.health()).parked == 1

        await eventually(parked, within=_WITHIN, what="the refused event parked")
        askel.refuse_inbox = None
        taken = _referral_to(run.organisation, client_code(45))
        await deliver_to_inbox(run.connection, run.organisation, CODEC.encode(taken))
        await eventually(lambda: len(askel.inbox) == 1, within=_WITHIN, what="the next taken")
    assert askel.inbox_attempts == 2  # one try each: a refusal is not retried
    assert askel.inbox[0]["event_id"] == str(taken.event_id)


@pytest.mark.kafka
async def test_a_rejection_notice_is_logged_by_the_sdk_and_nothing_reaches_askel(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    askel = Askel()
    with capture_logs() as logs:
        async with running(kafka_bootstrap, tmp_path, askel) as run:
            notice = RejectionNotice(
                rejected_at=datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
                recipient=JARJESTO_OID,
                rejected_event_id=str(uuid.uuid4()),
                reason="not a valid event: ...",
                source_topic=outbox_topic(run.organisation.id),
                source_partition=0,
                source_offset=0,
            )
            after = _referral_to(run.organisation, client_code(46))
            record = CODEC.encode(after)
            # Same key, same partition: the notice is handled before the event after it.
            await deliver_to_inbox(
                run.connection, run.organisation, notice.encode(record.key), record
            )
            await eventually(lambda: len(askel.inbox) == 1, within=_WITHIN, what="the next event")
            health = await run.runtime.health()
    assert askel.inbox[0]["event_id"] == str(after.event_id)
    assert health.parked == 0
    [logged] = [entry for entry in logs if entry["event"] == "event_rejected_by_router"]
    assert (logged["rejected_event_id"], logged["reason"]) == (
        notice.rejected_event_id,
        notice.reason,
    )


async def test_check_is_quiet_when_askel_answers() -> None:
    async with serving(Askel()) as url:
        adapter = AskelAdapter(AskelSettings.model_validate({"url": url}))
        assert await adapter.check() == []


async def test_check_says_which_setting_to_fix_when_askel_does_not_answer() -> None:
    url = unused_url()
    adapter = AskelAdapter(AskelSettings.model_validate({"url": url}))
    [problem] = await adapter.check()
    assert problem.startswith(f"Askel did not answer GET {url}/saattaja/changes")
    assert problem.endswith("check SAATTAJA_ASKEL_URL")


@pytest.fixture
def askel_registered() -> Iterator[str]:
    """The example registered as an entry point would register it, for one test."""
    registry = installed_adapters()
    registry.register(AskelAdapter.name, AskelAdapter.from_environment)
    try:
        yield AskelAdapter.name
    finally:
        registry.unregister(AskelAdapter.name)


@pytest.mark.kafka
async def test_saattaja_adapter_check_askel_reports_both_ends_ok(
    kafka_bootstrap: str,
    tmp_path: Path,
    askel_registered: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    organisation = fresh_jarjesto()
    await create_organisation_topics(KafkaConnection(kafka_bootstrap), organisation)
    registry_file = tmp_path / "organisations.yaml"
    registry_file.write_text(
        "organisations:\n"
        f"  - id: {organisation.id}\n"
        f"    name: {organisation.name}\n"
        f'    oid: "{organisation.oid}"\n'
        f"    kind: {organisation.kind.value}\n",
        encoding="utf-8",
    )
    async with serving(Askel()) as url:
        for name, value in {
            "SAATTAJA_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "SAATTAJA_REGISTRY_FILE": str(registry_file),
            "SAATTAJA_PSEUDONYM_SECRET": SECRET.decode(),
            "SAATTAJA_ADAPTER_ORGANISATION": organisation.id,
            "SAATTAJA_ADAPTER_STATE_FILE": str(tmp_path / "askel.db"),
            "SAATTAJA_ASKEL_URL": url,
        }.items():
            monkeypatch.setenv(name, value)
        # main() runs its own event loop, so it runs in a thread of its own.
        exit_code = await asyncio.to_thread(main, ["adapter", "check", askel_registered])
    out = capsys.readouterr().out
    assert exit_code == 0, out
    assert "ok       adapter askel: its system answers" in out


def _referral_to(organisation: Organisation, client: str) -> ReferralRequested:
    """A referral from the employment services to the NGO's work activity."""
    return ReferralRequested(
        occurred_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        sender=TYOLLISYYS_OID,
        client=client,
        referral_id=f"TYO-{uuid.uuid4().hex[:8]}",
        receiver=organisation.oid,
        service="Kuntouttava työtoiminta",
        reason="Työelämävalmiuksien vahvistaminen",
    )
