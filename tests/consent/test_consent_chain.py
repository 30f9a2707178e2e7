"""The consent history is hash-chained: verify finds a version changed, removed or moved."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.audit import GENESIS_HASH, ChainAnchor, ChainProblemKind, chain_hash
from consent.database import create_database_engine, upgrade_database
from consent.errors import AuditChainBrokenError, InvalidAuditEntryError
from consent.store import (
    AppliedConsents,
    ConsentHistoryFilter,
    ConsentStore,
    consent_chain_fields,
    consent_chain_head,
    consent_versions,
)
from schemas import ConsentGranted, ConsentRevoked, ConsentRule, DataCategory
from tests.consent.audit.entries import execute
from tests.consent.builders import (
    DAY,
    KELA,
    PSEUDONYM,
    PSEUDONYMS,
    T0,
    TYOLLISYYS,
    grant,
    refusal,
    revocation,
)
from tests.consent.schema import downgrade_to, upgrade_to

OTHER_PSEUDONYM = PSEUDONYMS.pseudonym("240795-934S")


HISTORY: Final[tuple[ConsentGranted | ConsentRevoked, ...]] = (
    grant("C-1", valid_until=T0 + 30 * DAY),
    refusal("K-1", ConsentRule(categories=(DataCategory.ASSESSMENT_HEALTH,))),
    revocation("C-1", sender=KELA),
)
"""A grant, a refusal beside it, and the grant revoked at another organisation."""


@pytest.fixture
async def store(engine: AsyncEngine) -> ConsentStore:
    """A store holding ``HISTORY`` for one client: versions 1-3."""
    store = ConsentStore(engine)
    await store.apply_all([(event, PSEUDONYM) for event in HISTORY], applied_at=T0)
    return store


async def stored_rows(engine: AsyncEngine) -> list[sa.RowMapping]:
    async with engine.connect() as connection:
        query = sa.select(consent_versions).order_by(consent_versions.c.sequence)
        return list((await connection.execute(query)).mappings().all())


async def chain_head(engine: AsyncEngine) -> tuple[int, str]:
    async with engine.connect() as connection:
        query = sa.select(consent_chain_head.c.sequence, consent_chain_head.c.hash)
        sequence, digest = (await connection.execute(query)).one()
    return sequence, digest


async def test_each_version_is_chained_to_the_one_recorded_before_it(
    engine: AsyncEngine, store: ConsentStore
) -> None:
    rows = await stored_rows(engine)

    assert [row["sequence"] for row in rows] == [1, 2, 3]
    links = [row["previous_hash"] for row in rows]
    assert links == [GENESIS_HASH, rows[0]["hash"], rows[1]["hash"]]
    assert all(row["hash"] == chain_hash(consent_chain_fields(row)) for row in rows)
    assert await chain_head(engine) == (3, rows[2]["hash"])


async def test_verify_of_an_empty_history_is_ok(engine: AsyncEngine) -> None:
    result = await ConsentStore(engine).verify()

    assert result.ok
    assert (result.checked, result.last_hash, result.anchor) == (0, GENESIS_HASH, None)
    assert result.describe() == "consent history whole: 0 records"


async def test_verify_of_an_untouched_history_is_ok_and_gives_its_last_version_as_anchor(
    engine: AsyncEngine, store: ConsentStore
) -> None:
    result = await store.verify(batch_size=2)  # several pages

    assert result.ok
    assert result.describe() == "consent history whole: 3 records"
    assert result.anchor == ChainAnchor(3, (await stored_rows(engine))[2]["hash"])


async def test_applying_the_same_events_again_leaves_the_chain_as_it_was(
    engine: AsyncEngine, store: ConsentStore
) -> None:
    head = await chain_head(engine)

    applied = await store.apply_all([(event, PSEUDONYM) for event in HISTORY], applied_at=T0)

    assert applied == AppliedConsents(recorded=0)
    assert await chain_head(engine) == head
    assert (await store.verify()).ok


async def test_verify_finds_a_consent_lengthened_behind_the_stores_back(
    engine: AsyncEngine, store: ConsentStore
) -> None:
    await execute(
        engine, "UPDATE consent_versions SET valid_until = :until WHERE sequence = 1", until=T0
    )

    result = await store.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (1, ChainProblemKind.ALTERED)
    assert result.describe().startswith("consent history broken at record 1 (altered)")


@pytest.fixture
async def tampered_store(tmp_path: Path) -> AsyncIterator[ConsentStore]:
    """``HISTORY`` in a SQLite file, version 2's applied time changed to text that is no time.

    SQLite keeps any text in a time column; PostgreSQL refuses it on the update.
    """
    url = f"sqlite+aiosqlite:///{tmp_path / 'saattaja.db'}"
    await upgrade_database(url)
    engine = create_database_engine(url)
    try:
        store = ConsentStore(engine)
        await store.apply_all([(event, PSEUDONYM) for event in HISTORY], applied_at=T0)
        await execute(engine, "UPDATE consent_versions SET applied_at = 'x' WHERE sequence = 2")
        yield store
    finally:
        await engine.dispose()


async def test_verify_names_a_version_whose_changed_time_cannot_be_read(
    tampered_store: ConsentStore,
) -> None:
    result = await tampered_store.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (2, ChainProblemKind.ALTERED)
    assert "its applied_at cannot be read" in result.problem.detail


async def test_the_history_with_a_version_that_cannot_be_read_says_to_run_verify(
    tampered_store: ConsentStore,
) -> None:
    with pytest.raises(AuditChainBrokenError, match="run `saattaja audit verify`"):
        [version async for version in tampered_store.recorded()]


async def test_a_clients_consents_with_a_version_that_cannot_be_read_say_to_run_verify(
    tampered_store: ConsentStore,
) -> None:
    with pytest.raises(AuditChainBrokenError, match="run `saattaja audit verify`"):
        await tampered_store.consents_for(PSEUDONYM)


async def test_the_routers_read_of_a_version_that_cannot_be_read_says_to_run_verify(
    tampered_store: ConsentStore,
) -> None:
    # Never read as no consent, nor as a consent: routing waits until it is put right.
    with pytest.raises(AuditChainBrokenError, match="run `saattaja audit verify`"):
        await tampered_store.consents_of({PSEUDONYM})


async def test_verify_finds_a_refusal_widened_behind_the_stores_back(
    engine: AsyncEngine, store: ConsentStore
) -> None:
    await execute(
        engine, "UPDATE consent_versions SET scope = :scope WHERE sequence = 2", scope="{}"
    )

    result = await store.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (2, ChainProblemKind.ALTERED)


async def test_verify_finds_a_revocation_moved_to_another_organisation(
    engine: AsyncEngine, store: ConsentStore
) -> None:
    await execute(
        engine,
        "UPDATE consent_versions SET recorded_by = :other WHERE sequence = 3",
        other=TYOLLISYYS,
    )

    result = await store.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (3, ChainProblemKind.ALTERED)


async def test_verify_finds_a_version_removed_from_the_middle(
    engine: AsyncEngine, store: ConsentStore
) -> None:
    await execute(engine, "DELETE FROM consent_versions WHERE sequence = 2")

    result = await store.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (3, ChainProblemKind.REORDERED)
    assert "is not the hash of record 1" in result.problem.detail
    assert result.checked == 1


async def test_verify_finds_the_revocation_removed_from_the_end(
    engine: AsyncEngine, store: ConsentStore
) -> None:
    await execute(engine, "DELETE FROM consent_versions WHERE sequence = 3")

    result = await store.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (3, ChainProblemKind.DELETED)
    assert "record 3 was appended last" in result.problem.detail


async def test_an_anchor_finds_the_revocation_cut_and_the_head_rewound(
    engine: AsyncEngine, store: ConsentStore
) -> None:
    noted = (await store.verify()).anchor
    assert noted is not None
    second = (await stored_rows(engine))[1]["hash"]
    await execute(
        engine,
        "DELETE FROM consent_versions WHERE sequence = 3",
        "UPDATE consent_chain_head SET sequence = 2, hash = :second",
        second=second,
    )

    assert (await store.verify()).ok  # the limit of the chain alone
    result = await store.verify(anchors=[noted])

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (3, ChainProblemKind.DELETED)


async def test_an_anchor_finds_its_version_removed_and_the_chain_hashed_anew(
    engine: AsyncEngine, store: ConsentStore
) -> None:
    rows = await stored_rows(engine)
    noted = ChainAnchor(2, rows[1]["hash"])
    # Version 2 removed; version 3 relinked to version 1 and hashed again, head to match.
    relinked = dict(rows[2]) | {"previous_hash": rows[0]["hash"]}
    digest = chain_hash(consent_chain_fields(relinked))
    await execute(
        engine,
        "DELETE FROM consent_versions WHERE sequence = 2",
        "UPDATE consent_versions SET previous_hash = :link, hash = :digest WHERE sequence = 3",
        "UPDATE consent_chain_head SET hash = :digest",
        link=rows[0]["hash"],
        digest=digest,
    )

    assert (await store.verify()).ok  # the limit of the chain alone
    result = await store.verify(anchors=[noted])

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (2, ChainProblemKind.DELETED)


async def test_an_anchor_removed_counts_only_the_versions_before_it_as_matching(
    engine: AsyncEngine, store: ConsentStore
) -> None:
    rows = await stored_rows(engine)
    noted = ChainAnchor(2, rows[1]["hash"])
    relinked = dict(rows[2]) | {"previous_hash": rows[0]["hash"]}
    digest = chain_hash(consent_chain_fields(relinked))
    await execute(
        engine,
        "DELETE FROM consent_versions WHERE sequence = 2",
        "UPDATE consent_versions SET previous_hash = :link, hash = :digest WHERE sequence = 3",
        "UPDATE consent_chain_head SET hash = :digest",
        link=rows[0]["hash"],
        digest=digest,
    )

    result = await store.verify(anchors=[noted])

    # Version 3, after it, was hashed anew: matching the chain, it proves nothing.
    assert result.checked == 1
    assert result.describe().endswith("; the 1 record before it matches")


async def test_versions_recorded_by_several_processes_at_once_form_one_chain(
    migrated_database_url: str,
) -> None:
    engines = [create_database_engine(migrated_database_url) for _ in range(3)]

    async def process(engine: AsyncEngine, number: int) -> None:
        store = ConsentStore(engine)
        for round_ in range(5):
            consent_id = f"C-{number}-{round_}"
            events: list[ConsentGranted | ConsentRevoked] = [
                grant(consent_id),
                revocation(consent_id),
            ]
            await store.apply_all([(event, OTHER_PSEUDONYM) for event in events], applied_at=T0)

    try:
        await asyncio.gather(*(process(engine, n) for n, engine in enumerate(engines)))

        result = await ConsentStore(engines[0]).verify()
        assert result.ok, result.describe()
        assert result.checked == 3 * 5 * 2
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.fixture
async def older_database(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A database as the version before the chain left it: three versions, a sequence skipped."""
    engine = create_database_engine(database_url)
    try:
        await upgrade_to(engine, "heads")
        await ConsentStore(engine).apply_all(
            [(event, PSEUDONYM) for event in HISTORY], applied_at=T0
        )
        await downgrade_to(engine, "0002_consent_store")  # before the chain
        # PostgreSQL's sequences skip the numbers of transactions rolled back.
        await execute(engine, "UPDATE consent_versions SET sequence = 5 WHERE sequence = 3")
        yield engine
    finally:
        await engine.dispose()


