"""``saattaja audit stream``, end to end in-process on a real broker and database."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from broker.cli import CONFIGURATION_EXIT_STATUS, main
from broker.embedded import free_port
from broker.kafka import KafkaConnection
from broker.topics import AUDIT_TOPIC
from consent.audit import AuditLog, AuditRecord
from consent.database import create_database_engine
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic
from tests.broker.scraping import health, sample, scrape
from tests.consent.audit.entries import CLIENT, HOUR, SECRET, T0, cut_after, entry, tamper
from tests.consent.schema import older_database

pytestmark = [pytest.mark.kafka]

_RUN_MAIN = "from broker.cli import main; raise SystemExit(main())"


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch,
    connection: KafkaConnection,
    registry_file: Path,
    migrated_database_url: str,
) -> str:
    """The command's settings: the test broker and a migrated database of the test's own."""
    for name in list(os.environ):
        if name.startswith("SAATTAJA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SAATTAJA_KAFKA_BOOTSTRAP", connection.bootstrap)
    monkeypatch.setenv("SAATTAJA_DATABASE_URL", migrated_database_url)
    monkeypatch.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    monkeypatch.setenv("SAATTAJA_PSEUDONYM_SECRET", SECRET)
    monkeypatch.setenv("SAATTAJA_AUDIT_STREAM_SESSION_TIMEOUT_MS", "2000")
    return migrated_database_url


def append(url: str, count: int) -> list[AuditRecord]:
    async def run() -> list[AuditRecord]:
        engine = create_database_engine(url)
        try:
            return await AuditLog(engine).append(
                [entry(event_id=uuid.uuid4(), decided_at=T0 + n * HOUR) for n in range(count)]
            )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_once_writes_the_log_and_says_where_the_topic_ends(
    environment: str, connection: KafkaConnection, capsys: pytest.CaptureFixture[str]
) -> None:
    records = append(environment, 2)

    assert main(["audit", "stream", "--once"]) == 0
    first = capsys.readouterr().out
    assert main(["audit", "stream", "--once"]) == 0
    second = capsys.readouterr().out

    last = f"{records[-1].sequence}:{records[-1].hash}"
    assert f"2 audit records written to {AUDIT_TOPIC}; it ends at record {last}" in first
    assert f"0 audit records written to {AUDIT_TOPIC}; it ends at record {last}" in second
    assert len(asyncio.run(read_topic(connection, AUDIT_TOPIC))) == 2


def test_once_on_a_changed_log_exits_3_naming_the_record(
    environment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    append(environment, 3)
    tamper(environment, "UPDATE audit_records SET recipient = sender WHERE sequence = 2")

    assert main(["audit", "stream", "--once"]) == 3

    assert re.search(r"audit chain broken at record 2 \(altered\)", capsys.readouterr().err)


def test_at_a_changed_log_the_stream_stays_up_saying_so_until_stopped_then_exits_3(
    environment: str,
) -> None:
    append(environment, 3)
    tamper(environment, "UPDATE audit_records SET recipient = sender WHERE sequence = 2")

    status, body, broken, still_running, returncode, errors = asyncio.run(_stream_at_broken())

    assert (status, broken, still_running) == (503, 1, True)
    assert "record 2" in str(body["reason"])
    assert returncode == 3
    assert re.search(r"audit chain broken at record 2 \(altered\).*stays up", errors)


async def _stream_at_broken() -> tuple[int, dict[str, object], float, bool, int | None, str]:
    """/health and chain_broken of a stream at a broken chain; its exit status after SIGTERM.

    A process of its own, as systemd runs it: SIGTERM is how it is told to stop.
    """
    port = free_port("127.0.0.1")
    stream = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", _RUN_MAIN),
        *("audit", "stream"),
        env={**os.environ, "SAATTAJA_AUDIT_STREAM_METRICS_PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:

        async def says_stopped() -> bool:
            try:
                return (await health(port))[1]["status"] == "stopped"
            except OSError:
                return False

        await eventually(says_stopped, within=60, what="/health says stopped")
        status, body = await health(port)
        broken = sample(await scrape(port), "saattaja_audit_stream_chain_broken")
        still_running = stream.returncode is None
        stream.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(stream.wait(), 30)
        assert stream.stderr is not None
        errors = (await stream.stderr.read()).decode()
    finally:
        if stream.returncode is None:
            stream.kill()
            await stream.wait()
    return status, body, broken, still_running, returncode, errors


def test_on_a_database_not_yet_upgraded_the_stream_exits_with_the_configuration_status(
    clean_environment: pytest.MonkeyPatch,
    connection: KafkaConnection,
    registry_file: Path,
    tmp_path: Path,
) -> None:
    # Its unit restarts it after any other failure: waiting never migrates a database.
    older = older_database(f"sqlite+aiosqlite:///{tmp_path / 'older.db'}")
    clean_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", connection.bootstrap)
    clean_environment.setenv("SAATTAJA_DATABASE_URL", older)
    clean_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))

    stream = subprocess.run(  # noqa: S603 - this interpreter running saattaja
        [sys.executable, "-c", _RUN_MAIN, "audit", "stream"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert stream.returncode == CONFIGURATION_EXIT_STATUS, stream.stderr
    error = stream.stderr.splitlines()[-1]
    assert error.startswith("saattaja: error: the database schema is at")
    assert "run `saattaja db upgrade`" in error


def test_an_unknown_option_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "stream", "--forever"])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("usage: saattaja")
    assert "unrecognized arguments: --forever" in error


def test_a_database_that_does_not_answer_exits_1_so_that_a_supervisor_starts_it_again(
    environment: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAATTAJA_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")

    assert main(["audit", "stream", "--once"]) == 1

    assert "saattaja: error:" in capsys.readouterr().err


def test_verify_takes_the_record_the_topic_ends_with_as_an_anchor(
    environment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    records = append(environment, 2)
    assert main(["audit", "stream", "--once"]) == 0
    capsys.readouterr()

    assert main(["audit", "verify", "--anchor-from-topic"]) == 0

    out = capsys.readouterr().out
    anchor = f"{records[-1].sequence}:{records[-1].hash}"
    assert f"anchor taken from {AUDIT_TOPIC}: {anchor}" in out
    assert f"anchors found unchanged: {anchor}" in out


def test_verify_with_the_topics_anchor_finds_records_cut_from_the_end_of_the_log(
    environment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    append(environment, 4)
    assert main(["audit", "stream", "--once"]) == 0
    asyncio.run(_cut_after(environment, 2))

    assert main(["audit", "verify"]) == 0  # what the chain alone cannot see
    capsys.readouterr()
    assert main(["audit", "verify", "--anchor-from-topic"]) == 1

    assert "record 4 was noted earlier" in capsys.readouterr().err


def test_report_with_the_topics_anchor_refuses_a_log_cut_from_its_end(
    environment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    append(environment, 4)
    assert main(["audit", "stream", "--once"]) == 0
    asyncio.run(_cut_after(environment, 2))
    capsys.readouterr()

    assert main(["audit", "report", "--client", CLIENT, "--anchor-from-topic"]) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "record 4 was noted earlier" in captured.err


def test_report_names_the_topics_anchor_and_says_where_it_came_from_apart_from_the_report(
    environment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    records = append(environment, 2)
    assert main(["audit", "stream", "--once"]) == 0
    capsys.readouterr()

    assert main(["audit", "report", "--client", CLIENT, "--anchor-from-topic"]) == 0

    captured = capsys.readouterr()
    anchor = f"{records[-1].sequence}:{records[-1].hash}"
    assert f"anchor taken from {AUDIT_TOPIC}: {anchor}" in captured.err
    assert AUDIT_TOPIC not in captured.out
    assert f"found unchanged: {anchor}." in captured.out


def test_verify_says_when_the_topic_holds_no_record_to_take_as_an_anchor(
    environment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    append(environment, 1)

    assert main(["audit", "verify", "--anchor-from-topic"]) == 0

    assert f"{AUDIT_TOPIC} holds no audit record yet" in capsys.readouterr().out


async def _cut_after(url: str, sequence: int) -> None:
    engine = create_database_engine(url)
    try:
        await cut_after(engine, AuditLog(engine), sequence)
    finally:
        await engine.dispose()
