"""``saattaja consent show``, end to end in-process: settings from the environment, a real store."""

from __future__ import annotations

import asyncio
import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import pytest

from broker.cli import CONFIGURATION_EXIT_STATUS, main
from consent.database import check_pseudonym_secret, create_database_engine, upgrade_database
from consent.store import ConsentStore
from schemas import (
    FINNISH_TIME_LABEL,
    ConsentGranted,
    ConsentRevoked,
    ConsentRule,
    DataCategory,
    OrganisationKind,
    Pseudonymiser,
    Recipient,
    finnish_time,
)
from tests.consent.builders import (
    CLIENT,
    JARJESTO,
    KELA,
    OTHER_CLIENT,
    SOTE,
    TYOLLISYYS,
    grant,
    refusal,
    revocation,
)

SECRET: Final = "consent-command-tests-secret-0123456789abcdef"
PSEUDONYMS: Final = Pseudonymiser(SECRET.encode())
PSEUDONYM: Final = PSEUDONYMS.pseudonym(CLIENT)
MAY: Final = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
JUNE: Final = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def database_file(monkeypatch: pytest.MonkeyPatch, registry_file: Path, tmp_path: Path) -> str:
    """Settings of the command: the shipped registry, a SQLite file and a pseudonym secret."""
    for name in list(os.environ):
        if name.startswith("SAATTAJA_"):
            monkeypatch.delenv(name)
    url = f"sqlite+aiosqlite:///{tmp_path / 'saattaja.db'}"
    monkeypatch.setenv("SAATTAJA_DATABASE_URL", url)
    monkeypatch.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    monkeypatch.setenv("SAATTAJA_PSEUDONYM_SECRET", SECRET)
    return url


def record(
    url: str,
    *applied: tuple[ConsentGranted | ConsentRevoked, datetime],
    secret: Pseudonymiser = PSEUDONYMS,
) -> None:
    """Migrate the database and apply the events, as a router under ``secret`` would have."""

    async def run() -> None:
        await upgrade_database(url)
        engine = create_database_engine(url)
        try:
            await check_pseudonym_secret(engine, secret.fingerprint(), record_at=MAY)
            store = ConsentStore(engine)
            for event, at in applied:
                pseudonym = PSEUDONYMS.pseudonym(event.client)
                await store.apply(event, pseudonym=pseudonym, applied_at=at)
        finally:
            await engine.dispose()

    asyncio.run(run())


