"""verify finds any record changed, removed or moved behind the log's back, and names it."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.audit import (
    GENESIS_HASH,
    AuditLog,
    ChainAnchor,
    ChainProblemKind,
    canonical_encoding,
)
from consent.errors import AuditChainBrokenError
from tests.consent.audit.entries import (
    HOUR,
    KELA,
    T0,
    TYOLLISYYS,
    cut_after,
    entry,
    execute,
    refusal,
)

RECORDS = 5


@pytest.fixture
async def log(engine: AsyncEngine) -> AuditLog:
    """A log of five records: permits and refusals of two events and more."""
    log = AuditLog(engine)
    for number in range(RECORDS):
        at = T0 + number * HOUR
        if number % 2:
            await log.append([refusal(recipient=TYOLLISYYS, decided_at=at)])
        else:
            await log.append([entry(recipient=KELA, decided_at=at, removed=("EKHVA-TT-1",))])
    return log


async def test_verify_of_an_empty_log_is_ok(engine: AsyncEngine) -> None:
    result = await AuditLog(engine).verify()

    assert result.ok
    assert (result.checked, result.last_hash) == (0, GENESIS_HASH)
    assert result.describe() == "audit chain whole: 0 records"


async def test_verify_of_an_untouched_log_is_ok(log: AuditLog) -> None:
    result = await log.verify(batch_size=2)  # several pages

    assert result.ok
    assert result.checked == RECORDS
    assert result.describe() == f"audit chain whole: {RECORDS} records"


async def test_verify_finds_a_changed_field_and_names_the_record(
    engine: AsyncEngine, log: AuditLog
) -> None:
    await execute(engine, "UPDATE audit_records SET decision = 'permit' WHERE sequence = 2")

    result = await log.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (2, ChainProblemKind.ALTERED)
    assert result.checked == 1


async def test_a_chain_broken_at_its_first_record_says_so_and_counts_no_record_before(
    engine: AsyncEngine, log: AuditLog
) -> None:
    await execute(engine, "UPDATE audit_records SET decision = 'deny' WHERE sequence = 1")

    result = await log.verify()

    assert result.describe().endswith("; it is the first record")


async def test_a_chain_of_one_record_is_one_record_whole(engine: AsyncEngine) -> None:
    log = AuditLog(engine)
    await log.append([entry(recipient=KELA)])

    assert (await log.verify()).describe() == "audit chain whole: 1 record"


async def test_verify_finds_a_changed_time(engine: AsyncEngine, log: AuditLog) -> None:
    # One microsecond is enough: the hash covers the time to the microsecond.
    changed = T0 + 3 * HOUR + timedelta(microseconds=1)
    await execute(
        engine, "UPDATE audit_records SET decided_at = :at WHERE sequence = 4", at=changed
    )

    result = await log.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (4, ChainProblemKind.ALTERED)


@pytest.mark.parametrize(
    ("column", "change"),
    [
        ("decided_at", "UPDATE audit_records SET decided_at = 'not a time' WHERE sequence = 4"),
        ("removed", "UPDATE audit_records SET removed = '{' WHERE sequence = 4"),
    ],
)
async def test_verify_names_a_record_whose_changed_value_cannot_be_read(
    sqlite_engine: AsyncEngine, column: str, change: str
) -> None:
    log = AuditLog(sqlite_engine)
    for number in range(RECORDS):
        await log.append([entry(recipient=KELA, decided_at=T0 + number * HOUR)])
    await execute(sqlite_engine, change)

    result = await log.verify(batch_size=2)

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (4, ChainProblemKind.ALTERED)
    assert f"its {column} cannot be read" in result.problem.detail
    assert result.checked == 3


async def test_verify_refuses_a_chain_head_whose_sequence_was_changed_to_text(
    sqlite_engine: AsyncEngine,
) -> None:
    log = AuditLog(sqlite_engine)
    await log.append([entry(recipient=KELA)])
    await execute(sqlite_engine, "UPDATE audit_chain_head SET sequence = 'x'")

    with pytest.raises(AuditChainBrokenError, match="not a whole number: the database was tamp"):
        await log.verify()


async def test_a_chain_head_that_cannot_be_read_says_to_restore_and_check_with_the_anchors(
    sqlite_engine: AsyncEngine,
) -> None:
    # Verify cannot walk the chain without its head, so it cannot be what the error sends to.
    log = AuditLog(sqlite_engine)
    await log.append([entry(recipient=KELA)])
    await execute(sqlite_engine, "UPDATE audit_chain_head SET sequence = 'x'")

    with pytest.raises(AuditChainBrokenError) as raised:
        await log.verify()
    assert str(raised.value).endswith(
        "restore the database from a backup and check it with `saattaja audit verify` and the "
        "anchors kept outside it (--anchor, --consent-anchor)"
    )


async def test_a_last_record_other_than_the_heads_is_named_with_the_records_before_it(
    engine: AsyncEngine, log: AuditLog
) -> None:
    await execute(engine, "UPDATE audit_chain_head SET hash = :other", other="a" * 64)

    result = await log.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (RECORDS, ChainProblemKind.ALTERED)
    assert result.describe().endswith(f"; the {RECORDS - 1} records before it match")


async def test_verify_finds_a_deleted_record(engine: AsyncEngine, log: AuditLog) -> None:
    await execute(engine, "DELETE FROM audit_records WHERE sequence = 3")

    result = await log.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (3, ChainProblemKind.DELETED)
    assert "record 4 follows record 2" in result.problem.detail


async def test_verify_finds_records_deleted_from_the_end(
    engine: AsyncEngine, log: AuditLog
) -> None:
    await execute(engine, "DELETE FROM audit_records WHERE sequence >= 4")

    result = await log.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (4, ChainProblemKind.DELETED)
    assert "records 4-5 are missing" in result.problem.detail


async def test_verify_finds_a_reordered_pair(engine: AsyncEngine, log: AuditLog) -> None:
    await execute(
        engine,
        "UPDATE audit_records SET sequence = -1 WHERE sequence = 2",
        "UPDATE audit_records SET sequence = 2 WHERE sequence = 3",
        "UPDATE audit_records SET sequence = 3 WHERE sequence = -1",
    )

    result = await log.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (2, ChainProblemKind.REORDERED)


async def test_verify_finds_a_replaced_hash(engine: AsyncEngine, log: AuditLog) -> None:
    await execute(
        engine, "UPDATE audit_records SET hash = :forged WHERE sequence = 2", forged="a" * 64
    )

    result = await log.verify()

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (2, ChainProblemKind.ALTERED)


async def test_broken_chain_raises_naming_the_first_record_and_how(
    engine: AsyncEngine, log: AuditLog
) -> None:
    await execute(engine, "UPDATE audit_records SET basis = 'C-9' WHERE sequence = 2")
    await execute(engine, "DELETE FROM audit_records WHERE sequence = 4")

    result = await log.verify()

    with pytest.raises(AuditChainBrokenError, match=r"record 2 \(altered\)"):
        result.raise_if_broken()


async def _anchor_at(log: AuditLog, sequence: int) -> ChainAnchor:
    [record] = [record async for record in log.query() if record.sequence == sequence]
    return ChainAnchor(record.sequence, record.hash)


async def test_a_record_noted_earlier_and_still_unchanged_verifies(log: AuditLog) -> None:
    anchors = [await _anchor_at(log, 2), await _anchor_at(log, RECORDS)]

    result = await log.verify(anchors=anchors, batch_size=2)

    assert result.ok
    assert result.checked == RECORDS


async def test_records_cut_from_the_end_with_the_head_rewound_pass_without_an_anchor_only(
    engine: AsyncEngine, log: AuditLog
) -> None:
    noted = await _anchor_at(log, RECORDS)
    await cut_after(engine, log, 3)

    unanchored = await log.verify()
    anchored = await log.verify(anchors=[noted])

    assert unanchored.ok  # what the chain alone cannot see
    assert anchored.problem is not None
    assert (anchored.problem.sequence, anchored.problem.kind) == (4, ChainProblemKind.DELETED)
    assert f"record {RECORDS} was noted earlier" in anchored.problem.detail
    assert "chain head was rewound" in anchored.problem.detail


async def test_an_anchor_beyond_the_end_of_a_whole_chain_is_said_to_be_perhaps_not_its_own(
    log: AuditLog,
) -> None:
    # An anchor copied wrong, or taken from a topic someone else wrote to, looks like a cut.
    wrong = ChainAnchor(RECORDS + 100, "a" * 64)

    result = await log.verify(anchors=[wrong])

    assert result.problem is not None
    assert "unless the anchor is not this chain's" in result.problem.detail
    assert "saattaja audit check-topic" in result.problem.detail


async def test_an_end_written_again_and_hashed_anew_is_found_at_the_record_noted(
    engine: AsyncEngine, log: AuditLog
) -> None:
    noted = await _anchor_at(log, RECORDS)
    await cut_after(engine, log, 3)
    for hours in (20, 21):  # the same number of records, other decisions
        await log.append([refusal(event_id=uuid.uuid4(), decided_at=T0 + hours * HOUR)])

    assert (await log.verify()).ok
    result = await log.verify(anchors=[noted])

    assert result.problem is not None
    assert (result.problem.sequence, result.problem.kind) == (RECORDS, ChainProblemKind.ALTERED)
    assert str(noted) in result.problem.detail
    assert result.checked == RECORDS - 1


async def test_records_appended_after_a_whole_chain_still_verify(log: AuditLog) -> None:
    await log.append([entry(event_id=uuid.uuid4(), decided_at=T0 + 10 * HOUR)])

    assert (await log.verify()).checked == RECORDS + 1


def test_canonical_encoding_is_sorted_compact_json_with_utc_microseconds() -> None:
    fields = entry(
        event_id=uuid.UUID("3F2504E0-4F89-11D3-9A0C-0305E82C3301"), removed=("D-2", "D-1")
    ).chain_fields(sequence=7, previous_hash=GENESIS_HASH)

    encoded = canonical_encoding(fields).decode()

    assert encoded.startswith('{"basis":"C-1","category":"referral","client":"')
    assert '"decided_at":"2026-03-02T09:00:00.123456Z"' in encoded
    assert '"event_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301"' in encoded
    assert encoded.endswith(
        '"reason":"consent","recipient":"1.2.246.10.2462460","removed":["D-2","D-1"],'
        '"sender":"1.2.246.10.32213051.10.1","sequence":7}'
    )
    assert " " not in encoded


# Any character a str can be encoded to UTF-8 with: every one but the lone surrogates.
_ENCODABLE = st.characters(exclude_categories=["Cs"])


@given(
    text=st.text(alphabet=_ENCODABLE, min_size=1),
    removed=st.lists(st.text(alphabet=_ENCODABLE), max_size=3),
    sequence=st.integers(min_value=1, max_value=2**63 - 1),
)
def test_canonical_encoding_is_what_any_json_library_gives_with_the_documented_rules(
    text: str, removed: list[str], sequence: int
) -> None:
    # An auditor recomputes the chain with their own JSON library: the bytes must match.
    fields = entry(reason=text, removed=tuple(removed)).chain_fields(
        sequence=sequence, previous_hash=GENESIS_HASH
    )
    documented = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_encoding(fields) == documented.encode("utf-8")


async def test_the_head_of_an_empty_log_is_none(engine: AsyncEngine) -> None:
    assert await AuditLog(engine).head() is None


async def test_the_head_is_the_record_appended_last(log: AuditLog) -> None:
    assert await log.head() == await _anchor_at(log, RECORDS)


async def test_follow_after_a_record_gives_the_records_after_it_in_order(log: AuditLog) -> None:
    after = await _anchor_at(log, 2)

    followed = [record.sequence async for record in log.follow(after, batch_size=2)]

    assert followed == [3, 4, 5]


async def test_follow_from_the_start_gives_every_record(log: AuditLog) -> None:
    assert [record.sequence async for record in log.follow(None)] == [1, 2, 3, 4, 5]


async def test_follow_after_a_record_the_log_does_not_go_on_from_raises_naming_the_next(
    log: AuditLog,
) -> None:
    elsewhere = ChainAnchor(2, "f" * 64)

    with pytest.raises(AuditChainBrokenError, match=r"broken at record 3 \(reordered\)"):
        [record async for record in log.follow(elsewhere)]


async def test_follow_stops_at_a_changed_record_after_giving_those_before_it(
    engine: AsyncEngine, log: AuditLog
) -> None:
    await execute(engine, "UPDATE audit_records SET reason = 'tampered' WHERE sequence = 4")
    followed: list[int] = []

    async def follow() -> None:
        async for record in log.follow(None):
            followed.append(record.sequence)

    with pytest.raises(AuditChainBrokenError, match=r"broken at record 4 \(altered\)"):
        await follow()

    assert followed == [1, 2, 3]


async def test_follow_stops_at_a_record_whose_changed_time_cannot_be_read(
    sqlite_engine: AsyncEngine,
) -> None:
    log = AuditLog(sqlite_engine)
    await log.append([entry(recipient=KELA)])
    await execute(sqlite_engine, "UPDATE audit_records SET decided_at = 'x' WHERE sequence = 1")

    with pytest.raises(AuditChainBrokenError, match="run `saattaja audit verify`"):
        [record async for record in log.follow(None)]
