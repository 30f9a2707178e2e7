"""The care network on SQLite and PostgreSQL: who works with the client now."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.embedded import free_port
from consent.database import create_database_engine
from consent.errors import StoreUnavailableError
from consent.network import CareNetwork, care_network_members, network_after
from schemas import (
    CaseManagerAssigned,
    CaseManagerRole,
    EpisodeClosed,
    EpisodeOutcome,
    ReferralAccepted,
    ReferralRequested,
)
from tests.consent.builders import (
    CLIENT,
    HOUR,
    JARJESTO,
    KELA,
    OTHER_CLIENT,
    PSEUDONYM,
    PSEUDONYMS,
    SOTE,
    T0,
    TYOLLISYYS,
    TYP,
)


def requested() -> ReferralRequested:
    return ReferralRequested(
        occurred_at=T0,
        sender=SOTE,
        client=CLIENT,
        referral_id="R-1",
        receiver=KELA,
        service="Ammatillinen kuntoutus",
        reason="Työkyky heikentynyt",
    )


def accepted(by: str = KELA, requester: str = SOTE, client: str = CLIENT) -> ReferralAccepted:
    return ReferralAccepted(
        occurred_at=T0, sender=by, client=client, referral_id="R-1", requester=requester
    )


def assigned() -> CaseManagerAssigned:
    return CaseManagerAssigned(
        occurred_at=T0 + HOUR,
        sender=TYP,
        client=CLIENT,
        episode_id="E-1",
        case_manager_name="Maija Meikäläinen",
        case_manager_role=CaseManagerRole.TYOKYKYKOORDINAATTORI,
        case_manager_organisation=TYP,
        team=(TYOLLISYYS, JARJESTO),
    )


def closed(*, by: str = TYP) -> EpisodeClosed:
    return EpisodeClosed(
        occurred_at=T0 + 2 * HOUR,
        sender=by,
        client=CLIENT,
        episode_id="E-1",
        outcome=EpisodeOutcome.WORK,
    )


async def test_accepted_referral_adds_the_acceptor_and_keeps_the_requester(
    engine: AsyncEngine,
) -> None:
    network = CareNetwork(engine)
    assert await network.record(accepted(), pseudonym=PSEUDONYM) is True
    assert await network.members(PSEUDONYM) == {KELA, SOTE}


async def test_assigned_case_manager_adds_their_organisation_and_the_team(
    engine: AsyncEngine,
) -> None:
    network = CareNetwork(engine)
    await network.record(accepted(), pseudonym=PSEUDONYM)
    await network.record(assigned(), pseudonym=PSEUDONYM)
    assert await network.members(PSEUDONYM) == {KELA, SOTE, TYP, TYOLLISYYS, JARJESTO}


async def test_closed_episode_ends_the_network_and_keeps_its_rows(engine: AsyncEngine) -> None:
    network = CareNetwork(engine)
    closing = closed()
    await network.record(assigned(), pseudonym=PSEUDONYM)
    await network.record(closing, pseudonym=PSEUDONYM)
    assert await network.members(PSEUDONYM) == frozenset()
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(care_network_members))).mappings().all()
    assert {row["organisation"] for row in rows} == {TYP, TYOLLISYYS, JARJESTO}
    assert {row["ended_event_id"] for row in rows} == {str(closing.event_id)}
    assert all(row["ended_at"] is not None for row in rows)


async def test_recording_an_event_again_changes_nothing(engine: AsyncEngine) -> None:
    network = CareNetwork(engine)
    acceptance = accepted()
    await network.record(acceptance, pseudonym=PSEUDONYM)
    await network.record(closed(by=KELA), pseudonym=PSEUDONYM)
    # Redelivered after the episode closed: it must not bring the old network back.
    assert await network.record(acceptance, pseudonym=PSEUDONYM) is False
    assert await network.members(PSEUDONYM) == frozenset()


async def test_network_starts_again_after_an_episode_closed(engine: AsyncEngine) -> None:
    network = CareNetwork(engine)
    await network.record(accepted(), pseudonym=PSEUDONYM)
    await network.record(closed(by=KELA), pseudonym=PSEUDONYM)
    await network.record(accepted(by=TYOLLISYYS), pseudonym=PSEUDONYM)
    assert await network.members(PSEUDONYM) == {TYOLLISYYS, SOTE}


async def test_joins_and_closings_recorded_together_keep_their_order(
    engine: AsyncEngine,
) -> None:
    network = CareNetwork(engine)
    other = PSEUDONYMS.pseudonym(OTHER_CLIENT)
    other_closed = closed().model_copy(update={"client": OTHER_CLIENT})
    await network.record_all(
        [
            (accepted(), PSEUDONYM),
            (accepted(by=TYP, client=OTHER_CLIENT), other),
            (closed(by=KELA), PSEUDONYM),
            (other_closed, other),
            (accepted(by=TYOLLISYYS), PSEUDONYM),
        ]
    )
    assert await network.members(PSEUDONYM) == {TYOLLISYYS, SOTE}
    assert await network.members(other) == frozenset()


async def test_an_episode_closed_by_an_organisation_outside_the_network_ends_nothing(
    engine: AsyncEngine,
) -> None:
    network = CareNetwork(engine)
    await network.record(accepted(), pseudonym=PSEUDONYM)

    await network.record(closed(by=JARJESTO), pseudonym=PSEUDONYM)

    assert await network.members(PSEUDONYM) == {KELA, SOTE}
    assert network_after(frozenset({KELA, SOTE}), closed(by=JARJESTO)) == {KELA, SOTE}


async def test_an_episode_closed_while_nobody_is_in_the_network_leaves_it_empty(
    engine: AsyncEngine,
) -> None:
    network = CareNetwork(engine)
    await network.record(closed(by=JARJESTO), pseudonym=PSEUDONYM)
    assert await network.members(PSEUDONYM) == frozenset()


@pytest.mark.parametrize(
    "events",
    [
        [accepted()],
        [accepted(), assigned()],
        [accepted(), assigned(), closed()],
        [accepted(), closed(by=KELA), accepted(by=TYOLLISYYS)],
        [accepted(), closed(by=JARJESTO), assigned()],
        [assigned(), accepted(by=TYP, requester=KELA), closed(), assigned()],
    ],
    ids=["accepted", "then-assigned", "then-closed", "closed-and-again", "closed-outside", "mixed"],
)
async def test_the_network_worked_out_in_memory_is_the_one_the_store_records(
    engine: AsyncEngine, events: list[ReferralAccepted | CaseManagerAssigned | EpisodeClosed]
) -> None:
    network = CareNetwork(engine)
    await network.record_all([(event, PSEUDONYM) for event in events])

    worked_out: frozenset[str] = frozenset()
    for event in events:
        worked_out = network_after(worked_out, event)

    assert worked_out == await network.members(PSEUDONYM)


def test_an_event_that_changes_no_network_leaves_it_as_it_was() -> None:
    assert network_after(frozenset({KELA}), requested()) == {KELA}


async def test_events_that_change_no_network_are_ignored(engine: AsyncEngine) -> None:
    network = CareNetwork(engine)
    assert await network.record(requested(), pseudonym=PSEUDONYM) is False
    assert await network.members(PSEUDONYM) == frozenset()


async def test_each_client_has_a_network_of_their_own(engine: AsyncEngine) -> None:
    network = CareNetwork(engine)
    other = PSEUDONYMS.pseudonym(OTHER_CLIENT)
    await network.record(accepted(), pseudonym=PSEUDONYM)
    await network.record(accepted(by=TYP, client=OTHER_CLIENT), pseudonym=other)
    assert await network.members(PSEUDONYM) == {KELA, SOTE}
    assert await network.members(other) == {TYP, SOTE}


async def test_unreachable_database_raises_store_unavailable() -> None:
    engine = create_database_engine(
        f"postgresql+asyncpg://postgres@127.0.0.1:{free_port('127.0.0.1')}/test"
    )
    network = CareNetwork(engine)
    try:
        with pytest.raises(StoreUnavailableError, match="care network"):
            await network.record(accepted(), pseudonym=PSEUDONYM)
        with pytest.raises(StoreUnavailableError, match="care network"):
            await network.members(PSEUDONYM)
    finally:
        await engine.dispose()
