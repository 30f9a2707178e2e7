"""``saattaja indicators`` end to end in-process: settings from the environment, a real database."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from broker.cli import CONFIGURATION_EXIT_STATUS, main
from consent.database import create_database_engine
from schemas.fhir import FINNISH_TIME
from tests.indicators.rows import JARJESTO, TYP, Row, client, episode, insert, referral


@pytest.fixture
def database(
    clean_environment: pytest.MonkeyPatch, registry_file: Path, migrated_database_url: str
) -> str:
    """The command's settings: the shipped registry and a migrated database of each kind."""
    clean_environment.setenv("SAATTAJA_DATABASE_URL", migrated_database_url)
    clean_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    return migrated_database_url


@pytest.fixture
def settings_only(clean_environment: pytest.MonkeyPatch, registry_file: Path) -> None:
    """The registry, and no database worth reaching: these runs must stop before one."""
    clean_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))


def record(url: str, **rows: list[Row]) -> None:
    async def run() -> None:
        engine = create_database_engine(url)
        try:
            await insert(engine, **rows)
        finally:
            await engine.dispose()

    asyncio.run(run())


def helsinki(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=FINNISH_TIME)


MAY_DAY = helsinki(2025, 5, 15, 12)  # in 2025-Q2


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["indicators", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def json_of_the_second_quarter(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, _err = run(capsys, "--quarter", "2025-Q2", "--format", "json")
    assert code == 0
    document: dict[str, Any] = json.loads(out)
    return document


def test_table_names_pairs_by_registry_id_and_marks_hidden_cells(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    record(
        database,
        referrals=[referral(client(n), requested_at=MAY_DAY) for n in range(6)]
        + [
            referral(client(n), requester=TYP, receiver=JARJESTO, requested_at=MAY_DAY)
            for n in range(2)
        ],
        episodes=[episode(client(n), closed_at=MAY_DAY) for n in range(7)],
    )
    code, out, _err = run(capsys, "--quarter", "2025-Q2")
    assert code == 0
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "Pathway indicators, 2025-04-01 to 2025-06-30 (days in Europe/Helsinki)" in lines
    assert "sote -> kela 6 6 24 24 0.0% 0.0% 0.0%" in lines
    assert "typ -> jarjesto <5 <5 <5 <5 <5 <5 <5" in lines
    assert "work 7" in lines
    assert "moved 0" in lines


def test_json_is_one_document_with_the_quarter_and_hidden_cells_marked(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    record(
        database,
        referrals=[referral(client(n), requested_at=MAY_DAY) for n in range(6)]
        + [
            referral(client(n), requester=TYP, receiver=JARJESTO, requested_at=MAY_DAY)
            for n in range(2)
        ],
    )
    document = json_of_the_second_quarter(capsys)
    assert (
        document["quarter"],
        document["first_day"],
        document["last_day"],
        document["time_zone"],
    ) == ("2025-Q2", "2025-04-01", "2025-06-30", "Europe/Helsinki")
    assert document["threshold"] == 5
    shown, hidden = document["referral_pairs"]
    assert (shown["requester"]["id"], shown["receiver"]["id"]) == ("sote", "kela")
    assert shown["referrals"] == {"value": 6, "suppressed": False}
    assert (hidden["requester"]["id"], hidden["suppressed"]) == ("typ", True)
    assert hidden["referrals"] == {"value": None, "suppressed": True}


def test_a_quarter_runs_from_its_first_to_its_last_day_in_helsinki_time(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    inside = (helsinki(2025, 4, 1), helsinki(2025, 6, 30, 23, 59))
    outside = (helsinki(2025, 4, 1) - timedelta(microseconds=1), helsinki(2025, 7, 1))
    record(
        database,
        referrals=[
            referral(client(f"{moment}-{n}"), requested_at=moment)
            for moment in (*inside, *outside)
            for n in range(5)
        ],
    )
    (pair,) = json_of_the_second_quarter(capsys)["referral_pairs"]
    assert pair["referrals"] == {"value": 10, "suppressed": False}


def test_the_fourth_quarter_ends_with_the_year(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(capsys, "--quarter", "2025-Q4", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert (document["first_day"], document["last_day"]) == ("2025-10-01", "2025-12-31")


@pytest.mark.parametrize("quarter", ["2025-Q5", "2025-Q0", "2025-05", "2025Q1", "0000-Q1"])
def test_a_period_other_than_a_calendar_quarter_prints_the_usage_and_exits_2(
    settings_only: None, capsys: pytest.CaptureFixture[str], quarter: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["indicators", "--quarter", quarter])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja indicators" in error
    assert f"{quarter!r} is not a calendar quarter: write YYYY-QN" in error


def test_since_and_until_spanning_one_quarter_report_that_quarter(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(
        capsys, "--since", "2025-10-01", "--until", "2025-12-31", "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["quarter"] == "2025-Q4"


@pytest.mark.parametrize(
    ("since", "until"),
    [("2026-12-05", "2026-12-13"), ("2026-10-01", "2026-12-30"), ("2026-01-01", "2026-12-31")],
    ids=["days", "short-of-the-end", "a-year"],
)
def test_since_and_until_that_are_not_one_quarter_are_refused_naming_the_quarter(
    settings_only: None, capsys: pytest.CaptureFixture[str], since: str, until: str
) -> None:
    # Overlapping periods give their difference away by subtraction.
    with pytest.raises(SystemExit) as exit_info:
        main(["indicators", "--since", since, "--until", until])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja indicators" in error
    assert "is not one calendar quarter" in error
    assert "--quarter 2026-Q" in error


def test_since_without_until_is_refused(
    settings_only: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["indicators", "--since", "2026-10-01"])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja indicators" in error
    assert "--since needs --until" in error


def test_until_with_quarter_is_refused(
    settings_only: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["indicators", "--quarter", "2026-Q4", "--until", "2026-12-31"])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja indicators" in error
    assert "--until goes with --since" in error


def test_an_unmigrated_database_is_reported_with_what_to_run(
    clean_environment: pytest.MonkeyPatch,
    registry_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clean_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    clean_environment.setenv("SAATTAJA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    code, _out, err = run(capsys, "--quarter", "2025-Q2")
    assert code == CONFIGURATION_EXIT_STATUS
    assert "saattaja db upgrade" in err
