"""``saattaja adapter``: unknown names are a usage error; check says what is wrong, in words."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from adapters.sdk import AdapterStore, ReceivedEvents, installed_adapters, load_adapter_settings
from adapters.sdk.store import LAYOUT_VERSION
from broker.cli import CONFIGURATION_EXIT_STATUS, main
from broker.kafka import KafkaConnection, open_admin
from broker.registry import Organisation
from broker.topics import missing_topics
from schemas import KafkaRecord
from tests.adapters.kafka import create_organisation_topics, fresh_organisation
from tests.adapters.memory_adapter import MemoryAdapter, memory_adapter_registered
from tests.conftest import write_registry_file


@pytest.fixture
def adapter_name() -> Iterator[str]:
    """The test-only adapter, registered for one test."""
    with memory_adapter_registered() as name:
        yield name


@pytest.fixture
def organisation() -> Organisation:
    """An organisation of the test's own."""
    return fresh_organisation()


@pytest.fixture
def adapter_environment(
    clean_environment: pytest.MonkeyPatch, tmp_path: Path, organisation: Organisation
) -> pytest.MonkeyPatch:
    """Every setting an adapter needs, right; a test spoils the one it is about."""
    registry_file = write_registry_file([organisation], tmp_path / "organisations.yaml")
    env = clean_environment
    env.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    env.setenv("SAATTAJA_PSEUDONYM_SECRET", "adapter-cli-tests-pseudonym-secret-012345")
    env.setenv("SAATTAJA_ADAPTER_ORGANISATION", organisation.id)
    env.setenv("SAATTAJA_ADAPTER_STATE_FILE", str(tmp_path / "state.db"))
    env.setenv("SAATTAJA_MEMORY_TEST_SOURCE_NAME", "queue")
    return env


@pytest.mark.parametrize("command", ["run", "check"])
def test_an_unknown_adapter_prints_usage_and_the_known_names_and_exits_2(
    command: str, adapter_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["adapter", command, "nosuch"]) == 2
    error = capsys.readouterr().err
    assert f"usage: saattaja adapter {command}" in error
    assert "unknown adapter 'nosuch'; known adapters: " in error
    assert adapter_name in error


def test_adapter_without_a_subcommand_prints_its_usage_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["adapter"]) == 2
    assert "usage: saattaja adapter" in capsys.readouterr().err


def test_list_names_the_registered_adapters(
    adapter_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["adapter", "list"]) == 0
    assert adapter_name in capsys.readouterr().out.splitlines()


