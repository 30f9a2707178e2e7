"""Files dropped by the legacy system become events in the organisation's outbox topic."""

from __future__ import annotations

import json
from typing import Final

import pytest

from schemas import AssessmentRecorded, Event, KykyviisariResult, ReferralAccepted
from tests.adapters.file_drop.conftest import TYOLLISYYS_OID, Running
from tests.broker.conditions import eventually

pytestmark = pytest.mark.kafka

_WITHIN: Final = 60.0
_HEADER: Final = (
    "type;client;occurred_at;referral_id;receiver;service;reason;assessment_id;overall;"
    "mental_wellbeing;social_participation;physical_functioning;competence;everyday_life\n"
)
_KELA: Final = "1.2.246.10.2462460"
_REFERRAL: Final = f"referral.requested;150388-9127;2026-03-10 09:00;R-1;{_KELA};Kuntoutus;Syy"
_KYKYVIISARI: Final = "assessment.recorded;150388-9127;2026-03-10 09:15;;;;;KV-1;5;6;4;7;5;6"
_SECOND_REFERRAL: Final = f"referral.requested;150388-9127;2026-03-10 10:00;R-2;{_KELA};TYP;Syy"
_THREE_ROWS: Final = f"{_HEADER}{_REFERRAL};;;;;;;\n{_KYKYVIISARI}\n{_SECOND_REFERRAL};;;;;;;\n"


async def _published(running: Running, count: int) -> list[Event]:
    async def arrived() -> bool:
        return len(await running.published()) >= count

    await eventually(arrived, within=_WITHIN, what=f"{count} events in the outbox topic")
    return await running.published()


async def test_a_dropped_csv_with_three_rows_becomes_three_events_and_moves_to_done(
    running: Running,
) -> None:
    dropped = running.settings.drop_folder / "export.csv"
    dropped.write_text(_THREE_ROWS, encoding="utf-8-sig")

    assert await running.adapter.scan_once(running.context) == []  # seen, not yet stable
    [outcome] = await running.adapter.scan_once(running.context)

    events = await _published(running, 3)
    assert [event.event_code for event in events] == [
        "referral.requested",
        "assessment.recorded",
        "referral.requested",
    ]
    assert {event.sender for event in events} == {TYOLLISYYS_OID}
    assert isinstance(events[1], AssessmentRecorded)
    assert events[1].assessment == KykyviisariResult(
        overall=5,
        mental_wellbeing=6,
        social_participation=4,
        physical_functioning=7,
        competence=5,
        everyday_life=6,
    )
    assert (outcome.published, outcome.problems) == (3, ())
    assert outcome.moved_to == running.settings.done_folder / "export.csv"
    assert not dropped.exists()
    assert outcome.moved_to.read_text(encoding="utf-8-sig") == _THREE_ROWS


async def test_a_csv_with_a_bad_row_publishes_the_good_rows_and_moves_to_failed_with_a_report(
    running: Running,
) -> None:
    bad = "assessment.recorded;150388-9127;2026-03-10 09:30;;;;;KV-2;11;6;4;7;5;6"
    content = f"{_HEADER}{_REFERRAL};;;;;;;\n{bad}\n{_KYKYVIISARI}\n"
    (running.settings.drop_folder / "export.csv").write_text(content)

    await running.adapter.scan_once(running.context)
    [outcome] = await running.adapter.scan_once(running.context)

    events = await _published(running, 2)
    assert [event.document_id for event in events] == ["R-1", "KV-1"]
    assert outcome.moved_to == running.settings.failed_folder / "export.csv"
    report = (running.settings.failed_folder / "export.csv.errors.txt").read_text()
    problems = [line for line in report.splitlines() if not line.startswith("#")]
    assert problems == ["line 3: column overall: Input should be less than or equal to 10"]
    assert "2 records were published" in report


