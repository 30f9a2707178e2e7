"""``saattaja audit verify|query|export|report``, end to end in-process on a real database."""

from __future__ import annotations

import asyncio
import io
import json
import os
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from fhir.resources.R4B.auditevent import AuditEvent

from broker.cli import CONFIGURATION_EXIT_STATUS, READER_GONE_EXIT_STATUS, main
from consent.audit import GENESIS_HASH, AuditEntry, AuditLog, chain_hash
from consent.database import create_database_engine
from consent.store import ConsentStore
from schemas import ConsentGranted, ConsentRevoked
from schemas.fhir import FINNISH_TIME
from tests.broker.closed_output import run_with_output_closed
from tests.consent import builders
from tests.consent.audit.entries import (
    CLIENT,
    HOUR,
    KELA,
    OTHER_PSEUDONYM,
    PLAN,
    PSEUDONYM,
    SECRET,
    SOTE,
    T0,
    TYOLLISYYS,
    TYP,
    entry,
    refusal,
    tamper,
)
from tests.consent.builders import grant, revocation
from tests.consent.schema import stamp_pseudonym_secret


@pytest.fixture
def database(
    monkeypatch: pytest.MonkeyPatch, registry_file: Path, migrated_database_url: str
) -> str:
    """The command's settings, and a log of four decisions (three about the client)."""
    for name in list(os.environ):
        if name.startswith("SAATTAJA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SAATTAJA_DATABASE_URL", migrated_database_url)
    monkeypatch.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    monkeypatch.setenv("SAATTAJA_PSEUDONYM_SECRET", SECRET)
    event = uuid.uuid4()
    append(
        migrated_database_url,
        entry(event_id=event, recipient=KELA, removed=("EKHVA-TT-1",)),
        refusal(event_id=event, recipient=TYOLLISYYS, decided_at=T0 + HOUR),
        entry(client=OTHER_PSEUDONYM, recipient=TYP, decided_at=T0 + 2 * HOUR),
        entry(sender=TYOLLISYYS, recipient=KELA, decided_at=T0 + 3 * HOUR),
    )
    return migrated_database_url