def test_check_names_each_missing_or_wrong_variable_and_exits_1(
    adapter_name: str,
    adapter_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    adapter_environment.setenv("SAATTAJA_ADAPTER_HANDLER_ATTEMPTS", "none")
    adapter_environment.delenv("SAATTAJA_MEMORY_TEST_SOURCE_NAME")
    assert main(["adapter", "check", adapter_name]) == 1
    problems = [line for line in capsys.readouterr().out.splitlines() if line.startswith("problem")]
    assert any("SAATTAJA_ADAPTER_HANDLER_ATTEMPTS" in line for line in problems)
    assert any("SAATTAJA_MEMORY_TEST_SOURCE_NAME" in line for line in problems)


def test_check_names_a_wrong_saattaja_setting(
    adapter_name: str,
    adapter_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    adapter_environment.setenv("SAATTAJA_MAX_EVENT_BYTES", "12")
    assert main(["adapter", "check", adapter_name]) == 1
    assert "SAATTAJA_MAX_EVENT_BYTES" in capsys.readouterr().out


def test_check_names_an_organisation_missing_from_the_registry(
    adapter_name: str,
    adapter_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    adapter_environment.setenv("SAATTAJA_ADAPTER_ORGANISATION", "nobody")
    assert main(["adapter", "check", adapter_name]) == 1
    assert "SAATTAJA_ADAPTER_ORGANISATION=nobody is not in the registry" in capsys.readouterr().out


def test_check_makes_no_state_file_where_there_is_none(
    adapter_name: str,
    adapter_environment: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state_file = tmp_path / "adapters" / "new" / "adapter.db"
    adapter_environment.setenv("SAATTAJA_ADAPTER_STATE_FILE", str(state_file))
    main(["adapter", "check", adapter_name])
    assert f"ok       state file {state_file}: none yet" in capsys.readouterr().out
    assert not (tmp_path / "adapters").exists()


def test_check_names_a_state_file_the_adapter_could_not_make(
    adapter_name: str,
    adapter_environment: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    not_a_folder = tmp_path / "adapters"
    not_a_folder.write_text("a file where the state file's folder should be")
    adapter_environment.setenv("SAATTAJA_ADAPTER_STATE_FILE", str(not_a_folder / "adapter.db"))
    assert main(["adapter", "check", adapter_name]) == 1
    assert f"this user cannot make it in {not_a_folder} (not a folder" in capsys.readouterr().out


def test_run_stops_with_the_configuration_status_at_a_state_file_a_newer_saattaja_wrote(
    adapter_name: str,
    adapter_environment: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state_file = tmp_path / "state.db"
    with closing(sqlite3.connect(state_file)) as newer:
        newer.execute(f"PRAGMA user_version = {LAYOUT_VERSION + 1}")

    assert main(["adapter", "run", adapter_name]) == CONFIGURATION_EXIT_STATUS

    error = capsys.readouterr().err
    assert f"layout version {LAYOUT_VERSION + 1}, written by a newer Saattaja" in error
    assert "Run the newer version again" in error


@pytest.mark.kafka
def test_run_stops_with_the_configuration_status_while_its_topics_are_missing_and_makes_none(
    adapter_name: str,
    adapter_environment: pytest.MonkeyPatch,
    organisation: Organisation,
    kafka_bootstrap: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    adapter_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", kafka_bootstrap)
    topics = [f"saattaja.{organisation.id}.outbox", f"saattaja.{organisation.id}.inbox"]

    assert main(["adapter", "run", adapter_name]) == CONFIGURATION_EXIT_STATUS

    error = capsys.readouterr().err
    assert f"the topics {', '.join(topics)} do not exist at {kafka_bootstrap}" in error
    assert "create them with `saattaja topics create` before starting the adapter" in error
    assert asyncio.run(_missing(KafkaConnection(kafka_bootstrap), topics)) == tuple(topics)


@pytest.mark.kafka
async def test_check_passes_when_kafka_topics_state_file_and_source_are_fine(
    adapter_name: str,
    adapter_environment: pytest.MonkeyPatch,
    organisation: Organisation,
    kafka_bootstrap: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await create_organisation_topics(KafkaConnection(kafka_bootstrap), organisation)
    adapter_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", kafka_bootstrap)
    code = await _in_thread(["adapter", "check", adapter_name])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    assert not [line for line in lines if line.startswith("problem")]
    assert f"ok       kafka: topic saattaja.{organisation.id}.outbox exists" in lines
    assert f"ok       kafka: topic saattaja.{organisation.id}.inbox exists" in lines
    assert f"ok       adapter {adapter_name}: its system answers" in lines


@pytest.mark.kafka
async def test_check_reports_missing_topics_and_the_adapters_own_problems(
    adapter_name: str,
    adapter_environment: pytest.MonkeyPatch,
    organisation: Organisation,
    kafka_bootstrap: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    adapter_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", kafka_bootstrap)
    adapter_environment.setenv("SAATTAJA_MEMORY_TEST_REACHABLE", "false")
    assert await _in_thread(["adapter", "check", adapter_name]) == 1
    out = capsys.readouterr().out
    assert (
        f"problem  kafka: topic saattaja.{organisation.id}.outbox does not exist: create it "
        "with `saattaja topics create`"
    ) in out
    assert f"problem  adapter {adapter_name}: source queue does not answer" in out


@pytest.mark.kafka
async def test_check_counts_parked_events_as_a_problem_that_needs_a_person(
    adapter_name: str,
    adapter_environment: pytest.MonkeyPatch,
    organisation: Organisation,
    kafka_bootstrap: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await create_organisation_topics(KafkaConnection(kafka_bootstrap), organisation)
    adapter_environment.setenv("SAATTAJA_KAFKA_BOOTSTRAP", kafka_bootstrap)
    await _park(load_adapter_settings().state_path, _PARKED, "rejected by the handler")

    code = await _in_thread(["adapter", "check", adapter_name])

    out = capsys.readouterr().out
    assert code == 1, out
    [problem] = [line for line in out.splitlines() if line.startswith("problem")]
    assert "1 event(s) parked" in problem
    assert "`saattaja adapter parked`" in problem
    assert "`saattaja adapter retry`" in problem


class _CheckRaises(MemoryAdapter):
    """An adapter whose check() lets its system's error escape instead of returning it."""

    async def check(self) -> list[str]:
        raise sqlite3.OperationalError("unable to open database file")


@contextmanager
def _registered_as_checked(adapter_class: type[MemoryAdapter]) -> Iterator[list[MemoryAdapter]]:
    """``adapter_class`` under the name ``checked``; the list gets each one made."""
    made: list[MemoryAdapter] = []

    def factory() -> MemoryAdapter:
        made.append(adapter_class.from_environment())
        return made[-1]

    registry = installed_adapters()
    registry.register("checked", factory)
    try:
        yield made
    finally:
        registry.unregister("checked")


def test_check_reports_a_check_that_raises_as_a_problem_of_the_adapter(
    adapter_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with _registered_as_checked(_CheckRaises):
        assert main(["adapter", "check", "checked"]) == 1
    assert (
        "problem  adapter checked: its check() raised OperationalError: unable to open database "
        "file (the adapter should return each problem as a sentence saying what to fix)"
    ) in capsys.readouterr().out.splitlines()


class _CheckHangs(MemoryAdapter):
    """An adapter whose check() waits for a system that never answers, with no timeout."""

    async def check(self) -> list[str]:
        await asyncio.Event().wait()
        return []


def test_check_gives_up_on_a_check_that_does_not_finish_and_says_so(
    adapter_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter_environment.setattr("broker.cli.adapter_command._ADAPTER_CHECK_TIMEOUT_SECONDS", 0.1)
    with _registered_as_checked(_CheckHangs):
        assert main(["adapter", "check", "checked"]) == 1
    assert (
        "problem  adapter checked: its check() did not finish within 0.1 s: its system does "
        "not answer, or the adapter waits for it without a timeout of its own"
    ) in capsys.readouterr().out.splitlines()


def test_check_closes_the_adapter_it_checked(adapter_environment: pytest.MonkeyPatch) -> None:
    with _registered_as_checked(MemoryAdapter) as made:
        main(["adapter", "check", "checked"])
    [adapter] = made
    assert adapter.closed == 1


async def _missing(connection: KafkaConnection, topics: list[str]) -> tuple[str, ...]:
    async with open_admin(connection) as admin:
        return await missing_topics(admin, topics)


async def _in_thread(argv: list[str]) -> int:
    # main() runs its own event loop (asyncio.run), which cannot nest in the test's loop.
    import asyncio  # noqa: PLC0415

    return await asyncio.to_thread(main, argv)


async def _park(state_file: Path, record: KafkaRecord, reason: str) -> None:
    store = await AdapterStore.open(state_file)
    try:
        await ReceivedEvents(store).park(
            event_id="ev-1",
            record=record,
            reason=reason,
            topic="saattaja.x.inbox",
            partition=1,
            offset=7,
        )
    finally:
        await store.close()


_PARKED = KafkaRecord(key=b"k", headers=(("ce_type", b"fi.saattaja.plan.created.v1"),), value=b"{}")


def test_parked_lists_each_parked_event_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_file = tmp_path / "state.db"
    asyncio.run(_park(state_file, _PARKED, "handler failed 3 time(s): system down"))

    assert main(["adapter", "parked", "--state-file", str(state_file)]) == 0

    header, row = capsys.readouterr().out.splitlines()
    assert header.split() == ["PARKED", "(UTC)", "EVENT", "ID", "TYPE", "FROM", "RETRY", "REASON"]
    assert "ev-1" in row
    assert "fi.saattaja.plan.created.v1" in row
    assert "saattaja.x.inbox/1@7" in row
    assert row.endswith("handler failed 3 time(s): system down")


def test_parked_as_json_lines_carries_the_record_as_it_arrived(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_file = tmp_path / "state.db"
    asyncio.run(_park(state_file, _PARKED, "rejected by the handler"))

    assert main(["adapter", "parked", "--state-file", str(state_file), "--format", "jsonl"]) == 0

    [line] = capsys.readouterr().out.splitlines()
    parked = json.loads(line)
    assert (parked["event_id"], parked["offset"], parked["reason"]) == (
        "ev-1",
        7,
        "rejected by the handler",
    )
    assert KafkaRecord.from_json(parked["record"]) == _PARKED


def test_parked_reads_the_state_file_of_the_adapter_settings(
    adapter_environment: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_park(tmp_path / "state.db", _PARKED, "rejected"))

    assert main(["adapter", "parked"]) == 0

    assert "ev-1" in capsys.readouterr().out


@pytest.mark.parametrize("command", [["parked"], ["retry", "--all"]])
def test_parked_and_retry_without_the_adapters_settings_point_to_state_file_option(
    command: list[str], clean_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["adapter", *command]) == CONFIGURATION_EXIT_STATUS
    error = capsys.readouterr().err
    assert "SAATTAJA_ADAPTER_ORGANISATION" in error
    assert "or name the state file with --state-file" in error


def test_parked_refuses_a_state_file_that_is_not_there_rather_than_make_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "state.db"

    assert main(["adapter", "parked", "--state-file", str(missing)]) == CONFIGURATION_EXIT_STATUS

    assert f"no adapter state file at {missing}" in capsys.readouterr().err
    assert not missing.exists()


async def _retry_asked(state_file: Path) -> list[str | None]:
    store = await AdapterStore.open(state_file)
    try:
        parked = await ReceivedEvents(store).parked(retry_requested_only=True)
        return [event.event_id for event in parked]
    finally:
        await store.close()


def test_retry_asks_for_a_parked_event_again_by_its_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_file = tmp_path / "state.db"
    asyncio.run(_park(state_file, _PARKED, "handler failed 3 time(s): system down"))

    assert main(["adapter", "retry", "ev-1", "--state-file", str(state_file)]) == 0

    assert "Asked for 1 parked record(s) again" in capsys.readouterr().out
    assert asyncio.run(_retry_asked(state_file)) == ["ev-1"]
    assert main(["adapter", "parked", "--state-file", str(state_file)]) == 0
    assert " asked " in capsys.readouterr().out.splitlines()[1]


def test_retry_of_an_event_that_is_not_parked_asks_for_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_file = tmp_path / "state.db"
    asyncio.run(_park(state_file, _PARKED, "rejected"))

    assert main(["adapter", "retry", "ev-1", "ev-9", "--state-file", str(state_file)]) == 1

    assert "not parked in" in capsys.readouterr().err
    assert asyncio.run(_retry_asked(state_file)) == []


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        ([], "give the event ids to retry, or --all\n"),
        (["ev-1", "--all"], "give the event ids to retry, or --all, not both\n"),
    ],
    ids=["neither", "both"],
)
def test_retry_needs_event_ids_or_all_but_not_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], said: str
) -> None:
    state_file = tmp_path / "state.db"

    assert main(["adapter", "retry", *arguments, "--state-file", str(state_file)]) == 2

    error = capsys.readouterr().err
    assert "usage: saattaja adapter retry" in error
    assert error.endswith(f"error: {said}")
    assert not state_file.exists()


def test_retry_refuses_a_state_file_that_is_not_there_rather_than_make_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "state.db"

    assert (
        main(["adapter", "retry", "--all", "--state-file", str(missing)])
        == CONFIGURATION_EXIT_STATUS
    )

    assert f"no adapter state file at {missing}" in capsys.readouterr().err
    assert not missing.exists()


def test_retry_works_on_a_state_file_made_before_retries_existed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_file = tmp_path / "state.db"
    asyncio.run(_park(state_file, _PARKED, "rejected"))
    with closing(sqlite3.connect(state_file)) as older:
        older.execute("DROP TABLE adapter_retry_requests")
        older.commit()
        tables = {name for (name,) in older.execute("SELECT name FROM sqlite_master")}
    assert "adapter_retry_requests" not in tables

    assert main(["adapter", "retry", "--all", "--state-file", str(state_file)]) == 0

    assert asyncio.run(_retry_asked(state_file)) == ["ev-1"]
