"""Auditors query the log by client, organisation, time, decision and event type."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.audit import AuditFilter, AuditLog
from consent.errors import AuditChainBrokenError, InvalidAuditEntryError
from schemas import DataCategory
from tests.consent.audit.entries import (
    CLIENT,
    HOUR,
    JARJESTO,
    KELA,
    OTHER_PSEUDONYM,
    PLAN,
    PSEUDONYM,
    SOTE,
    T0,
    TYOLLISYYS,
    TYP,
    entry,
    execute,
    refusal,
)


@pytest.fixture
async def log(engine: AsyncEngine) -> AuditLog:
    """Five records, one per hour from T0, that differ in one thing or another."""
    log = AuditLog(engine)
    await log.append([entry(recipient=KELA, decided_at=T0)])  # 1
    await log.append([refusal(recipient=TYOLLISYYS, decided_at=T0 + HOUR)])  # 2
    await log.append(  # 3
        [
            entry(
                recipient=KELA,
                event_type=PLAN,
                category=DataCategory.PLAN,
                decided_at=T0 + 2 * HOUR,
            )
        ]
    )
    await log.append(  # 4
        [entry(client=OTHER_PSEUDONYM, recipient=TYP, decided_at=T0 + 3 * HOUR)]
    )
    await log.append(  # 5
        [entry(sender=TYOLLISYYS, recipient=JARJESTO, decided_at=T0 + 4 * HOUR)]
    )
    return log


async def sequences(log: AuditLog, filters: AuditFilter | None = None) -> list[int]:
    return [record.sequence async for record in log.query(filters, batch_size=2)]


async def test_query_without_filters_returns_every_record_in_order(log: AuditLog) -> None:
    assert await sequences(log) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param(AuditFilter(client=PSEUDONYM), [1, 2, 3, 5], id="client"),
        pytest.param(AuditFilter(organisation=KELA), [1, 3], id="organisation-as-recipient"),
        pytest.param(AuditFilter(organisation=TYOLLISYYS), [2, 5], id="organisation-as-sender"),
        pytest.param(AuditFilter(since=T0 + 3 * HOUR), [4, 5], id="since-inclusive"),
        pytest.param(AuditFilter(until=T0 + HOUR), [1], id="until-exclusive"),
        pytest.param(AuditFilter(decision="deny"), [2], id="decision"),
        pytest.param(AuditFilter(event_type=PLAN), [3], id="event-type"),
        pytest.param(
            AuditFilter(client=PSEUDONYM, organisation=SOTE, decision="permit", since=T0 + HOUR),
            [3],
            id="all-together",
        ),
    ],
)
async def test_query_filter_selects_exactly_the_matching_records(
    log: AuditLog, filters: AuditFilter, expected: list[int]
) -> None:
    assert await sequences(log, filters) == expected


async def test_a_record_changed_to_a_category_no_decision_has_is_named_with_verify_to_run(
    engine: AsyncEngine, log: AuditLog
) -> None:
    await execute(engine, "UPDATE audit_records SET category = 'x' WHERE sequence = 3")

    with pytest.raises(AuditChainBrokenError, match=r"audit record 3 .*saattaja audit verify"):
        await sequences(log)


async def test_a_record_whose_changed_time_cannot_be_read_says_to_run_verify(
    sqlite_engine: AsyncEngine,
) -> None:
    log = AuditLog(sqlite_engine)
    await log.append([entry(recipient=KELA)])
    await execute(sqlite_engine, "UPDATE audit_records SET decided_at = 'x' WHERE sequence = 1")

    with pytest.raises(AuditChainBrokenError, match="run `saattaja audit verify`"):
        await sequences(log)


def test_filter_refuses_an_identity_code_as_client() -> None:
    with pytest.raises(InvalidAuditEntryError, match="pseudonym"):
        AuditFilter(client=CLIENT)


def test_filter_refuses_a_time_without_zone() -> None:
    with pytest.raises(InvalidAuditEntryError, match="time zone"):
        AuditFilter(since=T0.replace(tzinfo=None))


@pytest.mark.parametrize("until", [T0, T0 - HOUR], ids=["the same moment", "before since"])
def test_filter_refuses_an_empty_period(until: datetime) -> None:
    with pytest.raises(InvalidAuditEntryError, match="is not before until"):
        AuditFilter(since=T0, until=until)