def append(url: str, *entries: AuditEntry) -> None:
    async def run() -> None:
        engine = create_database_engine(url)
        try:
            for decision in entries:
                await AuditLog(engine).append([decision])
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_verify_reports_a_whole_chain(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify"]) == 0

    assert capsys.readouterr().out.splitlines()[0] == "audit chain whole: 4 records"


def test_verify_fails_naming_the_first_record_that_does_not_match(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(database, "UPDATE audit_records SET recipient = sender WHERE sequence = 3")

    assert main(["audit", "verify"]) == 1

    error = capsys.readouterr().err
    assert "audit chain broken at record 3 (altered)" in error
    assert "the 2 records before it match" in error


def test_query_of_a_record_changed_behind_the_logs_back_is_an_error_saying_to_verify(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(database, "UPDATE audit_records SET category = 'x' WHERE sequence = 2")

    assert main(["audit", "query"]) == 1

    assert "audit record 2 " in capsys.readouterr().err


def _anchor_to_keep(output: str, prefix: str = "anchor to keep: ") -> str:
    [line] = [line for line in output.splitlines() if line.startswith(prefix)]
    return line.removeprefix(prefix)


def test_verify_prints_the_anchor_to_keep_and_finds_it_again(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 0
    anchor = _anchor_to_keep(capsys.readouterr().out)

    assert main(["audit", "verify", "--anchor", anchor]) == 0

    assert anchor.startswith("4:")
    assert f"anchors found unchanged: {anchor}" in capsys.readouterr().out


def test_verify_with_an_anchor_finds_the_end_cut_and_the_head_rewound(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify", "--anchor", "9:" + "0" * 64]) == 1  # never that long

    error = capsys.readouterr().err
    assert "audit chain broken at record 5 (deleted)" in error
    assert "record 9 was noted earlier" in error


@pytest.fixture
def consents(database: str) -> str:
    """Two versions in the consent history: a consent, and its revocation."""

    async def run() -> None:
        engine = create_database_engine(database)
        try:
            events: list[ConsentGranted | ConsentRevoked] = [
                grant("C-1"),
                revocation("C-1", sender=builders.KELA),
            ]
            pairs = [(event, builders.PSEUDONYM) for event in events]
            await ConsentStore(engine).apply_all(pairs, applied_at=T0)
        finally:
            await engine.dispose()

    asyncio.run(run())
    return database


def test_verify_reports_the_consent_history_and_its_anchor_and_finds_it_again(
    consents: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 0
    output = capsys.readouterr().out
    anchor = _anchor_to_keep(output, "consent anchor to keep: ")

    assert main(["audit", "verify", "--consent-anchor", anchor]) == 0

    assert "consent history whole: 2 records" in output.splitlines()
    assert anchor.startswith("2:")
    assert f"consent anchors found unchanged: {anchor}" in capsys.readouterr().out


def test_verify_fails_naming_the_consent_version_changed(
    consents: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(consents, "UPDATE consent_versions SET recorded_by = 'someone else' WHERE sequence = 2")

    assert main(["audit", "verify"]) == 1

    error = capsys.readouterr().err
    assert "consent history broken at record 2 (altered)" in error
    assert "audit chain" not in error  # the decisions are whole


def test_verify_with_a_consent_anchor_finds_the_history_cut_and_its_head_rewound(
    consents: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify", "--consent-anchor", "9:" + "0" * 64]) == 1

    error = capsys.readouterr().err
    assert "consent history broken at record 3 (deleted)" in error


def test_verify_refuses_a_consent_anchor_that_is_not_a_sequence_and_a_hash(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "verify", "--consent-anchor", "2:abc"])

    assert exit_info.value.code == 2
    assert "is not an anchor" in capsys.readouterr().err


def test_consents_lists_the_history_for_a_person(
    consents: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "consents"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "SEQ",
        "APPLIED",
        "(UTC)",
        "ACTION",
        "DECISION",
        "CONSENT",
        "RECORDED",
        "BY",
        "CLIENT",
        "VALID",
        "(UTC)",
        "PURPOSE",
    ]
    assert [line.split()[3] for line in lines[1:3]] == ["granted", "revoked"]
    # The registry's ids, not OIDs:
    assert " sote " in lines[1]
    assert " kela " in lines[2]
    assert lines[-1] == "2 versions"


def test_consents_table_shows_a_period_from_a_finnish_midnight_at_its_utc_time(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def run() -> None:
        engine = create_database_engine(database)
        try:
            consent = grant(
                "C-7",
                valid_from=datetime(2026, 7, 1, tzinfo=FINNISH_TIME),
                valid_until=datetime(2027, 7, 1, tzinfo=FINNISH_TIME),
            )
            await ConsentStore(engine).apply_all([(consent, builders.PSEUDONYM)], applied_at=T0)
        finally:
            await engine.dispose()

    asyncio.run(run())

    assert main(["audit", "consents"]) == 0

    _header, row, _total = capsys.readouterr().out.splitlines()
    # Not 2026-06-30..2027-06-30: UTC days would start it a day early.
    assert " 2026-06-30 21:00:00..2027-06-30 21:00:00 " in row


def test_consents_table_shows_a_line_break_in_a_consent_id_escaped(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def run() -> None:
        engine = create_database_engine(database)
        try:
            applied = [(grant('A;B,"ö"\nx'), builders.PSEUDONYM)]
            await ConsentStore(engine).apply_all(applied, applied_at=T0)
        finally:
            await engine.dispose()

    asyncio.run(run())

    assert main(["audit", "consents"]) == 0

    _header, row, total = capsys.readouterr().out.splitlines()
    assert ' A;B,"ö"\\nx ' in row
    assert total == "1 version"


def test_consents_in_jsonl_carry_what_recomputes_the_chain(
    consents: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "consents", "--format", "jsonl"]) == 0

    versions = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    previous = GENESIS_HASH
    for version in versions:
        stored = version.pop("hash")
        assert version["previous_hash"] == previous
        assert chain_hash(version) == stored
        previous = stored
    assert len(versions) == 2


def test_consents_filter_by_organisation_and_action(
    consents: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "consents", "--organisation", "kela", "--format", "jsonl"]) == 0
    by_kela = capsys.readouterr().out.splitlines()
    assert main(["audit", "consents", "--action", "granted", "--format", "jsonl"]) == 0
    granted = capsys.readouterr().out.splitlines()

    assert [json.loads(line)["action"] for line in by_kela] == ["revoked"]
    assert [json.loads(line)["recorded_by"] for line in granted] == [builders.SOTE]


def test_consents_of_another_client_are_none(
    consents: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "consents", "--client", CLIENT]) == 0  # another secret's client

    assert capsys.readouterr().out.splitlines()[-1] == "0 versions"


@pytest.mark.parametrize(
    "anchor", ["4", "0:" + "a" * 64, "x:" + "a" * 64, "4:abc", "4:" + "g" * 64]
)
def test_verify_refuses_an_anchor_that_is_not_a_sequence_and_a_hash(
    database: str, capsys: pytest.CaptureFixture[str], anchor: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "verify", "--anchor", anchor])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja audit verify" in error
    assert "is not an anchor" in error


def test_query_by_identity_code_prints_a_table_of_the_clients_records(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "query", "--client", CLIENT]) == 0

    header, *rows, total = capsys.readouterr().out.splitlines()
    assert header.split()[:4] == ["SEQ", "DECIDED", "(UTC)", "DECISION"]
    assert [row.split()[0] for row in rows] == ["1", "2", "4"]
    assert rows[0].split()[3:7] == ["permit", "consent", "sote", "kela"]
    assert rows[1].split()[3:5] == ["deny", "refused"]
    assert total == "3 records"
    assert CLIENT not in header + "".join(rows)


@pytest.mark.usefixtures("database")
@pytest.mark.parametrize(
    "listing",
    [["query"], ["consents"], ["verify"], ["export", "--format", "csv"]],
    ids=" ".join,
)
def test_a_listing_whose_reader_stops_reading_ends_quietly(listing: list[str]) -> None:
    # Short enough to wait in the output buffer: the pipe is found closed when it is flushed.
    listed = run_with_output_closed("audit", *listing)

    assert (listed.returncode, listed.stderr) == (READER_GONE_EXIT_STATUS, "")


def test_query_table_shows_a_line_break_in_a_senders_identifiers_escaped(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    append(database, entry(basis='A;B,"ö"\nx', removed=("D-1\nD-2",), decided_at=T0 + 4 * HOUR))

    assert main(["audit", "query"]) == 0

    *_, row, total = capsys.readouterr().out.splitlines()
    assert row.split()[0] == "5"
    assert row.split()[-2:] == ['A;B,"ö"\\nx', "D-1\\nD-2"]
    assert total == "5 records"


def test_query_table_keeps_what_was_removed_in_its_column_beside_a_long_consent_id(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    append(
        database, entry(basis="SUOSTUMUS-2025-00042", removed=("D-1",), decided_at=T0 + 4 * HOUR)
    )

    assert main(["audit", "query"]) == 0

    header, *_, row, _total = capsys.readouterr().out.splitlines()
    assert row.index("D-1") == header.index("REMOVED")


def test_query_by_organisation_id_writes_json_lines(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "query", "--organisation", "tyollisyys", "--format", "jsonl"]) == 0

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [record["sequence"] for record in records] == [2, 4]
    assert all(TYOLLISYYS in (record["sender"], record["recipient"]) for record in records)


def test_query_by_pseudonym_decision_and_time(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--client", PSEUDONYM, "--decision", "permit", "--since", "2026-03-02T10:00Z"]

    assert main(["audit", "query", *arguments, "--format", "jsonl"]) == 0

    [record] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (record["sequence"], record["sender"]) == (4, TYOLLISYYS)


@pytest.mark.parametrize(
    ("bound", "sequences"), [("--since", [2, 3, 4]), ("--until", [1])], ids=["since", "until"]
)
def test_a_time_finer_than_a_microsecond_bounds_the_records_exactly(
    database: str, capsys: pytest.CaptureFixture[str], bound: str, sequences: list[int]
) -> None:
    # .NET writes seven fraction digits; record 1 was decided at .123456, just before this.
    finer = "2026-03-02T09:00:00.1234561Z"

    assert main(["audit", "query", bound, finer, "--format", "jsonl"]) == 0

    listed = [json.loads(line)["sequence"] for line in capsys.readouterr().out.splitlines()]
    assert listed == sequences


@pytest.mark.parametrize(
    "event_type", ["plan.created.v1", PLAN], ids=["as the table shows it", "as its ce_type"]
)
def test_query_by_event_type_given_in_either_form(
    database: str, capsys: pytest.CaptureFixture[str], event_type: str
) -> None:
    append(database, entry(event_type=PLAN, decided_at=T0 + 4 * HOUR))

    assert main(["audit", "query", "--event-type", event_type, "--format", "jsonl"]) == 0

    [record] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (record["sequence"], record["event_type"]) == (5, PLAN)


def test_query_refuses_an_event_type_not_in_the_catalogue_listing_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "query", "--event-type", "referal.requested.v1"])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja audit query" in error
    assert "argument --event-type: 'referal.requested.v1' is not an event type" in error
    assert "referral.requested.v1, referral.accepted.v1" in error


def test_query_refuses_a_consent_event_type_pointing_to_the_consent_history(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "query", "--event-type", "consent.granted.v1"])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja audit query" in error
    assert "the audit log holds no decision on one: `saattaja audit consents` lists them" in error


def test_query_refuses_a_client_that_is_neither_identity_code_nor_pseudonym(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "query", "--client", "020516C903X"])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "expected a personal identity code" in error
    assert "020516C903X" not in error


@pytest.mark.parametrize(
    ("command", "bound", "moment"),
    [
        (["query"], "--until", "9999-12-31T23:00-05:00"),
        (["consents"], "--since", "0001-01-01T00:00+01:00"),
        (["export", "--format", "csv"], "--until", "9999-12-31T23:00-05:00"),
    ],
    ids=["query", "consents", "export"],
)
def test_a_time_utc_cannot_express_prints_the_usage_naming_the_argument(
    capsys: pytest.CaptureFixture[str], command: list[str], bound: str, moment: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", *command, bound, moment])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert f"usage: saattaja audit {command[0]}" in error
    assert f"argument {bound}: '{moment}' has no UTC form" in error


@pytest.mark.parametrize(
    "command", [["query"], ["consents"], ["export", "--format", "csv"]], ids=lambda c: c[0]
)
def test_an_empty_period_prints_the_usage_naming_both_bounds(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", *command, "--since", "2026-12-14", "--until", "2026-12-13"])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert f"usage: saattaja audit {command[0]}" in error
    assert (
        "--since 2026-12-14T00:00:00+00:00 is not before --until 2026-12-13T00:00:00+00:00: "
        "the period is empty"
    ) in error


def test_query_refuses_an_unknown_organisation(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "query", "--organisation", "nowhere"]) == 1

    assert "known: sote, kela" in capsys.readouterr().err


def test_export_writes_fhir_audit_events_to_a_file(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "audit.ndjson"

    assert main(["audit", "export", "--format", "fhir", "--output", str(output)]) == 0

    events = [AuditEvent.model_validate_json(line) for line in output.read_text().splitlines()]
    assert [event.outcome for event in events] == ["0", "4", "0", "0"]
    assert "exported 4 audit records" in capsys.readouterr().out


def test_export_of_one_record_says_one_record(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "audit.csv"
    exported = ["audit", "export", "--format", "csv", "--decision", "deny", "--output"]

    assert main([*exported, str(output)]) == 0

    assert capsys.readouterr().out == f"exported 1 audit record to {output} (csv)\n"


def test_export_that_fails_leaves_the_earlier_file_as_it_was(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    earlier = folder / "audit.csv"
    earlier.write_text("the export of last month\n")
    stamp_pseudonym_secret(database, b"the-routers-own-pseudonym-secret-0123456789")

    exported = ["audit", "export", "--format", "csv", "--client", CLIENT, "--output", str(earlier)]
    assert main(exported) == CONFIGURATION_EXIT_STATUS

    assert "SAATTAJA_PSEUDONYM_SECRET" in capsys.readouterr().err
    assert earlier.read_text() == "the export of last month\n"
    assert list(folder.iterdir()) == [earlier]  # nothing half-written left beside it


def test_export_replaces_an_earlier_file_keeping_its_permissions(
    database: str, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    earlier = folder / "audit.csv"
    earlier.write_text("the export of last month\n")
    earlier.chmod(0o640)

    assert main(["audit", "export", "--format", "csv", "--output", str(earlier)]) == 0

    assert earlier.read_text().startswith("sequence,decided_at,event_id")
    assert earlier.stat().st_mode & 0o777 == 0o640
    assert list(folder.iterdir()) == [earlier]


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("missing/audit.csv", "the folder {tmp_path}/missing does not exist"),
        (".", "it is a folder; give a file's path"),
    ],
    ids=["folder missing", "a folder"],
)
def test_export_to_a_path_it_cannot_write_names_it(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str, reason: str
) -> None:
    path = tmp_path / output

    assert main(["audit", "export", "--format", "csv", "--output", str(path)]) == 1

    [error] = capsys.readouterr().err.splitlines()
    assert error.startswith(f"saattaja: error: cannot write to {path}: ")
    assert reason.format(tmp_path=tmp_path) in error


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_export_to_a_folder_that_makes_no_files_says_it_exists(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "export", "--format", "csv", "--output", "/proc/audit.csv"]) == 1

    [error] = capsys.readouterr().err.splitlines()
    assert error == (
        "saattaja: error: cannot write to /proc/audit.csv: the folder /proc exists, but no "
        "file can be made in it; give a path in another folder"
    )


def test_export_writes_filtered_csv_to_standard_output(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "export", "--format", "csv", "--decision", "deny"]) == 0

    header, row = capsys.readouterr().out.splitlines()
    assert header.startswith("sequence,decided_at,event_id")
    assert row.startswith("2,2026-03-02T10:00:00.123456Z,")


def test_report_prints_the_clients_disclosures_without_the_identity_code(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "report", "--client", CLIENT]) == 0

    report = capsys.readouterr().out
    assert "Kansaneläkelaitos (Kela)" in report
    assert "Etelä-Karjalan hyvinvointialue" in report
    assert "why not: the client refused this disclosure (kielto); see refusal K-1" in report
    assert "In short: 2 events sent to 1 organisation; 1 event not sent" in report
    assert CLIENT not in report
    assert OTHER_PSEUDONYM not in report
    assert SOTE not in report.split("=")[0]  # senders by name


def test_report_says_up_to_which_record_the_chain_was_checked(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 0
    anchor = _anchor_to_keep(capsys.readouterr().out)

    assert main(["audit", "report", "--client", CLIENT]) == 0

    sequence, digest = anchor.split(":")
    assert (
        f"The audit log's hash chain was checked up to its record {sequence} (hash {digest}): "
        "no record up to it was changed, removed or moved."
    ) in capsys.readouterr().out.splitlines()


def test_report_checks_the_chain_against_the_anchors_given_and_names_them(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 0
    anchor = _anchor_to_keep(capsys.readouterr().out)

    assert main(["audit", "report", "--client", CLIENT, "--anchor", anchor]) == 0

    assert (
        f"The anchors kept outside the database were found unchanged: {anchor}."
        in capsys.readouterr().out.splitlines()
    )


def test_report_on_a_log_cut_from_its_end_is_refused_against_an_anchor(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "report", "--client", CLIENT, "--anchor", "9:" + "0" * 64]) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "audit chain broken at record 5 (deleted)" in captured.err
    assert "record 9 was noted earlier" in captured.err


def test_report_refuses_an_anchor_that_is_not_a_sequence_and_a_hash(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["audit", "report", "--client", CLIENT, "--anchor", "4"])

    assert exited.value.code == 2
    assert "is not an anchor" in capsys.readouterr().err


def test_report_on_a_log_changed_behind_its_back_is_refused_naming_the_record(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Record 2, the refusal to the employment services, shown as if it went to the county.
    tamper(database, "UPDATE audit_records SET recipient = sender WHERE sequence = 2")

    assert main(["audit", "report", "--client", CLIENT]) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "audit chain broken at record 2 (altered)" in captured.err
    assert "no disclosure report is made from a log that does not verify" in captured.err


def test_commands_on_an_unmigrated_database_say_to_run_the_upgrade(
    monkeypatch: pytest.MonkeyPatch,
    registry_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SAATTAJA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))

    assert main(["audit", "verify"]) == CONFIGURATION_EXIT_STATUS

    assert "saattaja db upgrade" in capsys.readouterr().err


def test_a_client_by_identity_code_in_a_log_filled_under_another_secret_is_an_error(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stamp_pseudonym_secret(database, b"the-routers-own-pseudonym-secret-0123456789")

    assert main(["audit", "report", "--client", CLIENT]) == CONFIGURATION_EXIT_STATUS

    captured = capsys.readouterr()
    assert "SAATTAJA_PSEUDONYM_SECRET" in captured.err
    assert captured.out == ""


def test_a_client_by_pseudonym_is_found_whatever_secret_the_process_has(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stamp_pseudonym_secret(database, b"the-routers-own-pseudonym-secret-0123456789")

    assert main(["audit", "query", "--client", PSEUDONYM, "--format", "jsonl"]) == 0

    assert len(capsys.readouterr().out.splitlines()) == 3  # three of the four are about them


def test_a_client_given_as_a_dash_is_read_from_standard_input(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PSEUDONYM}\n"))

    assert main(["audit", "query", "--client", "-", "--format", "jsonl"]) == 0

    assert len(capsys.readouterr().out.splitlines()) == 3
