"""The pathway store on SQLite and PostgreSQL: what a wave writes is what the next one reads."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import broker.pathway.tables
from broker.errors import ReferralIdTakenError, UnreadablePathwayError
from broker.pathway import (
    ClientPathway,
    HandoverFact,
    HintFact,
    PathwayChanges,
    PathwayStore,
    Referral,
    ReferralClaim,
    ReferralState,
    escalate,
    referral_slot,
)
from consent.database import create_database_engine, run_transaction, upgrade_database
from schemas import DataCategory, DocumentPart, Event, PlanBasis, ProfessionalAssessment
from tests.consent.audit.entries import execute
from tests.consent.schema import schema_differences, upgrade_to
from tests.pathway.builders import (
    CLOCK,
    DAY,
    HOUR,
    KELA,
    PSEUDONYM,
    SOTE,
    T0,
    TYOLLISYYS,
    TYP,
    Walk,
    accepted,
    assessment,
    case_manager,
    episode_closed,
    plan,
    record,
    rejected,
    requested,
)

PATHWAY_TABLES = {
    getattr(broker.pathway.tables, name).name for name in broker.pathway.tables.__all__
}
REFERRAL_SLOT = referral_slot(SOTE, "R-1")
HINT_ID = uuid.UUID(int=1)
HANDOVER_ID = uuid.UUID(int=2)


@pytest.fixture
def store(engine: AsyncEngine) -> PathwayStore:
    return PathwayStore(engine)


async def loaded(store: PathwayStore, client: str = PSEUDONYM) -> ClientPathway:
    pathways, _ = await store.load([client], [])
    return pathways[client]


async def saved_request(store: PathwayStore) -> Referral:
    """R-1 from the health centre to Kela, saved unanswered."""
    walk = Walk().through(requested())
    await store.save(walk.changes)
    return walk.pathway.referrals[(SOTE, "R-1")]


async def rows(engine: AsyncEngine, table: sa.Table) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(sa.select(sa.func.count()).select_from(table))
    assert count is not None
    return count


async def test_migration_creates_exactly_the_tables_of_the_pathway(engine: AsyncEngine) -> None:
    assert await schema_differences(engine, PATHWAY_TABLES) == []


async def test_saved_referrals_load_back(store: PathwayStore) -> None:
    walk = Walk().through(
        requested(),
        accepted(),
        requested("R-2", receiver=TYOLLISYYS),
        rejected("R-2", by=TYOLLISYYS, reason="Ei asiakkaaksi"),
        requested("R-3", receiver=TYP),
    )
    await store.save(walk.changes)
    assert (await loaded(store)).referrals == walk.pathway.referrals


async def test_saved_documents_load_back_without_their_records(store: PathwayStore) -> None:
    walk = Walk().through(assessment("A-1"), plan(), requested())
    await store.save(walk.changes)
    expected = {
        slot: dataclasses.replace(document, record=None)
        for slot, document in walk.pathway.documents.items()
    }
    assert (await loaded(store)).documents == expected


PLAN_SLOT = f"plan/{TYP}/P-1"


def plan_resting_on_a_health_check() -> Event:
    """The TYP's plan carrying the health centre's check A-1."""
    check = assessment("A-1").assessment
    assert isinstance(check, ProfessionalAssessment)
    basis = PlanBasis(assessment_id="A-1", recorded_by=SOTE, recorded_at=T0, assessment=check)
    return plan().model_copy(update={"basis": (basis,)})


async def test_a_kept_plan_keeps_who_recorded_each_supporting_assessment(
    store: PathwayStore,
) -> None:
    # A handover decides the health centre's check inside the TYP's plan as its data too.
    await store.save(Walk().through(plan_resting_on_a_health_check()).changes)
    kept = (await loaded(store)).documents[PLAN_SLOT]
    assert kept.parts == (DocumentPart("A-1", DataCategory.ASSESSMENT_HEALTH, recorded_by=SOTE),)


async def test_a_part_kept_before_its_custodian_was_reads_as_the_senders(
    sqlite_engine: AsyncEngine,
) -> None:
    store = PathwayStore(sqlite_engine)
    await store.save(Walk().through(plan_resting_on_a_health_check()).changes)
    await execute(
        sqlite_engine,
        """UPDATE pathway_documents SET parts = '[["A-1", "assessment:health"]]'"""
        " WHERE slot = :slot",
        slot=PLAN_SLOT,
    )
    kept = (await loaded(store)).documents[PLAN_SLOT]
    assert kept.parts == (DocumentPart("A-1", DataCategory.ASSESSMENT_HEALTH),)


async def test_a_document_keeps_its_record_bytes_and_headers(store: PathwayStore) -> None:
    check = assessment("A-1")
    await store.save(Walk().through(check).changes)
    slot = f"assessment/terveystarkastus/{SOTE}"
    kept = (await store.records([(PSEUDONYM, slot)]))[(PSEUDONYM, slot)]
    sent = record(check)
    assert kept.key == sent.key
    assert kept.value == sent.value
    assert kept.headers == sent.headers


async def test_records_of_emptied_slots_are_left_out(store: PathwayStore) -> None:
    await store.save(Walk().through(requested()).changes)
    await store.save(PathwayChanges(documents={(PSEUDONYM, REFERRAL_SLOT): None}))
    assert await store.records([(PSEUDONYM, REFERRAL_SLOT)]) == {}


async def test_one_document_is_read_by_its_slot(store: PathwayStore) -> None:
    walk = Walk().through(assessment("A-1"), requested())
    await store.save(walk.changes)
    assert await store.document(PSEUDONYM, REFERRAL_SLOT) == walk.pathway.documents[REFERRAL_SLOT]


async def test_an_emptied_slot_is_deleted(store: PathwayStore) -> None:
    await store.save(Walk().through(requested()).changes)
    await store.save(PathwayChanges(documents={(PSEUDONYM, REFERRAL_SLOT): None}))
    assert await store.document(PSEUDONYM, REFERRAL_SLOT) is None


async def test_a_saved_case_manager_loads_back(store: PathwayStore) -> None:
    walk = Walk().through(case_manager(team=(KELA,)))
    await store.save(walk.changes)
    assert (await loaded(store)).case_manager == walk.pathway.case_manager


async def test_a_cleared_case_manager_is_gone(store: PathwayStore) -> None:
    await store.save(Walk().through(case_manager()).changes)
    await store.save(PathwayChanges(case_managers={PSEUDONYM: None}))
    assert (await loaded(store)).case_manager is None


async def test_only_the_clients_asked_for_are_loaded(store: PathwayStore) -> None:
    await store.save(Walk().through(requested(), case_manager()).changes)
    other = await loaded(store, "another-client")
    assert (other.referrals, other.documents, other.case_manager) == ({}, {}, None)


async def test_referrals_are_read_by_their_keys_whichever_their_client(
    store: PathwayStore,
) -> None:
    first = await saved_request(store)
    theirs = Walk(pathway=ClientPathway("another-client")).through(requested("R-2"))
    await store.save(theirs.changes)
    found = await store.referrals([(SOTE, "R-1"), (SOTE, "R-2"), (SOTE, "R-none")])
    assert found == {(SOTE, "R-1"): first, (SOTE, "R-2"): theirs.pathway.referrals[(SOTE, "R-2")]}


async def test_a_referral_saved_for_another_client_under_a_used_key_never_replaces_it(
    store: PathwayStore,
) -> None:
    first = await saved_request(store)
    theirs = Walk(pathway=ClientPathway("another-client")).through(requested(receiver=TYP))
    await store.save(theirs.changes)
    assert await store.referrals([(SOTE, "R-1")]) == {(SOTE, "R-1"): first}
    assert (await loaded(store, "another-client")).referrals == {}


def claim(client: str = PSEUDONYM, referral_id: str = "R-1") -> ReferralClaim:
    return ReferralClaim(SOTE, referral_id, client, uuid.uuid4())


async def claimed(engine: AsyncEngine, *claims: ReferralClaim) -> None:
    await run_transaction(engine, lambda connection: PathwayStore.claim_in(connection, claims))


async def test_a_referral_id_claimed_again_for_the_same_client_stands(engine: AsyncEngine) -> None:
    first = claim()
    await claimed(engine, first)
    await claimed(engine, replace(first, requested_event_id=uuid.uuid4()))
    assert await rows(engine, broker.pathway.tables.pathway_referral_claims) == 1


async def test_a_referral_id_claimed_for_another_client_is_refused_naming_the_first_claim(
    engine: AsyncEngine,
) -> None:
    first = claim()
    await claimed(engine, first, claim(referral_id="R-2"))
    with pytest.raises(ReferralIdTakenError) as raised:
        await claimed(engine, claim("another-client"), claim("another-client", "R-3"))
    assert raised.value.claims == {first.key: first}


async def test_a_refused_claim_claims_none_of_the_ids_asked_for_with_it(
    engine: AsyncEngine,
) -> None:
    await claimed(engine, claim())
    with pytest.raises(ReferralIdTakenError):
        await claimed(engine, claim("another-client", "R-3"), claim("another-client"))
    await claimed(engine, claim("third-client", "R-3"))  # R-3 is still free


async def test_the_migration_claims_the_ids_of_the_referrals_stored_before_it(
    database_url: str,
) -> None:
    engine = create_database_engine(database_url)
    try:
        await upgrade_to(engine, "0009_pathway_event_digest")
        first = await saved_request(PathwayStore(engine))
        await upgrade_to(engine, "heads")
        with pytest.raises(ReferralIdTakenError) as raised:
            await claimed(engine, claim("another-client"))
    finally:
        await engine.dispose()
    assert raised.value.claims == {first.key: first.claim}


async def test_applied_events_load_back_with_their_refusal_reasons(store: PathwayStore) -> None:
    walk = Walk()
    request, unknown_answer = requested(), accepted("R-9")
    walk.apply(request)
    reason = walk.apply(unknown_answer).refused
    assert reason is not None
    await store.save(walk.changes)
    not_seen = accepted().event_id
    _, applied = await store.load(
        [PSEUDONYM], [request.event_id, unknown_answer.event_id, not_seen]
    )
    assert {event_id: event.refused for event_id, event in applied.items()} == {
        request.event_id: None,
        unknown_answer.event_id: reason,
    }


async def test_facts_are_written_once_when_saved_twice(
    store: PathwayStore, engine: AsyncEngine
) -> None:
    walk = Walk().through(
        assessment("A-1"), assessment("KELA-A-1", sender=KELA, at=T0 + DAY), episode_closed()
    )
    hint = HintFact(
        event_id=HINT_ID,
        client=PSEUDONYM,
        recipient=KELA,
        assessment_event_id=walk.changes.assessments[0].event_id,
        kind="terveystarkastus",
        moment="after-assessing",
        sent_at=T0 + DAY,
    )
    handover = HandoverFact(
        event_id=HANDOVER_ID,
        client=PSEUDONYM,
        sender=SOTE,
        recipient=KELA,
        trigger="referral-accepted",
        items=2,
        handed_over_at=T0 + DAY,
    )
    for _ in range(2):
        await store.save(walk.changes, [hint], [handover])
    tables = broker.pathway.tables
    counts = [
        await rows(engine, table)
        for table in (
            tables.pathway_assessments,
            tables.pathway_episodes,
            tables.pathway_hints,
            tables.pathway_handovers,
        )
    ]
    assert counts == [2, 1, 1, 1]


class _UndoneError(Exception):
    """Raised by work after its save, to undo the transaction."""


async def test_a_save_inside_a_transaction_that_fails_is_undone_with_it(
    store: PathwayStore, engine: AsyncEngine
) -> None:
    def save_then_fail(connection: Connection) -> None:
        store.save_in(connection, Walk().through(requested()).changes)
        raise _UndoneError

    with pytest.raises(_UndoneError):
        await run_transaction(engine, save_then_fail)
    assert (await loaded(store)).referrals == {}


async def _escalated(
    engine: AsyncEngine, before: Referral, after: Referral, *, remove_slot: str | None = None
) -> bool:
    return await run_transaction(
        engine,
        lambda connection: PathwayStore.escalated_in(
            connection, before, after, remove_slot=remove_slot
        ),
    )


async def test_an_unanswered_referral_is_due_at_its_next_escalation(store: PathwayStore) -> None:
    referral = await saved_request(store)
    assert await store.due_referrals(referral.due_at, limit=10) == [referral]


async def test_an_unanswered_referral_is_not_due_before_its_next_escalation(
    store: PathwayStore,
) -> None:
    referral = await saved_request(store)
    assert await store.due_referrals(referral.due_at - HOUR, limit=10) == []


async def test_an_unanswered_referral_is_due_at_its_expiry(store: PathwayStore) -> None:
    walk = Walk().through(requested())
    referral = walk.pathway.referrals[(SOTE, "R-1")]
    late = replace(referral, next_escalation_at=referral.expires_at + DAY)
    await store.save(PathwayChanges(referrals={late.key: late}))
    assert await store.due_referrals(referral.expires_at, limit=10) == [late]


async def test_an_accepted_referral_is_never_due(store: PathwayStore) -> None:
    walk = Walk().through(requested(), accepted())
    await store.save(walk.changes)
    referral = walk.pathway.referrals[(SOTE, "R-1")]
    assert await store.due_referrals(referral.expires_at + DAY, limit=10) == []


async def test_due_referrals_come_at_most_limit_at_a_time(store: PathwayStore) -> None:
    walk = Walk().through(requested("R-1"), requested("R-2", at=T0 + HOUR))
    await store.save(walk.changes)
    due = await store.due_referrals(T0 + 30 * DAY, limit=1)
    assert [referral.referral_id for referral in due] == ["R-1"]


async def test_due_referrals_page_on_from_the_key_after_the_last_one_read(
    store: PathwayStore,
) -> None:
    walk = Walk().through(requested("R-1"), requested("R-2"), requested("R-3"))
    await store.save(walk.changes)
    now = T0 + 30 * DAY

    pages = [await store.due_referrals(now, limit=2)]
    pages.append(await store.due_referrals(now, limit=2, after=pages[0][-1].key))

    assert [[referral.referral_id for referral in page] for page in pages] == [
        ["R-1", "R-2"],
        ["R-3"],
    ]


async def test_an_escalation_moves_the_referral_from_the_state_it_was_read_in(
    store: PathwayStore, engine: AsyncEngine
) -> None:
    referral = await saved_request(store)
    step = escalate(referral, referral.due_at, CLOCK)
    assert step is not None
    moved = await _escalated(engine, referral, step.referral)
    assert moved
    assert (await loaded(store)).referrals[referral.key] == step.referral


async def test_an_escalation_from_a_stale_state_changes_nothing(
    store: PathwayStore, engine: AsyncEngine
) -> None:
    referral = await saved_request(store)
    step = escalate(referral, referral.due_at, CLOCK)
    assert step is not None
    await _escalated(engine, referral, step.referral)
    stale = replace(step.referral, escalations=2)
    moved = await _escalated(engine, referral, stale)
    assert not moved
    assert (await loaded(store)).referrals[referral.key].escalations == 1


async def test_an_expiry_removes_the_referral_document(
    store: PathwayStore, engine: AsyncEngine
) -> None:
    referral = await saved_request(store)
    step = escalate(referral, referral.expires_at, CLOCK)
    assert step is not None
    await _escalated(engine, referral, step.referral, remove_slot=REFERRAL_SLOT)
    assert (await loaded(store)).referrals[referral.key].state is ReferralState.EXPIRED
    assert await store.document(PSEUDONYM, REFERRAL_SLOT) is None


async def test_a_stale_expiry_leaves_the_referral_document(
    store: PathwayStore, engine: AsyncEngine
) -> None:
    referral = await saved_request(store)
    stale = replace(referral, escalations=3)
    step = escalate(stale, referral.expires_at, CLOCK)
    assert step is not None
    moved = await _escalated(engine, stale, step.referral, remove_slot=REFERRAL_SLOT)
    assert not moved
    assert await store.document(PSEUDONYM, REFERRAL_SLOT) is not None


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """R-1 saved unanswered in a SQLite file, whose time and JSON columns keep any text."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'saattaja.db'}"
    await upgrade_database(url)
    engine = create_database_engine(url)
    try:
        await saved_request(PathwayStore(engine))
        yield engine
    finally:
        await engine.dispose()


