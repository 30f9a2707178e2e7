"""``saattaja pathway show``, in-process: settings from the environment, a real store."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest

from broker.cli import CONFIGURATION_EXIT_STATUS, main
from broker.pathway import PathwayStore
from consent.database import create_database_engine, upgrade_database
from tests.consent.audit.entries import tamper
from tests.consent.schema import stamp_pseudonym_secret
from tests.pathway.builders import CLIENT, DAY, Walk, case_manager, rejected, requested

SECRET: Final = "pathway-tests-pseudonym-secret-0123456789"  # the builders' codec's


@pytest.fixture
def database_url(monkeypatch: pytest.MonkeyPatch, registry_file: Path, tmp_path: Path) -> str:
    """Settings of the command: the shipped registry, a SQLite file and the tests' secret."""
    for name in list(os.environ):
        if name.startswith("SAATTAJA_"):
            monkeypatch.delenv(name)
    url = f"sqlite+aiosqlite:///{tmp_path / 'saattaja.db'}"
    monkeypatch.setenv("SAATTAJA_DATABASE_URL", url)
    monkeypatch.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    monkeypatch.setenv("SAATTAJA_PSEUDONYM_SECRET", SECRET)
    return url


def _save(url: str, walk: Walk) -> None:
    async def run() -> None:
        await upgrade_database(url)
        engine = create_database_engine(url)
        try:
            await PathwayStore(engine).save(walk.changes)
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_show_names_the_case_manager_and_who_is_responsible_for_each_referral(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    walk = Walk().through(
        requested("R-1"),
        rejected("R-1"),
        requested("R-2", at=requested().occurred_at + DAY),
        case_manager(),
    )
    _save(database_url, walk)

    assert main(["pathway", "show", "--client", CLIENT]) == 0

    shown = capsys.readouterr().out
    assert "Case manager: Maija Meikäläinen (tyokykykoordinaattori, typ)" in shown
    assert "referral R-1: sote -> kela, rejected; responsible now: sote" in shown
    assert "rejected because: Asiakas ei täytä kuntoutuksen edellytyksiä" in shown
    assert "referral R-2: sote -> kela, requested; responsible now: sote" in shown
    assert "answer due" in shown
    assert CLIENT not in shown


def test_show_escapes_a_line_feed_in_a_rejection_reason_so_that_it_forges_no_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = "ok\n- referral R-9: sote -> kela, accepted; responsible now: kela"
    _save(database_url, Walk().through(requested("R-1"), rejected("R-1", reason=forged)))

    assert main(["pathway", "show", "--client", CLIENT]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert not any(line.startswith("- referral R-9") for line in lines)
    assert any(
        line.endswith(
            "rejected because: ok\\n- referral R-9: sote -> kela, accepted; responsible now: kela"
        )
        for line in lines
    )


def test_show_gives_times_in_finnish_time_with_their_offset(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    midnight_in_helsinki = datetime(2026, 2, 4, 22, 0, tzinfo=UTC)
    _save(database_url, Walk().through(requested("R-1", at=midnight_in_helsinki)))

    assert main(["pathway", "show", "--client", CLIENT]) == 0

    assert "requested 2026-02-05 00:00 +02:00" in capsys.readouterr().out


def test_show_says_so_when_the_client_has_no_pathway(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _save(database_url, Walk())

    assert main(["pathway", "show", "--client", CLIENT]) == 0

    shown = capsys.readouterr().out
    assert "Case manager: none named" in shown
    assert "No referrals on record for this client." in shown


def test_show_without_a_client_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["pathway", "show"])
    assert exit_.value.code == 2
    assert "--client" in capsys.readouterr().err


def test_show_with_a_mistyped_identity_code_prints_usage_without_echoing_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["pathway", "show", "--client", "150388-9128"])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja pathway show" in error
    assert "the code is mistyped" in error
    assert "150388" not in error


def test_a_store_filled_under_another_secret_is_an_error_naming_the_setting(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _save(database_url, Walk().through(requested("R-1")))

    stamp_pseudonym_secret(database_url, b"the-routers-own-pseudonym-secret-0123456789")

    assert main(["pathway", "show", "--client", CLIENT]) == CONFIGURATION_EXIT_STATUS
    captured = capsys.readouterr()
    assert "SAATTAJA_PSEUDONYM_SECRET" in captured.err
    assert "referral R-1" not in captured.out


def test_a_referral_changed_by_hand_so_that_it_cannot_be_read_is_refused_in_one_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # SQLite keeps any text in a time column.
    _save(database_url, Walk().through(requested("R-1")))
    tamper(database_url, "UPDATE pathway_referrals SET due_at = 'x'")

    assert main(["pathway", "show", "--client", CLIENT]) == 1

    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "saattaja: error: reading clients' pathways: a row of the pathway tables (pathway_*) "
        "holds a value that cannot be read back, changed after it was written (SQLite keeps "
        "any text in a time or JSON column): put the value back as it was, or restore the "
        "database from a backup taken before the change"
    ]
    assert captured.out == ""
