"""Appending to the audit log on SQLite and PostgreSQL: gapless, chained, idempotent, serialised."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.embedded import free_port
from consent.audit import (
    GENESIS_HASH,
    AuditLog,
    AuditRecord,
    audit_chain_head,
    audit_records,
    chain_hash,
)
from consent.database import create_database_engine, run_transaction, upgrade_database
from consent.errors import (
    AuditChainBrokenError,
    EventIdTakenError,
    InvalidAuditEntryError,
    StoreUnavailableError,
)
from tests.broker.conditions import eventually
from tests.consent.audit.entries import (
    CLIENT,
    HOUR,
    JARJESTO,
    KELA,
    OTHER_PSEUDONYM,
    PSEUDONYM,
    T0,
    TYOLLISYYS,
    TYP,
    entry,
    execute,
    refusal,
)
from tests.consent.schema import schema_differences, upgrade_to

OUR_TABLES = {audit_records.name, audit_chain_head.name}
PROCESSES = 4
APPENDS_PER_PROCESS = 8


@pytest.fixture
async def engines(migrated_database_url: str) -> AsyncIterator[list[AsyncEngine]]:
    """One engine per simulated router process, each with its own connection pool."""
    engines = [create_database_engine(migrated_database_url) for _ in range(PROCESSES)]
    try:
        yield engines
    finally:
        for engine in engines:
            await engine.dispose()


async def all_records(log: AuditLog) -> list[AuditRecord]:
    return [record async for record in log.query()]


async def test_migration_creates_exactly_the_tables_of_the_audit_log(
    engine: AsyncEngine,
) -> None:
    assert await schema_differences(engine, OUR_TABLES) == []


async def test_an_events_records_are_found_through_an_index_of_the_migrated_table(
    tmp_path: Path,
) -> None:
    # The router looks up every event it routes: a scan would grow with the whole log. The
    # plan is read in SQLite's words; PostgreSQL plans by its statistics.
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    await upgrade_database(url)
    engine = create_database_engine(url)
    query = "EXPLAIN QUERY PLAN SELECT * FROM audit_records WHERE event_id IN ('a', 'b')"
    try:
        async with engine.connect() as connection:
            plan = [row[-1] for row in await connection.exec_driver_sql(query)]
    finally:
        await engine.dispose()
    assert plan
    assert not [step for step in plan if step.startswith("SCAN audit_records")]


async def test_append_assigns_gapless_sequence_numbers_and_chains_the_hashes(
    engine: AsyncEngine,
) -> None:
    log = AuditLog(engine)
    event = uuid.uuid4()
    first = await log.append(
        [entry(event_id=event, recipient=KELA), refusal(event_id=event, recipient=TYOLLISYYS)]
    )
    second = await log.append([entry(recipient=TYP, decided_at=T0 + HOUR)])

    records = [*first, *second]
    assert [record.sequence for record in records] == [1, 2, 3]
    assert records[0].previous_hash == GENESIS_HASH
    assert [record.previous_hash for record in records[1:]] == [r.hash for r in records[:-1]]
    assert all(record.matches_hash() for record in records)
    assert await all_records(log) == records


async def test_append_returns_one_record_per_entry_in_entry_order(engine: AsyncEngine) -> None:
    event = uuid.uuid4()
    entries = [entry(event_id=event, recipient=oid) for oid in (TYP, KELA, JARJESTO)]

    records = await AuditLog(engine).append(entries)

    assert [record.entry for record in records] == entries


async def test_append_of_a_recorded_decision_returns_the_record_on_file_and_adds_nothing(
    engine: AsyncEngine,
) -> None:
    log = AuditLog(engine)
    event = uuid.uuid4()
    [kept] = await log.append([entry(event_id=event, recipient=KELA, decision="permit")])

    # After a crash the router decides again, perhaps differently; the first decision holds.
    again = await log.append(
        [
            refusal(event_id=event, recipient=KELA, decided_at=T0 + HOUR),
            entry(event_id=event, recipient=TYOLLISYYS, decided_at=T0 + HOUR),
        ]
    )

    assert again[0] == kept
    assert again[1].sequence == 2
    assert await all_records(log) == [kept, again[1]]


async def test_the_routers_read_of_a_record_that_cannot_be_read_says_to_run_verify(
    sqlite_engine: AsyncEngine,
) -> None:
    # SQLite keeps any text in a time column; the router reads records in its transactions.
    decided = entry(recipient=KELA)
    await AuditLog(sqlite_engine).append([decided])
    await execute(sqlite_engine, "UPDATE audit_records SET decided_at = 'x'")

    with pytest.raises(AuditChainBrokenError, match="run `saattaja audit verify`"):
        await run_transaction(
            sqlite_engine,
            lambda connection: AuditLog.on_record_in(connection, {decided.event_id}),
        )


async def test_the_same_decision_twice_in_one_append_is_recorded_once(
    engine: AsyncEngine,
) -> None:
    log = AuditLog(engine)
    twice = entry(recipient=KELA)

    first, second = await log.append([twice, twice])

    assert first == second
    assert len(await all_records(log)) == 1


async def test_a_refused_transition_and_a_later_decision_on_the_event_are_both_recorded(
    engine: AsyncEngine,
) -> None:
    # An answer refused before its referral arrived, sent again and accepted once it had.
    log = AuditLog(engine)
    event = uuid.uuid4()
    refused = entry(event_id=event, decision="deny", reason="invalid-transition", basis=None)
    [first] = await log.append([refused])
    [permitted] = await log.append([entry(event_id=event, decided_at=T0 + HOUR)])
    [refused_again] = await log.append([dataclasses.replace(refused, decided_at=T0 + HOUR)])

    assert (permitted.decision, permitted.sequence) == ("permit", 2)
    assert refused_again == first
    assert await all_records(log) == [first, permitted]


async def test_decisions_under_an_event_id_on_record_for_another_client_are_refused(
    engine: AsyncEngine,
) -> None:
    # Another router process routed another event under this id moments before.
    log = AuditLog(engine)
    event = uuid.uuid4()
    [first] = await log.append([entry(event_id=event, recipient=KELA)])

    with pytest.raises(EventIdTakenError) as refused:
        await log.append(
            [
                entry(recipient=TYP),
                entry(event_id=event, recipient=TYOLLISYYS, client=OTHER_PSEUDONYM),
            ]
        )

    assert refused.value.holders == {event: PSEUDONYM}
    assert await all_records(log) == [first]


async def test_a_decision_for_a_handover_is_recorded_beside_the_events_own(
    engine: AsyncEngine,
) -> None:
    log = AuditLog(engine)
    event = uuid.uuid4()
    [own] = await log.append([refusal(event_id=event, recipient=KELA)])
    package = str(uuid.uuid4())

    [handed_over] = await log.append([entry(event_id=event, recipient=KELA, handover=package)])
    [again] = await log.append([refusal(event_id=event, recipient=KELA, handover=package)])

    assert (handed_over.decision, handed_over.handover) == ("permit", package)
    assert again == handed_over
    assert await all_records(log) == [own, handed_over]


def test_a_record_without_a_handover_hashes_as_records_made_before_handovers_existed() -> None:
    decision = entry()
    fields = decision.chain_fields(sequence=1, previous_hash=GENESIS_HASH)

    assert "handover" not in fields
    assert "handover" in entry(handover=str(uuid.uuid4())).chain_fields(
        sequence=1, previous_hash=GENESIS_HASH
    )


async def test_append_of_nothing_records_nothing(engine: AsyncEngine) -> None:
    log = AuditLog(engine)
    assert await log.append([]) == []
    assert (await log.verify()).checked == 0


async def test_concurrent_appends_from_several_processes_keep_one_valid_chain(
    engines: list[AsyncEngine],
) -> None:
    async def process(engine: AsyncEngine) -> None:
        log = AuditLog(engine)
        for _ in range(APPENDS_PER_PROCESS):
            event = uuid.uuid4()
            await log.append(
                [
                    entry(event_id=event, recipient=KELA),
                    refusal(event_id=event, recipient=TYOLLISYYS),
                ]
            )

    await asyncio.gather(*(process(engine) for engine in engines))

    log = AuditLog(engines[0])
    result = await log.verify()
    assert result.ok, result.describe()
    assert result.checked == PROCESSES * APPENDS_PER_PROCESS * 2
    records = await all_records(log)
    assert [record.sequence for record in records] == list(range(1, result.checked + 1))


async def test_concurrent_appends_of_the_same_decision_record_it_once(
    engines: list[AsyncEngine],
) -> None:
    same = entry(recipient=KELA)

    results = await asyncio.gather(*(AuditLog(engine).append([same]) for engine in engines))

    assert {records[0].sequence for records in results} == {1}
    assert len(await all_records(AuditLog(engines[0]))) == 1


@pytest.mark.postgres
async def test_an_append_that_waited_goes_on_where_the_database_defaults_to_repeatable_read(
    postgres_database_url: str,
) -> None:
    # A DBA's default_transaction_isolation must not change how appends take turns.
    await upgrade_database(postgres_database_url)
    database = make_url(postgres_database_url).database
    first, second = (create_database_engine(postgres_database_url) for _ in range(2))
    try:
        await execute(
            first,
            f"ALTER DATABASE \"{database}\" SET default_transaction_isolation = 'repeatable read'",
        )
        async with first.begin() as holder:
            await holder.run_sync(AuditLog.append_in, [entry(recipient=KELA)])
            waiting = asyncio.create_task(AuditLog(second).append([entry(recipient=TYP)]))
            await eventually(
                lambda: _waiting_for_a_lock(first),
                within=10,
                what="the second append waiting for the chain head",
            )
        [record] = await waiting

        assert record.sequence == 2
        assert (await AuditLog(first).verify()).ok
    finally:
        await first.dispose()
        await second.dispose()


async def _waiting_for_a_lock(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


async def test_record_hash_covers_its_place_in_the_chain() -> None:
    decision = entry()
    at_one = AuditRecord.chained(decision, sequence=1, previous_hash=GENESIS_HASH)
    at_two = AuditRecord.chained(decision, sequence=2, previous_hash=GENESIS_HASH)
    after_other = AuditRecord.chained(decision, sequence=1, previous_hash="f" * 64)

    assert len({at_one.hash, at_two.hash, after_other.hash}) == 3
    fields = decision.chain_fields(sequence=1, previous_hash=GENESIS_HASH)
    assert chain_hash(fields) == at_one.hash


def test_a_chained_record_is_the_record_its_fields_make_and_reads_back_as_its_entry() -> None:
    decision = entry(removed=("D-1",))
    chained = AuditRecord.chained(decision, sequence=3, previous_hash="a" * 64)

    assert chained == AuditRecord(
        **dataclasses.asdict(decision), sequence=3, previous_hash="a" * 64, hash=chained.hash
    )
    assert chained.entry == decision
    assert chained.matches_hash()


def test_a_record_cannot_be_chained_before_the_first_place_or_after_a_malformed_hash() -> None:
    with pytest.raises(InvalidAuditEntryError, match="below 1"):
        AuditRecord.chained(entry(), sequence=0, previous_hash=GENESIS_HASH)
    with pytest.raises(InvalidAuditEntryError, match="previous_hash"):
        AuditRecord.chained(entry(), sequence=1, previous_hash="not a hash")


def test_an_identity_code_is_refused_where_the_pseudonym_belongs() -> None:
    with pytest.raises(InvalidAuditEntryError, match="pseudonym"):
        entry(client=CLIENT)


async def test_unreachable_database_raises_store_unavailable() -> None:
    engine = create_database_engine(
        f"postgresql+asyncpg://postgres@127.0.0.1:{free_port('127.0.0.1')}/test"
    )
    log = AuditLog(engine)
    try:
        with pytest.raises(StoreUnavailableError, match="appending decisions"):
            await log.append([entry()])
        with pytest.raises(StoreUnavailableError, match="audit"):
            await log.verify()
        with pytest.raises(StoreUnavailableError, match="querying the audit log"):
            await all_records(log)
    finally:
        await engine.dispose()


async def test_records_appended_before_the_handover_column_verify_after_the_upgrade(
    database_url: str,
) -> None:
    engine = create_database_engine(database_url)
    try:
        await upgrade_to(engine, "0003_audit_log")
        earlier = [
            AuditRecord.chained(entry(recipient=KELA), sequence=1, previous_hash=GENESIS_HASH)
        ]
        earlier.append(
            AuditRecord.chained(refusal(recipient=TYP), sequence=2, previous_hash=earlier[0].hash)
        )
        async with engine.begin() as connection:
            for record in earlier:
                fields = dict(
                    record.chain_fields(
                        sequence=record.sequence, previous_hash=record.previous_hash
                    )
                )
                fields["decided_at"] = record.decided_at
                await connection.execute(audit_records.insert().values(**fields, hash=record.hash))
            await connection.execute(
                audit_chain_head.update().values(sequence=2, hash=earlier[1].hash)
            )
        await upgrade_to(engine, "heads")

        log = AuditLog(engine)
        later = await log.append([entry(recipient=KELA, handover=str(uuid.uuid4()))])

        assert (await log.verify()).ok
        assert [record.handover for record in await all_records(log)] == ["", "", later[0].handover]
    finally:
        await engine.dispose()
