"""The ``saattaja topics`` and ``saattaja up`` commands, in-process and as real processes."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.engine import make_url

from broker import cli
from broker.cli import CONFIGURATION_EXIT_STATUS, READER_GONE_EXIT_STATUS, main
from broker.cli.audit_command import CHAIN_BROKEN_EXIT_STATUS
from broker.cli.lifecycle import until_shutdown
from broker.cli.up_command import up_parts, watched_part
from broker.embedded import EmbeddedBroker, free_port
from broker.errors import PartStoppedError
from broker.kafka import KafkaConnection
from broker.registry import OrganisationRegistry
from broker.topics import AUDIT_TOPIC, create_topics, topic_plan
from consent.audit import AuditLog
from consent.database import create_database_engine, upgrade_database
from schemas import KafkaRecord
from schemas.examples import EXAMPLE_PSEUDONYM_SECRET
from tests.broker.closed_output import run_with_output_closed
from tests.broker.conditions import children_of, eventually, process_alive
from tests.broker.reading import read_topic
from tests.conftest import REPO_ROOT, write_registry_file
from tests.consent.audit.entries import entry, tamper
from tests.consent.schema import older_database
from tests.router.harness import SECRET, running_router, suffixed_registry
from tests.router.test_watch import break_consuming

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
_RUN_MAIN = "from broker.cli import main; raise SystemExit(main())"


def test_bad_argument_exits_2_and_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["topics", "create", "--partitions", "none"])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja topics create" in error
    assert "'none' is not a whole number" in error


def test_an_unknown_argument_prints_the_usage_of_the_command_it_was_given_to(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["topics", "list", "--partitions", "3"])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("usage: saattaja topics list")
    assert "unrecognized arguments: --partitions 3" in error


def test_topics_create_refuses_more_partitions_than_the_setting_allows(
    cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_environment.setenv("SAATTAJA_EMBEDDED_PORT", str(free_port("127.0.0.1")))
    with pytest.raises(SystemExit) as caught:
        main(["topics", "create", "--partitions", "100000"])
    assert caught.value.code == 2
    assert "100000 is not from 1 to 1000" in capsys.readouterr().err


@pytest.mark.usefixtures("cli_environment")
def test_output_closed_by_its_reader_ends_the_command_quietly() -> None:
    listed = run_with_output_closed("topics", "acls", "--format", "jsonl")

    assert (listed.returncode, listed.stderr) == (READER_GONE_EXIT_STATUS, "")


def test_schemas_export_into_a_file_says_it_is_not_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "schemas.json"
    not_a_folder.write_text("{}")

    assert main(["schemas", "export", str(not_a_folder)]) == 1

    assert capsys.readouterr().err == (
        f"saattaja: error: cannot write to {not_a_folder}: it is a file; give a folder\n"
    )


def test_schemas_validate_checks_the_examples_with_the_example_secret_it_refuses_elsewhere(
    clean_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The one documented use of the published secret; set as a setting, it is refused.
    clean_environment.setenv("SAATTAJA_PSEUDONYM_SECRET", EXAMPLE_PSEUDONYM_SECRET.decode())
    examples = sorted((REPO_ROOT / "schemas" / "examples").glob("*.json"))

    assert main(["schemas", "validate", "--example-secret", *map(str, examples)]) == 0
    assert main(["schemas", "validate", str(examples[0])]) == CONFIGURATION_EXIT_STATUS
    assert "EXAMPLE_PSEUDONYM_SECRET" in capsys.readouterr().err


def test_up_refuses_a_port_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["up", "--port", "70000"])
    assert caught.value.code == 2
    assert "usage: saattaja up" in capsys.readouterr().err


def test_topics_without_a_subcommand_prints_its_usage_and_returns_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["topics"]) == 2
    assert capsys.readouterr().err.startswith("usage: saattaja topics")


def test_bad_setting_is_reported_by_name_with_the_configuration_status(
    cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_environment.setenv("SAATTAJA_TOPIC_PARTITIONS", "many")
    assert main(["topics", "list"]) == CONFIGURATION_EXIT_STATUS
    assert "SAATTAJA_TOPIC_PARTITIONS" in capsys.readouterr().err


def test_a_bad_kafka_bootstrap_is_reported_by_name_with_the_configuration_status(
    cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", "127.0.0.1:99999")
    assert main(["topics", "list"]) == CONFIGURATION_EXIT_STATUS
    assert "SAATTAJA_KAFKA_BOOTSTRAP" in capsys.readouterr().err


def test_topics_list_without_a_broker_says_to_start_one(
    cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_environment.setenv("SAATTAJA_EMBEDDED_PORT", str(free_port("127.0.0.1")))
    assert main(["topics", "list"]) == 1
    assert "start the embedded broker with `saattaja up`" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["topics", "list"],
        ["topics", "lag"],
        ["topics", "dlq"],
        ["topics", "create"],
        ["audit", "check-topic"],
        ["audit", "verify", "--anchor-from-topic"],
    ],
    ids=" ".join,
)
def test_a_one_shot_kafka_command_without_kafka_says_so_in_one_line(
    command: list[str], cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # aiokafka's own "Unable connect to ..." error line is not written before it.
    bootstrap = f"127.0.0.1:{free_port('127.0.0.1')}"
    cli_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", bootstrap)

    assert main(command) == 1

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"saattaja: error: no Kafka broker answers at {bootstrap} ")


def test_router_names_a_broken_legal_bases_file_even_while_kafka_is_down(
    cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "legal-bases.yaml"
    broken.write_text("- a list, not the mapping the file holds\n")
    cli_environment.setenv("SAATTAJA_LEGAL_BASES_FILE", str(broken))
    cli_environment.setenv("SAATTAJA_PSEUDONYM_SECRET", "router-cli-tests-secret-0123456789abcdef")
    cli_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", f"127.0.0.1:{free_port('127.0.0.1')}")
    assert main(["router"]) == CONFIGURATION_EXIT_STATUS
    error = capsys.readouterr().err
    assert f"{broken}: expected a mapping with the key 'legal_bases:'" in error
    assert "Kafka" not in error


@pytest.fixture
def router_topics(
    kafka_bootstrap: str,
    cli_environment: pytest.MonkeyPatch,
    registry: OrganisationRegistry,
    tmp_path: Path,
) -> None:
    """A registry of the test's own whose topics exist, so that a router gets past them."""
    organisations = suffixed_registry(registry)
    asyncio.run(create_topics(KafkaConnection(kafka_bootstrap), organisations, 1))
    registry_file = write_registry_file(organisations, tmp_path / "organisations.yaml")
    cli_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    cli_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", kafka_bootstrap)


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.usefixtures("router_topics")
def test_router_exits_with_the_configuration_status_on_a_database_that_does_not_exist(
    cli_environment: pytest.MonkeyPatch, postgres_database_url: str
) -> None:
    # A status of its own, which the systemd unit does not restart: a restart every few
    # seconds would meet the same missing database for ever.
    missing = make_url(postgres_database_url).set(database=f"no_such_{uuid.uuid4().hex[:8]}")
    cli_environment.setenv("SAATTAJA_DATABASE_URL", missing.render_as_string(hide_password=False))

    router = subprocess.run(  # noqa: S603 - this interpreter running saattaja
        [sys.executable, "-c", _RUN_MAIN, "router"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert router.returncode == CONFIGURATION_EXIT_STATUS, router.stderr
    # Its last line: the shared broker's other outboxes are warned about before it.
    assert router.stderr.splitlines()[-1].startswith(
        "saattaja: error: the database server refused Saattaja"
    )


@pytest.mark.kafka
@pytest.mark.usefixtures("router_topics")
def test_router_exits_with_the_configuration_status_on_a_database_not_yet_upgraded(
    cli_environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Waiting never migrates a database: a unit restarting every few seconds would meet the
    # same schema until someone ran the upgrade.
    older = older_database(f"sqlite+aiosqlite:///{tmp_path / 'older.db'}")
    cli_environment.setenv("SAATTAJA_DATABASE_URL", older)

    router = subprocess.run(  # noqa: S603 - this interpreter running saattaja
        [sys.executable, "-c", _RUN_MAIN, "router"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert router.returncode == CONFIGURATION_EXIT_STATUS, router.stderr
    error = router.stderr.splitlines()[-1]
    assert error.startswith("saattaja: error: the database schema is at")
    assert "run `saattaja db upgrade`" in error


@pytest.mark.kafka
def test_topics_create_then_list_prints_every_topic(
    kafka_bootstrap: str,
    cli_environment: pytest.MonkeyPatch,
    registry: OrganisationRegistry,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", kafka_bootstrap)
    assert main(["topics", "create", "--partitions", "2"]) == 0
    created = capsys.readouterr().out
    assert f"Topics at {kafka_bootstrap}" in created
    assert all(
        re.search(rf"(created|exists) +{re.escape(t)}$", created, re.M)
        for t in topic_plan(registry)
    )

    assert main(["topics", "list"]) == 0
    listing = capsys.readouterr().out
    assert re.search(r"^TOPIC +PARTITIONS +RETENTION +END OFFSETS +TOTAL$", listing, re.M)
    for topic in topic_plan(registry):
        # Topics other tests created without a retention of their own say "default".
        kept = r"(\d+ days|for ever|default)"
        assert re.search(rf"^{re.escape(topic)} +\d+ +{kept} +(\d+:\d+ ?)+ +\d+$", listing, re.M)


@pytest.fixture
def created_topics(
    kafka_bootstrap: str, cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shipped registry's topics on the test broker, which main() is pointed at."""
    cli_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", kafka_bootstrap)
    assert main(["topics", "create"]) == 0
    capsys.readouterr()


@pytest.mark.kafka
@pytest.mark.usefixtures("created_topics")
def test_topics_lag_shows_the_router_on_each_outbox_and_each_adapter_on_its_inbox(
    registry: OrganisationRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["topics", "lag"]) == 0

    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == [
        "TOPIC",
        "READ",
        "BY",
        "GROUP",
        "COMMITTED",
        "END",
        "OFFSETS",
        "BEHIND",
    ]
    readers = {tuple(row.split()[:3]) for row in rows}
    assert readers == {
        (topic, reader, group)
        for organisation in registry
        for topic, reader, group in (
            (f"saattaja.{organisation.id}.outbox", "router", "saattaja-router"),
            (
                f"saattaja.{organisation.id}.inbox",
                organisation.id,
                f"saattaja-adapter-{organisation.id}",
            ),
        )
    }


@pytest.mark.kafka
@pytest.mark.usefixtures("created_topics")
def test_topics_lag_reads_an_adapter_on_the_group_named_for_it(
    registry: OrganisationRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["topics", "lag", "--format", "jsonl", "--adapter-group", "kela=kela-own"]) == 0

    groups = {
        position["topic"]: position["group"]
        for position in map(json.loads, capsys.readouterr().out.splitlines())
    }
    assert groups["saattaja.kela.inbox"] == "kela-own"
    assert groups["saattaja.kela.outbox"] == "saattaja-router"
    others = [organisation.id for organisation in registry if organisation.id != "kela"]
    assert all(groups[f"saattaja.{id_}.inbox"] == f"saattaja-adapter-{id_}" for id_ in others)


@pytest.mark.kafka
@pytest.mark.usefixtures("created_topics")
def test_topics_lag_as_json_lines_gives_each_partitions_offsets(
    registry: OrganisationRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["topics", "lag", "--format", "jsonl"]) == 0

    positions = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(positions) == 2 * len(registry)
    for position in positions:
        assert position.keys() == {"topic", "reader", "group", "committed", "ends", "behind"}
        assert len(position["committed"]) == len(position["ends"]) >= 1


@pytest.mark.kafka
def test_up_with_a_cluster_configured_only_provisions_topics(
    kafka_bootstrap: str, cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", kafka_bootstrap)
    assert main(["up"]) == 0
    output = capsys.readouterr().out
    assert f"Using the Kafka cluster at {kafka_bootstrap}" in output
    assert "saattaja.kela.outbox" in output


@pytest.mark.kafka
def test_up_on_a_taken_port_reports_it_and_returns_1(
    cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        assert main(["up", "--host", "127.0.0.1", "--port", str(port)]) == 1
    assert f"port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err


def _up_environment(registry_file: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a `saattaja up` child: no SAATTAJA_* of the caller's shell."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SAATTAJA_")},
        "SAATTAJA_REGISTRY_FILE": str(registry_file),
        "SAATTAJA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'up.sqlite'}",
        "SAATTAJA_PSEUDONYM_SECRET": "cli-tests-pseudonym-secret-0123456789ab",
        # The embedded broker's first join takes about half the session timeout.
        "SAATTAJA_ROUTER_SESSION_TIMEOUT_MS": "2000",
        "SAATTAJA_AUDIT_STREAM_SESSION_TIMEOUT_MS": "2000",
    }


@linux_only
@pytest.mark.kafka
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_up_serves_a_second_process_and_stops_cleanly_on_a_signal(
    registry_file: Path,
    registry: OrganisationRegistry,
    stop_signal: signal.Signals,
    tmp_path: Path,
) -> None:
    environment = _up_environment(registry_file, tmp_path)
    up = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _RUN_MAIN,
        "up",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    try:
        assert up.stdout is not None
        banner = await asyncio.wait_for(read_until(up.stdout, "Running until Ctrl-C"), 20)
        address = re.search(
            r"Kafka-protocol broker listening on (127\.0\.0\.1:\d+) — connect kcat", banner
        )
        assert address, banner
        brokers = children_of(up.pid)
        assert len(brokers) == 1

        lister = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _RUN_MAIN,
            "topics",
            "list",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**environment, "SAATTAJA_KAFKA_BOOTSTRAP": address[1]},
        )
        listing, errors = await asyncio.wait_for(lister.communicate(), 20)
        assert lister.returncode == 0, errors.decode()
        for topic in topic_plan(registry):
            assert topic in listing.decode()

        up.send_signal(stop_signal)
        returncode = await asyncio.wait_for(up.wait(), 20)
        assert up.stderr is not None
        assert returncode == 0, (await up.stderr.read()).decode()
        assert not process_alive(brokers[0])
    finally:
        if up.returncode is None:
            up.kill()
            await up.wait()


@linux_only
@pytest.mark.kafka
def test_up_keeps_the_router_and_broker_when_the_audit_stream_stops_at_a_broken_chain(
    registry_file: Path, tmp_path: Path
) -> None:
    environment = _up_environment(registry_file, tmp_path)
    database_url = environment["SAATTAJA_DATABASE_URL"]
    asyncio.run(upgrade_database(database_url))
    asyncio.run(_append_decisions(database_url, 3))
    tamper(database_url, "UPDATE audit_records SET recipient = sender WHERE sequence = 2")

    returncode, errors, broker_alive = asyncio.run(_up_until_the_stream_stops(environment))

    assert "the audit stream stopped: audit chain broken at record 2" in errors
    assert "the router and the embedded broker go on" in errors
    assert broker_alive
    assert returncode == CHAIN_BROKEN_EXIT_STATUS


async def _append_decisions(database_url: str, count: int) -> None:
    engine = create_database_engine(database_url)
    try:
        await AuditLog(engine).append([entry(event_id=uuid.uuid4()) for _ in range(count)])
    finally:
        await engine.dispose()


async def _up_until_the_stream_stops(environment: dict[str, str]) -> tuple[int, str, bool]:
    """Exit status and stderr of `up` stopped by SIGTERM once its audit stream stopped; and
    whether its broker still ran just before."""
    async with up_on_any_port(environment) as up:
        assert up.stderr is not None
        said = await asyncio.wait_for(read_until(up.stderr, "the audit stream stopped"), 60)
        [broker] = children_of(up.pid)
        broker_alive = process_alive(broker) and up.returncode is None
        up.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(up.wait(), 30)
    return returncode, said, broker_alive


async def test_a_part_of_up_that_fails_is_named_with_what_it_stopped() -> None:
    async def failing() -> None:
        raise ValueError("an unexpected value")

    with pytest.raises(PartStoppedError) as raised:
        await watched_part("the audit stream", failing())

    assert str(raised.value).startswith("the audit stream failed: an unexpected value; the router")


@pytest.mark.kafka
async def test_up_ends_naming_the_router_when_its_consuming_fails(
    own_broker: EmbeddedBroker,
    registry: OrganisationRegistry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Else `up` would stay up with the broker and the audit stream, routing nothing.
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'saattaja.db'}"
    await upgrade_database(database_url)
    async with running_router(own_broker.bootstrap, database_url, registry) as (harness, router):
        break_consuming(router, monkeypatch)
        await harness.publish_raw(harness.org("sote").id, KafkaRecord(b"k", (), b"not an event"))

        with pytest.raises(PartStoppedError) as raised:
            async with asyncio.timeout(60):
                await until_shutdown(asyncio.Event(), *up_parts(own_broker, router, None))

    assert str(raised.value).startswith("the router failed: the router stopped consuming")


# The router's step after each routed batch raising, which nothing in its consuming retries
# (as break_consuming does in-process), then the command as `saattaja` runs it.
_RUN_BROKEN_ROUTER = (
    "from broker.router.metrics import RouterMetrics\n"
    "def broken(self, outcomes):\n"
    "    raise RuntimeError('counting the outcomes failed')\n"
    "RouterMetrics.handled = broken\n"
    f"{_RUN_MAIN}\n"
)


@pytest.mark.kafka
async def test_router_exits_1_when_its_consuming_fails(
    kafka_bootstrap: str, registry: OrganisationRegistry, tmp_path: Path
) -> None:
    # Else systemd would keep a process up that routes nothing, rather than start it again.
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'saattaja.db'}"
    await upgrade_database(database_url)
    async with running_router(kafka_bootstrap, database_url, registry, start_router=False) as (
        harness,
        _,
    ):
        registry_file = write_registry_file(harness.registry, tmp_path / "organisations.yaml")
        await harness.publish_raw(harness.org("sote").id, KafkaRecord(b"k", (), b"not an event"))
        environment = {
            **os.environ,
            "SAATTAJA_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "SAATTAJA_DATABASE_URL": database_url,
            "SAATTAJA_PSEUDONYM_SECRET": SECRET.decode(),
            "SAATTAJA_REGISTRY_FILE": str(registry_file),
            "SAATTAJA_ROUTER_GROUP_ID": harness.settings.router_group_id,
        }
        router = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _RUN_BROKEN_ROUTER,
            "router",
            env=environment,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(60):
                _, error = await router.communicate()
        finally:
            if router.returncode is None:
                router.kill()
                await router.wait()

    assert router.returncode == 1, error.decode()
    assert "the router stopped consuming" in error.decode()


async def read_until(output: asyncio.StreamReader, marker: str) -> str:
    """Everything the process printed up to and including the line containing ``marker``."""
    lines: list[str] = []
    while line := (await output.readline()).decode():
        lines.append(line)
        if marker in line:
            return "".join(lines)
    raise AssertionError(f"output ended before {marker!r}:\n{''.join(lines)}")


@pytest.mark.kafka
def test_topics_list_shows_the_end_offsets_grow_after_producing(
    kafka_bootstrap: str, cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", kafka_bootstrap)
    assert main(["topics", "create"]) == 0
    capsys.readouterr()

    def listed_total(topic: str) -> int:
        assert main(["topics", "list"]) == 0
        row = re.search(rf"^{re.escape(topic)} .* (\d+)$", capsys.readouterr().out, re.M)
        assert row, f"{topic} is not listed"
        return int(row[1])

    before = listed_total("saattaja.kela.outbox")
    asyncio.run(produce(kafka_bootstrap, "saattaja.kela.outbox", records=3))
    deadline = time.monotonic() + 10
    while (after := listed_total("saattaja.kela.outbox")) < before + 3:
        assert time.monotonic() < deadline, f"total stayed at {after}, expected {before + 3}"
    assert after == before + 3


async def produce(bootstrap: str, topic: str, *, records: int) -> None:
    producer = AIOKafkaProducer(**KafkaConnection(bootstrap).client_kwargs())
    await producer.start()
    try:
        for number in range(records):
            await producer.send_and_wait(topic, b"event", key=f"client-{number}".encode())
    finally:
        await producer.stop()


@asynccontextmanager
async def up_on_any_port(environment: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """`saattaja up` in a child process on a free port; killed at the end if still running."""
    up = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", _RUN_MAIN, "up", "--host", "127.0.0.1", "--port", "0"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    try:
        yield up
    finally:
        if up.returncode is None:
            up.kill()
            await up.wait()


@linux_only
@pytest.mark.kafka
async def test_up_exits_1_when_the_broker_dies_under_it(
    registry_file: Path, tmp_path: Path
) -> None:
    async with up_on_any_port(_up_environment(registry_file, tmp_path)) as up:
        assert up.stdout is not None
        assert up.stderr is not None
        await asyncio.wait_for(read_until(up.stdout, "Running until Ctrl-C"), 20)
        (broker_pid,) = children_of(up.pid)
        os.kill(broker_pid, signal.SIGKILL)
        assert await asyncio.wait_for(up.wait(), 20) == 1
        assert "exited unexpectedly with status -9" in (await up.stderr.read()).decode()


@linux_only
@pytest.mark.kafka
async def test_up_runs_the_audit_stream_which_writes_each_decision_to_the_audit_topic(
    registry_file: Path, tmp_path: Path
) -> None:
    environment = _up_environment(registry_file, tmp_path)
    async with up_on_any_port(environment) as up:
        assert up.stdout is not None
        banner = await asyncio.wait_for(read_until(up.stdout, "Running until Ctrl-C"), 20)
        address = re.search(r"listening on (127\.0\.0\.1:\d+)", banner)
        assert address, banner
        assert f"Audit stream writing the audit log to {AUDIT_TOPIC}" in banner
        engine = create_database_engine(environment["SAATTAJA_DATABASE_URL"])
        try:
            [record] = await AuditLog(engine).append([entry(event_id=uuid.uuid4())])
        finally:
            await engine.dispose()
        connection = KafkaConnection(address[1])

        async def shipped() -> bool:
            return len(await read_topic(connection, AUDIT_TOPIC)) == 1

        await eventually(shipped, within=20, what="the decision on the audit topic")
        [message] = await read_topic(connection, AUDIT_TOPIC)
        assert json.loads(message.value)["hash"] == record.hash
        up.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(up.wait(), 20) == 0


def test_version_prints_the_release_pyproject_names(capsys: pytest.CaptureFixture[str]) -> None:
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"saattaja {project['version']}\n"


def test_version_from_a_source_tree_not_installed_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def not_installed(name: str) -> str:
        raise PackageNotFoundError(name)

    monkeypatch.setattr(cli, "version", not_installed)
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith("saattaja (not installed: run from a source tree")
