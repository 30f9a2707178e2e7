"""Log set-up: one format for our events and for the libraries' standard-library records."""

from __future__ import annotations

import io
import json
import logging

import structlog

from broker.logging import RepeatedRecordFilter, configure_logging


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


def test_a_one_shot_command_leaves_out_the_kafka_clients_records() -> None:
    # Its own "no Kafka broker answers at ..." line says what aiokafka's would.
    stream = io.StringIO()
    configure_logging("console", stream=stream, one_shot=True)

    logging.getLogger("aiokafka.conn").error('Unable connect to "%s"', "127.0.0.1:9092")

    assert stream.getvalue() == ""


def test_a_one_shot_command_still_writes_saattajas_own_events() -> None:
    stream = io.StringIO()
    configure_logging("console", stream=stream, one_shot=True)

    structlog.get_logger("broker.test").warning("topics_missing")

    assert "topics_missing" in stream.getvalue()


def test_a_long_running_command_writes_the_kafka_clients_errors() -> None:
    # The router's operators read its log for what Kafka said.
    stream = io.StringIO()
    configure_logging("console", stream=stream, one_shot=True)
    configure_logging("console", stream=stream)

    logging.getLogger("aiokafka.conn").error('Unable connect to "%s"', "127.0.0.1:9092")

    assert 'Unable connect to "127.0.0.1:9092"' in stream.getvalue()


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def library_record(
    message: str = "Unable connect to node with id %s", *args: object
) -> logging.LogRecord:
    return logging.LogRecord(
        "aiokafka.conn", logging.ERROR, __file__, 1, message, args or (1,), None
    )


def test_a_library_record_repeated_within_the_period_is_left_out() -> None:
    repeats = RepeatedRecordFilter(("aiokafka",), every=60, clock=ManualClock())
    passed = [
        repeats.filter(library_record("Unable connect to node with id %s", node))
        for node in range(5)
    ]
    assert passed == [True, False, False, False, False]


def test_the_first_repeat_after_the_period_passes_counting_those_left_out() -> None:
    clock = ManualClock()
    repeats = RepeatedRecordFilter(("aiokafka",), every=60, clock=clock)
    for _ in range(4):
        repeats.filter(library_record())
    clock.now = 60.0
    record = library_record()
    assert repeats.filter(record)
    assert record.repeats_left_out == 3  # type: ignore[attr-defined]


def test_library_records_of_other_kinds_pass_each_once() -> None:
    repeats = RepeatedRecordFilter(("aiokafka",), every=60, clock=ManualClock())
    assert repeats.filter(library_record("Unable to update metadata from %s"))
    assert repeats.filter(library_record("Unable connect to node with id %s"))


def test_records_of_saattaja_itself_are_never_left_out() -> None:
    repeats = RepeatedRecordFilter(("aiokafka",), every=60, clock=ManualClock())
    ours = logging.LogRecord("broker.router.service", logging.WARNING, __file__, 1, "x", (), None)
    assert all(repeats.filter(ours) for _ in range(3))


def test_an_outage_writes_one_line_per_kind_of_library_error() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    for _ in range(100):
        logging.getLogger("aiokafka").error("Unable connect to node with id %s", 111)
    [line] = stream.getvalue().splitlines()
    assert json.loads(line)["event"] == "Unable connect to node with id 111"


def test_the_count_left_out_is_a_field_of_the_json_line() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    logging.getLogger("aiokafka").error("Unable to update metadata", extra={"repeats_left_out": 7})
    assert json.loads(stream.getvalue())["repeats_left_out"] == 7