async def test_an_entry_that_cannot_be_described_fails_alone_to_failed_with_a_report(
    running: Running,
) -> None:
    loop = running.settings.drop_folder / "loop.csv"
    loop.symlink_to(loop.name)  # stat() fails: too many levels of symbolic links
    (running.settings.drop_folder / "export.csv").write_text(f"{_HEADER}{_REFERRAL};;;;;;;\n")

    await running.adapter.scan_once(running.context)
    failed, done = await running.adapter.scan_once(running.context)

    assert (failed.moved_to, done.moved_to) == (
        running.settings.failed_folder / "loop.csv",
        running.settings.done_folder / "export.csv",
    )
    report = (running.settings.failed_folder / "loop.csv.errors.txt").read_text()
    assert report.splitlines()[1] == (
        "file: cannot be read (Too many levels of symbolic links): drop the export again as "
        "a plain file, not a link"
    )
    assert [event.document_id for event in await _published(running, 1)] == ["R-1"]


async def test_a_file_still_growing_is_taken_only_once_it_is_stable(running: Running) -> None:
    growing = running.settings.drop_folder / "export.csv"
    growing.write_text(f"{_HEADER}{_REFERRAL};;;;;;;\n")
    assert await running.adapter.scan_once(running.context) == []

    with growing.open("a") as stream:
        stream.write(f"{_KYKYVIISARI}\n")
    assert await running.adapter.scan_once(running.context) == []  # it changed since
    assert growing.exists()

    [outcome] = await running.adapter.scan_once(running.context)
    assert outcome.published == 2


async def test_a_file_written_as_part_is_not_read_until_renamed(running: Running) -> None:
    part = running.settings.drop_folder / "export.csv.part"
    part.write_text(f"{_HEADER}{_REFERRAL};;;;;;;\n")
    assert await running.adapter.scan_once(running.context) == []
    assert await running.adapter.scan_once(running.context) == []

    part.rename(part.with_suffix(""))
    await running.adapter.scan_once(running.context)
    [outcome] = await running.adapter.scan_once(running.context)
    assert outcome.published == 1


async def test_a_json_file_becomes_one_event_per_item(running: Running) -> None:
    items = [
        {
            "type": "referral.accepted",
            "client": "150388-9127",
            "occurred_at": "2026-03-12T13:00:00+02:00",
            "referral_id": f"R-{n}",
            "requester": "1.2.246.10.32213051.10.1",
        }
        for n in (1, 2)
    ]
    (running.settings.drop_folder / "export.json").write_text(json.dumps(items))

    await running.adapter.scan_once(running.context)
    [outcome] = await running.adapter.scan_once(running.context)

    events = await _published(running, 2)
    assert all(isinstance(event, ReferralAccepted) for event in events)
    assert [event.document_id for event in events] == ["R-1", "R-2"]
    assert outcome.moved_to == running.settings.done_folder / "export.json"


async def test_dropping_the_same_file_twice_gives_the_same_event_ids(running: Running) -> None:
    dropped = running.settings.drop_folder / "export.csv"
    outcomes = []
    for _ in range(2):
        dropped.write_text(_THREE_ROWS)
        await running.adapter.scan_once(running.context)
        outcomes.extend(await running.adapter.scan_once(running.context))

    events = await _published(running, 6)
    ids = [event.event_id for event in events]
    # Compared as sets: under load the relay may send a record twice (at-least-once), which
    # says nothing about the ids a second drop of the file gets.
    assert len(set(ids[:3])) == 3
    assert set(ids) == set(ids[:3])
    # The second copy is kept too, under a name of its own.
    assert outcomes[0].moved_to.name == "export.csv"
    assert outcomes[1].moved_to.name.startswith("export-")
    assert outcomes[1].moved_to.parent == running.settings.done_folder


async def test_a_record_that_gives_its_own_event_id_keeps_it(running: Running) -> None:
    own_id = "0b6b7a3c-29a4-4d4e-9b5e-5d0c1f1a2b3c"
    record = {
        "type": "assessment.recorded",
        "event_id": own_id,
        "client": "150388-9127",
        "occurred_at": "2026-03-10T09:15:00+02:00",
        "assessment_id": "KV-9",
        "assessment": {
            "method": "kykyviisari",
            "overall": 5,
            "mental_wellbeing": 6,
            "social_participation": 4,
            "physical_functioning": 7,
            "competence": 5,
            "everyday_life": 6,
        },
    }
    (running.settings.drop_folder / "export.jsonl").write_text(json.dumps(record) + "\n")

    await running.adapter.scan_once(running.context)
    await running.adapter.scan_once(running.context)

    [event] = await _published(running, 1)
    assert isinstance(event, AssessmentRecorded)
    assert str(event.event_id) == own_id