_READS: dict[str, Callable[[PathwayStore], Awaitable[object]]] = {
    "load": loaded,
    "referrals": lambda store: store.referrals([(SOTE, "R-1")]),
    "due_referrals": lambda store: store.due_referrals(T0 + 1000 * DAY, 10),
    "records": lambda store: store.records([(PSEUDONYM, REFERRAL_SLOT)]),
    "document": lambda store: store.document(PSEUDONYM, REFERRAL_SLOT),
}
_CHANGES = {
    "load": "UPDATE pathway_referrals SET due_at = 'x'",
    "referrals": "UPDATE pathway_referrals SET due_at = 'x'",
    "due_referrals": "UPDATE pathway_referrals SET due_at = 'x'",
    "records": "UPDATE pathway_documents SET record_headers = 'x'",
    "document": "UPDATE pathway_documents SET parts = 'x'",
}


@pytest.mark.parametrize("read", sorted(_READS))
async def test_a_value_changed_by_hand_that_cannot_be_read_back_is_refused_saying_so(
    sqlite_engine: AsyncEngine, read: str
) -> None:
    # The router waits on this error, failing closed, rather than logging a ValueError.
    await execute(sqlite_engine, _CHANGES[read])

    with pytest.raises(UnreadablePathwayError, match="put the value back as it was"):
        await _READS[read](PathwayStore(sqlite_engine))