async def test_the_upgrade_chains_the_versions_recorded_before_it(
    older_database: AsyncEngine,
) -> None:
    await upgrade_to(older_database, "heads")
    store = ConsentStore(older_database)

    before = await store.verify()
    await store.apply(grant("C-2"), pseudonym=PSEUDONYM, applied_at=T0 + DAY)
    after = await store.verify()

    assert before.ok, before.describe()
    assert (before.checked, await _sequences(older_database)) == (3, [1, 2, 5, 6])
    assert after.ok, after.describe()
    assert after.checked == 4
    assert [type(v).__name__ for v in await store.history(PSEUDONYM)] == [
        "ConsentGrant",
        "ConsentGrant",
        "ConsentRevocation",
        "ConsentGrant",
    ]


async def _sequences(engine: AsyncEngine) -> list[int]:
    return [row["sequence"] for row in await stored_rows(engine)]


async def test_after_a_downgrade_the_database_numbers_the_next_version_after_the_last(
    engine: AsyncEngine, store: ConsentStore
) -> None:
    await downgrade_to(engine, "0002_consent_store")  # before the chain
    added_later = ("sequence", "previous_hash", "hash", "content_digest")  # by 0007 and 0010
    columns = [sa.column(c.name, c.type) for c in consent_versions.c if c.name not in added_later]
    before = sa.table("consent_versions", *columns, sa.column("sequence"))

    async with engine.begin() as connection:  # as the store wrote before the chain
        row = (await connection.execute(sa.select(*columns).select_from(before))).mappings().first()
        assert row is not None
        await connection.execute(sa.insert(before), [dict(row) | {"event_id": "later"}])
        numbers = await connection.execute(sa.select(before.c.sequence).order_by("sequence"))

        assert list(numbers.scalars()) == [1, 2, 3, 4]


async def test_the_history_read_for_an_auditor_is_filtered_by_time_and_client(
    store: ConsentStore,
) -> None:
    await store.apply(
        grant("C-9", client="240795-934S"), pseudonym=OTHER_PSEUDONYM, applied_at=T0 + DAY
    )

    later = [v async for v in store.recorded(ConsentHistoryFilter(since=T0 + DAY))]
    theirs = [v async for v in store.recorded(ConsentHistoryFilter(client=PSEUDONYM))]

    assert [version.fields["consent_id"] for version in later] == ["C-9"]
    assert [version.fields["sequence"] for version in theirs] == [1, 2, 3]


@pytest.mark.parametrize(
    "wrong",
    [
        {"client": "150388-9127"},  # an identity code, never in the store
        {"since": T0.replace(tzinfo=None)},
        {"action": "withdrawn"},
    ],
)
def test_a_history_filter_that_cannot_match_is_refused(wrong: dict[str, object]) -> None:
    with pytest.raises(InvalidAuditEntryError, match="consent history filter"):
        ConsentHistoryFilter(**wrong)  # type: ignore[arg-type]
