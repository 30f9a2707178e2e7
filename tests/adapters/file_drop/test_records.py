"""Reading export files and turning their records into events, without Kafka."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import pytest

import adapters.file_drop
from adapters.file_drop import Problem, RawRecord, RecordError, read_records, to_event
from schemas import ConsentGranted, Event, OrganisationKind, PlanUpdated, Recipient
from tests.adapters.file_drop.conftest import TYOLLISYYS_OID

_ZONE: Final = ZoneInfo("Europe/Helsinki")
_EXAMPLES: Final = Path(adapters.file_drop.__file__).parent / "examples"


def _events(path: Path) -> list[Event]:
    events = []
    for record in read_records(path, None):
        assert isinstance(record, RawRecord), str(record)
        events.append(to_event(record, sender=TYOLLISYYS_OID, file_name=path.name, zone=_ZONE))
    return events


def test_the_public_names_are_pinned() -> None:
    assert adapters.file_drop.__all__ == [
        "EVENT_ID_NAMESPACE",
        "NOTICE_TYPE",
        "DropFolder",
        "DroppedFile",
        "FileDropAdapter",
        "FileDropError",
        "FileDropSettings",
        "FolderError",
        "OutgoingFolder",
        "OutgoingWriteError",
        "Problem",
        "RawRecord",
        "RecordError",
        "event_id_for",
        "outgoing_name",
        "read_records",
        "to_event",
    ]


@pytest.mark.parametrize("example", sorted(_EXAMPLES.iterdir()), ids=lambda path: path.name)
def test_every_example_file_is_valid(example: Path) -> None:
    assert _events(example)


def test_a_comma_csv_with_a_byte_order_mark_and_quoted_cells_is_read(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Type,Client,Occurred_at,Consent_id,Recipients,Categories\n"
        'consent.granted,150388-9127,2026-03-10 09:00,S-1,"kela 1.2.246.10.28645177",plan\n',
        encoding="utf-8-sig",
    )

    [event] = _events(path)

    assert isinstance(event, ConsentGranted)
    assert event.scope.recipients == (
        Recipient(kind=OrganisationKind.KELA),
        Recipient(organisation="1.2.246.10.28645177"),
    )


def test_csv_timestamps_without_an_offset_are_local_finnish_time(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "type;client;occurred_at;plan_id;plan_type;title;activity_description;"
        "activity_performer\n"
        "plan.updated;150388-9127;2026-07-01 12:00;P-1;aktivointisuunnitelma;Suunnitelma;"
        "Työtoiminta;1.2.246.10.10274806\n"
    )

    [event] = _events(path)

    assert isinstance(event, PlanUpdated)
    assert event.occurred_at == datetime(2026, 7, 1, 12, 0, tzinfo=_ZONE)
    assert event.activities[0].performer == "1.2.246.10.10274806"


def test_json_lines_are_one_record_per_line_and_a_broken_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    record = {"type": "consent.revoked", "client": "150388-9127", "consent_id": "S-1"}
    record["occurred_at"] = "2026-03-10T09:00:00+02:00"
    path.write_text(f"{json.dumps(record)}\n\n{{broken\n{json.dumps(record)}\n")

    records = read_records(path, None)

    assert [r.where for r in records] == ["line 1", "line 3", "line 4"]
    assert isinstance(records[1], Problem)
    assert str(records[1]).startswith("line 3: not valid JSON")


def test_a_file_that_is_not_utf8_is_one_problem_saying_how_to_export_it(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("type;client\nreferral.requested;Äijälä\n".encode("cp1252"))

    assert [str(p) for p in read_records(path, None)] == [
        "file: not UTF-8 (byte 31): export it as UTF-8 (Excel: 'CSV UTF-8')"
    ]


def test_a_file_that_cannot_be_read_is_one_problem_not_an_error(tmp_path: Path) -> None:
    # A folder stands for a file this process may not read: the tests run as root.
    unreadable = tmp_path / "export.csv"
    unreadable.mkdir()

    [problem] = read_records(unreadable, None)

    assert isinstance(problem, Problem)
    assert str(problem).startswith("file: cannot be read (Is a directory): let the adapter's")


def test_a_record_with_several_problems_names_each_column(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "type;client;occurred_at;referral_id;receiver;reason\n"
        "referral.requested;150388-912X;2026-03-10 09:00;R-1;1.2.246.10.2462460;Syy\n"
    )
    [record] = read_records(path, None)
    assert isinstance(record, RawRecord)

    with pytest.raises(RecordError) as raised:
        to_event(record, sender=TYOLLISYYS_OID, file_name=path.name, zone=_ZONE)

    assert str(raised.value) == (
        "column client: an identity code's check character is not the one its digits give: "
        "the code is mistyped; column service is required for referral.requested"
    )


def test_an_unknown_type_lists_the_known_ones() -> None:
    record = RawRecord("line 2", 2, flat=True, fields={"type": "referral.sent"})

    with pytest.raises(
        RecordError, match=re.escape("not an event type; use one of referral.requested")
    ):
        to_event(record, sender=TYOLLISYYS_OID, file_name="export.csv", zone=_ZONE)


def test_an_unknown_type_lists_only_the_types_an_organisation_publishes() -> None:
    record = RawRecord("line 2", 2, flat=True, fields={"type": "referral.sent"})

    with pytest.raises(RecordError) as raised:
        to_event(record, sender=TYOLLISYYS_OID, file_name="export.csv", zone=_ZONE)

    assert "referral.expired" not in str(raised.value)


def test_a_fixed_record_in_the_same_place_gets_a_new_event_id() -> None:
    def event_id(reason: str) -> object:
        fields: dict[str, object] = {
            "type": "referral.requested",
            "client": "150388-9127",
            "occurred_at": "2026-03-10T09:00:00+02:00",
            "referral_id": "R-1",
            "receiver": "1.2.246.10.2462460",
            "service": "Kuntoutus",
            "reason": reason,
        }
        record = RawRecord("line 2", 2, flat=False, fields=fields)
        event = to_event(record, sender=TYOLLISYYS_OID, file_name="export.json", zone=_ZONE)
        return event.event_id

    assert event_id("Syy") == event_id("Syy")
    assert event_id("Syy") != event_id("Korjattu syy")


# What a record holds is not quoted back in a problem: it may be personal data.


def test_a_file_without_its_header_row_is_refused_without_quoting_the_first_record(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("referral.requested;020516C903K;Sanna Virtanen\n")

    [problem] = read_records(path, None)

    assert str(problem) == (
        "line 1: the header has no 'type' column (read with delimiter ';', it has 3 columns): "
        "a file starts with its header row, naming the columns"
    )


def test_a_header_naming_a_column_twice_is_refused_naming_the_columns_by_position(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("type;020516C903K;020516C903K\nreferral.requested;a;b\n")

    [problem] = read_records(path, None)

    assert str(problem) == (
        "line 1: columns 2 and 3 of the header have the same name: name each column once"
    )


def test_an_unknown_type_that_may_be_personal_data_is_not_quoted() -> None:
    record = RawRecord("line 2", 2, flat=True, fields={"type": "020516C903K"})

    with pytest.raises(RecordError, match=r"^type a value of 11 characters") as raised:
        to_event(record, sender=TYOLLISYYS_OID, file_name="export.csv", zone=_ZONE)
    assert "020516C903K" not in str(raised.value)


def test_a_value_a_validator_quotes_is_not_quoted_in_the_problem() -> None:
    fields: dict[str, object] = {
        "type": "assessment.recorded",
        "client": "150388-9127",
        "occurred_at": "2026-03-10T09:00:00+02:00",
        "assessment_id": "A-1",
        "assessment": {"method": "020516C903K"},
    }
    record = RawRecord("line 1", 1, flat=False, fields=fields)

    with pytest.raises(RecordError, match=r"field assessment: 'method' is a value of 11") as raised:
        to_event(record, sender=TYOLLISYYS_OID, file_name="export.json", zone=_ZONE)
    assert "020516C903K" not in str(raised.value)


def test_an_unknown_column_that_may_be_personal_data_is_described_not_quoted() -> None:
    fields: dict[str, object] = {"type": "referral.requested", "020516C903K": "Sanna"}
    record = RawRecord("line 2", 2, flat=True, fields=fields)

    with pytest.raises(RecordError) as raised:
        to_event(record, sender=TYOLLISYYS_OID, file_name="export.csv", zone=_ZONE)

    assert (
        "column a value of 11 characters (not shown: it may hold personal data) does not "
        "belong to referral.requested"
    ) in str(raised.value)
    assert "020516C903K" not in str(raised.value)


def test_an_unknown_nested_field_that_may_be_personal_data_is_described_not_quoted() -> None:
    fields: dict[str, object] = {
        "type": "assessment.recorded",
        "client": "150388-9127",
        "occurred_at": "2026-03-10T09:00:00+02:00",
        "assessment_id": "A-1",
        "assessment": {"method": "professional", "020516C903K": "Sanna"},
    }
    record = RawRecord("line 1", 1, flat=False, fields=fields)

    with pytest.raises(RecordError) as raised:
        to_event(record, sender=TYOLLISYYS_OID, file_name="export.json", zone=_ZONE)

    assert "field assessment.professional.a value of 11 characters" in str(raised.value)
    assert "020516C903K" not in str(raised.value)


def test_a_column_of_another_event_type_is_named() -> None:
    fields: dict[str, object] = {"type": "referral.requested", "plan_id": "P-1"}
    record = RawRecord("line 2", 2, flat=True, fields=fields)

    with pytest.raises(
        RecordError, match=re.escape("column plan_id does not belong to referral.requested")
    ):
        to_event(record, sender=TYOLLISYYS_OID, file_name="export.csv", zone=_ZONE)
