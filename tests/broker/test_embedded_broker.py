"""The embedded broker: starts, answers Kafka, stops, and never outlives its parent."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog.testing

from broker.embedded import EmbeddedBroker, free_port
from broker.errors import EmbeddedBrokerError
from broker.kafka import KafkaConnection, open_admin
from tests.broker.conditions import eventually, process_alive

pytestmark = pytest.mark.kafka
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux-only"
)
HOST = "127.0.0.1"


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port with a live listener on it, as another broker would hold it."""
    with socket.create_server((HOST, 0)) as listener:
        yield listener.getsockname()[1]


def fake_broker(directory: Path, body: str) -> Path:
    """A stand-in for the tansu binary, to make it misbehave on purpose."""
    script = directory / "fake-tansu"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return script


async def test_started_broker_answers_kafka_and_its_process_is_gone_after_stop() -> None:
    broker = EmbeddedBroker(HOST, 0)
    bootstrap = await broker.start()
    pid = broker.pid
    assert pid is not None
    try:
        assert broker.running
        async with open_admin(KafkaConnection(bootstrap, embedded=True)) as admin:
            assert isinstance(await admin.list_topics(), list)
    finally:
        await broker.stop()
    assert not broker.running
    assert broker.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_port_zero_listens_on_a_port_chosen_at_start() -> None:
    async with EmbeddedBroker(HOST, 0) as broker:
        assert broker.port != 0
        assert broker.bootstrap == f"{HOST}:{broker.port}"


async def test_stopping_twice_is_harmless() -> None:
    broker = EmbeddedBroker(HOST, 0)
    await broker.start()
    await broker.stop()
    await broker.stop()
    assert not broker.running


async def test_starting_a_started_broker_is_refused() -> None:
    async with EmbeddedBroker(HOST, 0) as broker:
        with pytest.raises(EmbeddedBrokerError, match="already started"):
            await broker.start()


async def test_port_in_use_raises_saying_so_and_what_to_do(taken_port: int) -> None:
    broker = EmbeddedBroker(HOST, taken_port)
    with pytest.raises(EmbeddedBrokerError, match=rf"port {taken_port} .* already in use.*--port"):
        await broker.start()
    assert broker.pid is None


async def test_broker_exiting_during_start_raises_with_its_last_output(tmp_path: Path) -> None:
    binary = fake_broker(tmp_path, 'echo "err=Io(Os { kind: AddrInUse })"; exit 0')
    broker = EmbeddedBroker(HOST, 0, binary=binary)
    with pytest.raises(EmbeddedBrokerError) as caught:
        await broker.start()
    message = str(caught.value)
    assert "exited during start with status 0" in message
    assert "already in use" in message
    assert "AddrInUse" in message


@linux_only
async def test_broker_not_answering_in_time_is_stopped_and_reported(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    binary = fake_broker(tmp_path, f"echo $$ > {pid_file}; echo 'starting slowly'; exec sleep 60")
    broker = EmbeddedBroker(HOST, 0, binary=binary, start_timeout=0.5)
    with pytest.raises(
        EmbeddedBrokerError, match=r"(?s)did not answer .* within 0\.5 s.*starting slowly"
    ):
        await broker.start()
    assert not process_alive(int(pid_file.read_text()))


@linux_only
async def test_broker_dies_when_its_parent_is_killed() -> None:
    parent_code = textwrap.dedent(
        """
        import asyncio
        from broker.embedded import EmbeddedBroker

        async def main() -> None:
            broker = EmbeddedBroker("127.0.0.1", 0)
            await broker.start()
            print(f"broker-pid={broker.pid}", flush=True)
            await asyncio.Event().wait()

        asyncio.run(main())
        """
    )
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", parent_code, stdout=asyncio.subprocess.PIPE
    )
    assert parent.stdout is not None
    broker_pid = 0
    try:
        broker_pid = await asyncio.wait_for(read_broker_pid(parent.stdout), timeout=20)
        assert process_alive(broker_pid)
        parent.kill()  # SIGKILL: no Python cleanup runs in the parent
        await parent.wait()
        await eventually(
            lambda: not process_alive(broker_pid), within=10, what="orphaned broker still runs"
        )
    finally:
        if parent.returncode is None:
            parent.kill()
            await parent.wait()
        if broker_pid and process_alive(broker_pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(broker_pid, signal.SIGKILL)


async def read_broker_pid(output: asyncio.StreamReader) -> int:
    """The pid the child prints, skipping its log lines."""
    while line := (await output.readline()).decode():
        if line.startswith("broker-pid="):
            return int(line.removeprefix("broker-pid="))
    raise AssertionError("the parent process exited without printing the broker's pid")


def test_free_port_returns_a_port_nobody_listens_on() -> None:
    port = free_port(HOST)
    with socket.create_server((HOST, port)):
        pass


async def test_watch_raises_when_the_broker_dies_on_its_own() -> None:
    async with EmbeddedBroker(HOST, 0) as broker:
        assert broker.pid is not None
        os.kill(broker.pid, signal.SIGKILL)
        with pytest.raises(EmbeddedBrokerError, match=r"exited unexpectedly with status -9"):
            await asyncio.wait_for(broker.watch(), timeout=10)


async def test_start_and_stop_are_logged_with_the_pid() -> None:
    with structlog.testing.capture_logs() as logs:
        async with EmbeddedBroker(HOST, 0) as broker:
            pid = broker.pid
    events = [(log["event"], log.get("pid")) for log in logs]
    assert events == [("embedded_broker_started", pid), ("embedded_broker_stopped", pid)]
