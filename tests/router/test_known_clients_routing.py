"""A router keeps what it knows of a client between batches, and reads it again when it changes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schemas import DataCategory
from tests.router.events import (
    KELA_KIND,
    TYOLLISYYS,
    acceptance,
    consent,
    kykyviisari,
    referral,
    revocation,
)
from tests.router.harness import RouterUnderTest

pytestmark = pytest.mark.kafka

# The tables a client's consents, care network and pathway are read from.
_CLIENT_STATE_TABLES = (
    "consent_versions",
    "care_network_members",
    "pathway_referrals",
    "pathway_documents",
)


@contextmanager
def statements_run() -> Iterator[list[str]]:
    """The SQL statements every engine of this process runs meanwhile."""
    seen: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(Engine, "before_cursor_execute", record)


async def test_a_known_clients_next_event_reads_none_of_their_state_from_the_store(
    router: RouterUnderTest, client: str
) -> None:
    await router.route(
        consent("C-k1", (KELA_KIND,), (DataCategory.REFERRAL,), client=client),
        referral("R-k1", client=client),
    )

    with statements_run() as statements:
        await router.route(kykyviisari("KV-k1", client=client))

    assert _state_reads(statements) == []


def _state_reads(statements: list[str]) -> list[str]:
    return [
        statement
        for statement in statements
        if statement.lstrip().upper().startswith("SELECT")
        and any(f"FROM {table}" in statement for table in _CLIENT_STATE_TABLES)
    ]


async def test_a_clients_network_follows_an_acceptance_without_being_read_again(
    router: RouterUnderTest, client: str
) -> None:
    categories = (DataCategory.REFERRAL, DataCategory.ASSESSMENT_SELF)
    await router.route(
        consent("C-k3", (KELA_KIND,), categories, client=client), referral("R-k3", client=client)
    )
    await router.route(acceptance("R-k3", client=client))

    assessment = kykyviisari("KV-k3", client=client)
    with statements_run() as statements:
        await router.route(assessment)

    assert _state_reads(statements) == []
    # Kela joined the network by accepting: the assessment follows the client there.
    delivered = [event.event_id for event in await router.harness.events_of("kela", client)]
    assert assessment.event_id in delivered


async def test_a_consent_revoked_once_the_client_is_known_no_longer_permits(
    router: RouterUnderTest, client: str
) -> None:
    first = referral("R-k2a", client=client)
    await router.route(
        consent("C-k2", (KELA_KIND,), (DataCategory.REFERRAL,), client=client), first
    )
    await router.route(revocation("C-k2", sender=TYOLLISYYS, client=client))
    await router.route(referral("R-k2b", client=client))

    delivered = [event.event_id for event in await router.harness.events_of("kela", client)]
    assert delivered == [first.event_id]
    decisions = [record.decision for record in await router.harness.audit_records_of(client)]
    assert decisions == ["permit", "deny"]
