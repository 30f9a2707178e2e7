"""Log set-up: one format for our events and for the libraries' standard-library records."""

from __future__ import annotations

import io
import json
import logging

import structlog

from broker.logging import configure_logging


def test_json_format_writes_one_json_object_per_event() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    structlog.get_logger("broker.test").info("topics_provisioned", created=["saattaja.dlq"])
    logging.getLogger("aiokafka").warning("library %s", "record")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["event"] == "topics_provisioned"
    assert first["created"] == ["saattaja.dlq"]
    assert first["level"] == "info"
    assert (second["event"], second["logger"]) == ("library record", "aiokafka")


def test_console_format_off_a_terminal_has_no_colour_codes() -> None:
    stream = io.StringIO()
    configure_logging("console", stream=stream)
    structlog.get_logger("broker.test").info("embedded_broker_started", pid=42)
    line = stream.getvalue()
    assert "embedded_broker_started" in line
    assert "pid=42" in line
    assert "\x1b[" not in line


def test_configuring_again_replaces_the_handler_rather_than_adding_one() -> None:
    before = len(logging.getLogger().handlers)
    configure_logging("console", stream=io.StringIO())
    configure_logging("json", stream=io.StringIO())
    assert len(logging.getLogger().handlers) == before + 1
