"""The broker child process: started so that it can never outlive the Saattaja process.

Three layers, because each covers a way of dying the others miss:
- ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` (Linux): the kernel kills the child when its parent
  dies, even by SIGKILL or a crash, where no Python code runs. The signal follows the
  *thread* that forked the child, so spawn from a long-lived thread (the event loop's).
- its own process group: a Ctrl-C in the terminal reaches Saattaja alone, which then stops
  the broker in order; and one killpg reaches anything the broker may fork.
- an ``atexit`` hook for a normal interpreter exit that skipped ``stop()``; on systems
  without PR_SET_PDEATHSIG (macOS) it is the only layer besides ``stop()``.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import IO, Final

__all__ = ["forget", "kill_now", "signal_group", "spawn"]

_PR_SET_PDEATHSIG: Final = 1
_EXIT_GRACE_SECONDS: Final = 2.0

_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()
_atexit_registered = False


def spawn(argv: Sequence[str], output: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own process group, bound to die with this process."""
    process = subprocess.Popen(  # noqa: S603 - argv is our own broker binary and flags, no shell
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
        process_group=0,
        # preexec_fn is unsafe only when it takes locks another thread may hold; this one
        # makes one system call through a function resolved before the fork.
        preexec_fn=_die_with_parent(),  # noqa: PLW1509
    )
    _track(process)
    return process


def signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Send ``signum`` to the child's process group, unless the child is gone."""
    if process.poll() is not None:
        return  # its pid may already belong to someone else
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def kill_now(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's group and reap it: for failed starts and the exit hook."""
    signal_group(process, signal.SIGKILL)
    process.wait()
    forget(process)


def forget(process: subprocess.Popen[bytes]) -> None:
    """The child has been reaped: the exit hook need not look after it any more."""
    with _live_lock:
        _live.discard(process)


def _die_with_parent() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    parent = os.getpid()

    def preexec() -> None:
        if prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        # The parent may have died between fork and prctl; then nobody would ever signal us.
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def _track(process: subprocess.Popen[bytes]) -> None:
    global _atexit_registered  # noqa: PLW0603 - one hook per interpreter, registered on first use
    with _live_lock:
        _live.add(process)
        if not _atexit_registered:
            atexit.register(_stop_leftovers)
            _atexit_registered = True


def _stop_leftovers() -> None:
    with _live_lock:
        leftovers = list(_live)
    for process in leftovers:
        signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=_EXIT_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            signal_group(process, signal.SIGKILL)
            process.wait()
        forget(process)
