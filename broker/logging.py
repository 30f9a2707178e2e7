"""Log set-up, done once per process by ``saattaja`` main().

structlog renders our events and, through the same formatter, the standard-library records of
aiokafka and FastStream, so one process writes one format: JSON lines for log collectors
(``SAATTAJA_LOG_FORMAT=json``), readable lines otherwise, coloured only on a terminal.
"""

from __future__ import annotations

import logging
import sys
from typing import Final, Literal, TextIO

import structlog
from structlog.typing import Processor

__all__ = ["LogFormat", "configure_logging"]

LogFormat = Literal["console", "json"]

_HANDLER_NAME: Final = "saattaja"


_CHATTY_LIBRARIES = ("alembic", "aiokafka")


def configure_logging(
    log_format: LogFormat = "console", *, level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Send every log record to ``stream`` (standard error) in ``log_format``.

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
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
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


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