def show(capsys: pytest.CaptureFixture[str], client: str = CLIENT) -> tuple[int, str, str]:
    code = main(["consent", "show", "--client", client])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_lists_consents_and_refusals_current_and_past_with_who_recorded_them(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    record(
        database_file,
        (
            grant(
                "C-KELA",
                recipients=(Recipient(organisation=KELA),),
                categories=(DataCategory.PLAN, DataCategory.REFERRAL),
                exceptions=(ConsentRule(categories=(DataCategory.ASSESSMENT_HEALTH,)),),
                valid_from=MAY,
                occurred_at=MAY,
            ),
            MAY,
        ),
        (
            refusal("R-NGO", ConsentRule(recipients=(Recipient(kind=OrganisationKind.JARJESTO),))),
            MAY,
        ),
        (
            grant(
                "C-TE", recipients=(Recipient(kind=OrganisationKind.TYOLLISYYS),), occurred_at=MAY
            ),
            MAY,
        ),
        (revocation("C-TE", sender=KELA, occurred_at=JUNE), JUNE),
        (grant("C-OLD", sender=TYOLLISYYS, valid_until=JUNE, occurred_at=MAY), MAY),
    )
    code, out, _err = show(capsys)
    assert code == 0
    assert "3 consents and 1 refusal on record" in out
    lines = [line.strip() for line in out.splitlines()]
    assert "C-KELA  consent (suostumus) — active" in lines
    assert (
        f"permits: recipients Kansaneläkelaitos (Kela) ({KELA}); categories plan, referral" in lines
    )
    assert "except (not permitted by this consent): categories assessment:health" in lines
    assert "valid: from 2025-05-01 12:00 +03:00, no end date" in lines
    assert "R-NGO  refusal (kielto) — active" in lines
    assert "refuses: recipients every jarjesto organisation" in lines
    assert (
        "C-TE  consent (suostumus) — revoked at 2025-06-01 12:00 +03:00 by "
        f"Kansaneläkelaitos (Kela) ({KELA})" in lines
    )
    assert "C-OLD  consent (suostumus) — expired at 2025-06-01 12:00 +03:00" in lines
    assert (
        f"recorded by Lappeenrannan työllisyysalue ({TYOLLISYYS}) at 2025-05-01 12:00 +03:00, "
        "applied at 2025-05-01 12:00 +03:00" in lines
    )
    assert f"Etelä-Karjalan hyvinvointialue ({SOTE})" in out
    assert CLIENT not in out
    assert PSEUDONYM not in out
    assert JARJESTO not in out  # refused by kind, so no organisation is named


def test_an_exception_of_a_refusal_is_shown_as_not_refused_rather_than_permitted(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # decide() lifts the refusal for Kela, and Kela still needs a consent: none here.
    from_sote = ConsentRule(sources=(SOTE,))
    but_kela = ConsentRule(recipients=(Recipient(kind=OrganisationKind.KELA),))
    record(database_file, (refusal("R-1", from_sote, exceptions=(but_kela,)), MAY))

    code, out, _err = show(capsys)

    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    assert "except (not refused; needs a consent): recipients every kela organisation" in lines
    assert "permits" not in out


def test_a_line_break_in_what_the_sender_wrote_is_shown_escaped(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    documents = ConsentRule(documents=("D-1\n  except: everything",))
    record(database_file, (refusal('A;B,"ö"\nx', documents), MAY))

    code, out, _err = show(capsys)

    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    assert 'A;B,"ö"\\nx  refusal (kielto) — active' in lines
    assert "refuses: documents D-1\\n  except: everything" in lines
    assert not any(line.startswith("except") for line in lines)


def test_a_version_applied_later_than_now_is_shown_and_the_status_is_as_of_it(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    # The router's clock days ahead of this machine's, as the demo's is.
    ahead = now.replace(second=0, microsecond=0) + timedelta(days=3)
    record(
        database_file,
        (grant("C-TE", occurred_at=MAY), MAY),
        (revocation("C-TE", sender=KELA, occurred_at=MAY), ahead),
    )

    code, out, _err = show(capsys)

    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    assert f"status as of {finnish_time(ahead)}, when the last version was applied" in lines[0]
    assert "later than now" in lines[0]
    assert (
        f"C-TE  consent (suostumus) — revoked at {finnish_time(ahead)} by "
        f"Kansaneläkelaitos (Kela) ({KELA})"
    ) in lines
    assert any(line.startswith("revoked: recorded by Kansaneläkelaitos") for line in lines)


def test_status_as_of_now_says_no_more(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    record(database_file, (grant("C-TE", occurred_at=MAY), MAY))

    _code, out, _err = show(capsys)

    assert "later than now" not in out
    assert out.splitlines()[0].endswith(f"(times are {FINNISH_TIME_LABEL}).")


def test_times_are_finnish_time_with_their_offset_and_the_first_line_says_so(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Midnight in Helsinki in winter: 22:00 the day before in UTC.
    new_year = datetime(2025, 12, 31, 22, 0, tzinfo=UTC)
    record(database_file, (grant("C-TE", valid_from=new_year, occurred_at=new_year), new_year))

    _code, out, _err = show(capsys)

    lines = [line.strip() for line in out.splitlines()]
    assert lines[0].endswith(
        "(times are Finnish time (Europe/Helsinki), each with its offset from UTC)."
    )
    assert "valid: from 2026-01-01 00:00 +02:00, no end date" in lines


def test_a_consent_to_a_date_is_shown_through_that_whole_day(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # "end": "2026-12-31" is kept as its first moment after, midnight in Helsinki.
    new_year = datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
    record(database_file, (grant("C-TE", valid_until=new_year, occurred_at=MAY), MAY))

    _code, out, _err = show(capsys)

    lines = [line.strip() for line in out.splitlines()]
    assert "valid: from when recorded, through 2026-12-31 (the whole day)" in lines


def test_a_consent_ending_within_a_day_is_shown_until_that_moment(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    noon = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
    record(database_file, (grant("C-TE", valid_until=noon, occurred_at=MAY), MAY))

    _code, out, _err = show(capsys)

    lines = [line.strip() for line in out.splitlines()]
    assert "valid: from when recorded, until 2026-06-30 12:00 +03:00" in lines


def test_the_purpose_is_shown_in_words_beside_its_code(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    record(database_file, (grant("C-TE", occurred_at=MAY), MAY))

    _code, out, _err = show(capsys)

    lines = [line.strip() for line in out.splitlines()]
    assert "purpose: COC (coordination of care)" in lines


def test_client_without_consents_is_told_so(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    record(database_file, (grant("C-1", client=OTHER_CLIENT), MAY))
    code, out, _err = show(capsys)
    assert (code, out) == (0, "No consents or refusals on record for this client.\n")


def test_an_identity_code_given_as_a_dash_is_read_from_standard_input(
    database_file: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    record(database_file, (grant("C-1"), MAY))
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{CLIENT}\n"))

    code, out, _err = show(capsys, client="-")

    assert code == 0
    assert "C-1" in out


def test_invalid_identity_code_prints_usage_and_exits_2_without_echoing_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["consent", "show", "--client", "150388-912X"])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage: saattaja consent show" in captured.err
    assert "argument --client: expected a personal identity code" in captured.err
    assert "an identity code's check character is not the one its digits give" in captured.err
    assert "150388" not in captured.err


def test_missing_client_argument_prints_usage_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["consent", "show"])
    assert caught.value.code == 2
    assert "usage: saattaja consent show" in capsys.readouterr().err


def test_consent_without_an_action_prints_its_usage_and_returns_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["consent"]) == 2
    assert capsys.readouterr().err.startswith("usage: saattaja consent")


def test_unmigrated_database_is_reported_with_the_command_to_run(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = show(capsys)
    assert code == CONFIGURATION_EXIT_STATUS
    assert "saattaja db upgrade" in err


def test_missing_pseudonym_secret_is_reported_by_name(
    database_file: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SAATTAJA_PSEUDONYM_SECRET")
    code, _out, err = show(capsys)
    assert code == CONFIGURATION_EXIT_STATUS
    assert "SAATTAJA_PSEUDONYM_SECRET" in err


def test_a_database_filled_under_another_secret_is_an_error_naming_the_setting(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    routers = Pseudonymiser(b"the-routers-own-pseudonym-secret-0123456789")
    record(database_file, (grant("C-1"), MAY), secret=routers)

    code, out, err = show(capsys)

    assert code == CONFIGURATION_EXIT_STATUS
    assert "another pseudonym secret" in err
    assert "SAATTAJA_PSEUDONYM_SECRET" in err
    assert out == ""
