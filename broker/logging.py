"""Log set-up, done once per process by ``saattaja`` main().

structlog renders our events and, through the same formatter, the standard-library records of
aiokafka and FastStream, so one process writes one format: JSON lines for log collectors
(``SAATTAJA_LOG_FORMAT=json``), readable lines otherwise, coloured only on a terminal.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal, TextIO

import structlog
from structlog.typing import Processor

__all__ = ["LogFormat", "RepeatedRecordFilter", "configure_logging"]

LogFormat = Literal["console", "json"]

_HANDLER_NAME: Final = "saattaja"


_KAFKA_CLIENT: Final = "aiokafka"
_CHATTY_LIBRARIES = ("alembic", _KAFKA_CLIENT)
# aiokafka logs an error at every reconnection attempt: some seventy lines a second while
# Kafka is gone, which buries the router's own `routing_paused` line and fills the journal.
_REPEATS_EVERY_SECONDS: Final = 60.0
_LEFT_OUT_FIELD: Final = "repeats_left_out"


@dataclass(slots=True)
class _Seen:
    since: float
    left_out: int = 0


class RepeatedRecordFilter(logging.Filter):
    """Lets one record of each kind from the given libraries through per ``every`` seconds.

    A kind is the logger, the level and the message before its arguments are put in, so
    "Unable connect to node with id %s" is one kind whatever the node. The record that
    opens the next period carries how many were left out (``repeats_left_out``).
    """

    def __init__(
        self,
        libraries: tuple[str, ...],
        every: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._prefixes = tuple(f"{library}." for library in libraries)
        self._libraries = libraries
        self._every = every
        self._clock = clock
        self._seen: dict[tuple[str, int, str], _Seen] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether to write ``record``; the first of its kind in a period is."""
        name = record.name
        if name not in self._libraries and not name.startswith(self._prefixes):
            return True
        key = (name, record.levelno, str(record.msg))
        now = self._clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen.since < self._every:
            seen.left_out += 1
            return False
        if seen is not None and seen.left_out:
            setattr(record, _LEFT_OUT_FIELD, seen.left_out)
        self._seen[key] = _Seen(now)
        return True


def configure_logging(
    log_format: LogFormat = "console",
    *,
    level: int = logging.INFO,
    stream: TextIO | None = None,
    one_shot: bool = False,
) -> None:
    """Send every log record to ``stream`` (standard error) in ``log_format``.

    ``one_shot``: a command that does one thing and exits, reporting a failure in one line
    of its own; aiokafka's records, which that line says again, are left out. Long-running
    commands keep them: their operators read the logs.

    Calling it again replaces the earlier set-up rather than adding a second handler.
    """
    stream = stream if stream is not None else sys.stderr
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=_is_terminal(stream))
    structlog.configure(
        # Below-level events are dropped before any processor runs: a busy router's info
        # lines cost nothing when the level is warning.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: tests swap the configuration (structlog.testing.capture_logs).
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RepeatedRecordFilter(_CHATTY_LIBRARIES, _REPEATS_EVERY_SECONDS))
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(allow=(_LEFT_OUT_FIELD,))],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Their INFO lines narrate routine steps (a migration context opened, a consumer group
    # joined); warnings and errors still show.
    for chatty in _CHATTY_LIBRARIES:
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
    if one_shot:
        # Above CRITICAL: "Unable connect to ..." is an error, and the command's own line
        # names the bootstrap and what to check.
        logging.getLogger(_KAFKA_CLIENT).setLevel(logging.CRITICAL + 1)


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
