"""Choosing and checking the embedded broker's TCP port before the broker is started."""

from __future__ import annotations

import errno
import socket

from broker.errors import EmbeddedBrokerError

__all__ = ["ensure_port_free", "free_port"]


def free_port(host: str) -> int:
    """A port on ``host`` that nothing listens on at this moment (the kernel's choice)."""
    try:
        with socket.create_server((host, 0)) as probe:
            port: int = probe.getsockname()[1]
    except OSError as exc:
        raise _host_error(host, exc) from exc
    return port


def ensure_port_free(host: str, port: int) -> None:
    """Raise EmbeddedBrokerError, saying what to do, when ``host:port`` is taken.

    Checked before the start, because tansu, when its port is taken, logs and exits with
    status 0, and until then our readiness probe would be answered by whoever holds the port.
    """
    try:
        # create_server sets SO_REUSEADDR, as tansu does: only a live listener makes it fail,
        # not the TIME_WAIT connections that an earlier broker on this port left behind.
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise EmbeddedBrokerError(
                f"port {port} on {host} is already in use, perhaps by another `saattaja up` or "
                "Kafka broker: stop it, or choose another port with --port or "
                "SAATTAJA_EMBEDDED_PORT"
            ) from exc
        raise _host_error(host, exc) from exc


def _host_error(host: str, exc: OSError) -> EmbeddedBrokerError:
    return EmbeddedBrokerError(
        f"cannot listen on {host} ({exc}): set SAATTAJA_EMBEDDED_HOST (or --host) to an "
        "address of this machine, such as 127.0.0.1"
    )
