"""``saattaja indicators`` end to end in-process: settings from the environment, a real database."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from broker.cli import main
from broker.indicators import HELSINKI
from consent.database import create_database_engine
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
    return datetime(year, month, day, hour, minute, tzinfo=HELSINKI)


MAY_DAY = helsinki(2025, 5, 15, 12)


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["indicators", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def json_of_may(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, _err = run(
        capsys, "--since", "2025-05-01", "--until", "2025-05-31", "--format", "json"
    )
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
    code, out, _err = run(capsys, "--since", "2025-05-01", "--until", "2025-05-31")
    assert code == 0
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "Pathway indicators, 2025-05-01 to 2025-05-31 (days in Europe/Helsinki)" in lines
    assert "sote -> kela 6 6 24 24 0.0% 0.0% 0.0%" in lines
    assert "typ -> jarjesto <5 <5 <5 <5 <5 <5 <5" in lines
    assert "work 7" in lines
    assert "moved 0" in lines


def test_json_is_one_document_with_the_days_and_hidden_cells_marked(
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
    document = json_of_may(capsys)
    assert (document["first_day"], document["last_day"], document["time_zone"]) == (
        "2025-05-01",
        "2025-05-31",
        "Europe/Helsinki",
    )
    assert document["threshold"] == 5
    shown, hidden = document["referral_pairs"]
    assert (shown["requester"]["id"], shown["receiver"]["id"]) == ("sote", "kela")
    assert shown["referrals"] == {"value": 6, "suppressed": False}
    assert (hidden["requester"]["id"], hidden["suppressed"]) == ("typ", True)
    assert hidden["referrals"] == {"value": None, "suppressed": True}


def test_until_includes_the_whole_last_day_in_helsinki_time(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    inside = (helsinki(2025, 5, 1), helsinki(2025, 5, 31, 23, 59))
    outside = (helsinki(2025, 5, 1) - timedelta(microseconds=1), helsinki(2025, 6, 1))
    record(
        database,
        referrals=[
            referral(client(f"{moment}-{n}"), requested_at=moment)
            for moment in (*inside, *outside)
            for n in range(5)
        ],
    )
    (pair,) = json_of_may(capsys)["referral_pairs"]
    assert pair["referrals"] == {"value": 10, "suppressed": False}


def test_a_bad_date_prints_the_usage_and_exits_2(
    settings_only: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["indicators", "--since", "2025-02-30", "--until", "2025-05-31"])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja indicators" in error
    assert "'2025-02-30' is not a calendar day: write YYYY-MM-DD" in error


def test_since_after_until_is_an_error_naming_both(
    settings_only: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(capsys, "--since", "2025-06-01", "--until", "2025-05-31")
    assert code == 1
    assert "--since 2025-06-01 is after --until 2025-05-31" in err


def test_an_unmigrated_database_is_reported_with_what_to_run(
    clean_environment: pytest.MonkeyPatch,
    registry_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clean_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    clean_environment.setenv("SAATTAJA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    code, _out, err = run(capsys, "--since", "2025-05-01", "--until", "2025-05-31")
    assert code == 1
    assert "saattaja db upgrade" in err
