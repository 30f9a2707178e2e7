"""The PostgreSQL roles README.md suggests: the routers' may append to the audit log and the
consent history but never change them, and does all the routing needs; the auditors' only
reads, and is enough for the audit commands."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.exc import ProgrammingError

from broker.cli import main
from broker.registry import OrganisationRegistry
from consent.audit import AuditLog
from consent.database import create_database_engine, upgrade_database
from consent.store import ConsentStore
from schemas.examples import journey_events
from tests.consent.audit.entries import KELA, PSEUDONYM, SECRET, TYP, entry, execute
from tests.consent.builders import PSEUDONYM as CONSENTING
from tests.consent.builders import T0, grant
from tests.postgres_roles import AUDITOR, ROUTER, login_role
from tests.router.harness import route, running_router

pytestmark = pytest.mark.postgres


async def test_the_routers_role_routes_the_whole_journey(
    kafka_bootstrap: str, postgres_database_url: str, registry: OrganisationRegistry
) -> None:
    await upgrade_database(postgres_database_url)
    async with (
        login_role(postgres_database_url, ROUTER) as role,
        running_router(kafka_bootstrap, role.url, registry) as (harness, service),
    ):
        for _, event in journey_events():
            await route(harness, service, event)
        paused = service.status.paused_reason

    engine = create_database_engine(postgres_database_url)
    try:
        result = await AuditLog(engine).verify()
    finally:
        await engine.dispose()
    assert paused is None
    assert result.ok, result.describe()
    assert result.checked >= len(journey_events())


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_records SET reason = 'consent'",
        "DELETE FROM audit_records",
        "UPDATE consent_versions SET valid_until = NULL",
        "DELETE FROM consent_versions",
    ],
)
async def test_the_routers_role_may_not_change_or_remove_a_record(
    postgres_database_url: str, statement: str
) -> None:
    await upgrade_database(postgres_database_url)
    async with login_role(postgres_database_url, ROUTER) as role:
        engine = create_database_engine(role.url)
        try:
            await AuditLog(engine).append([entry(recipient=KELA)])
            await ConsentStore(engine).apply(grant("C-1"), pseudonym=CONSENTING, applied_at=T0)
            with pytest.raises(ProgrammingError, match="permission denied"):
                await execute(engine, statement)
        finally:
            await engine.dispose()


@pytest.fixture
async def auditors_url(postgres_database_url: str) -> AsyncIterator[str]:
    """The test's database, holding two decisions, as a role with the auditors' grants."""
    await upgrade_database(postgres_database_url)
    engine = create_database_engine(postgres_database_url)
    try:
        event = uuid.uuid4()
        await AuditLog(engine).append(
            [entry(event_id=event, recipient=KELA), entry(event_id=event, recipient=TYP)]
        )
    finally:
        await engine.dispose()
    async with login_role(postgres_database_url, AUDITOR) as role:
        yield role.url


@pytest.mark.parametrize(
    "command_and_output",
    [
        (["audit", "verify"], "audit chain whole: 2 records"),
        (["audit", "query", "--format", "jsonl"], f'"client":"{PSEUDONYM}"'),
    ],
)
def test_the_auditors_role_is_enough_for_the_audit_commands(
    auditors_url: str,
    clean_environment: pytest.MonkeyPatch,
    registry_file: Path,
    capsys: pytest.CaptureFixture[str],
    command_and_output: tuple[list[str], str],
) -> None:
    command, says = command_and_output
    clean_environment.setenv("SAATTAJA_DATABASE_URL", auditors_url)
    clean_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    clean_environment.setenv("SAATTAJA_PSEUDONYM_SECRET", SECRET)

    assert main(command) == 0

    assert says in capsys.readouterr().out
