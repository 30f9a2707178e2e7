"""Where routing of an outbox partition resumes: Kafka's committed offset or the database's."""

from __future__ import annotations

from broker.router.resumption import Resumption, resumption


def test_a_database_holding_what_kafka_committed_resumes_from_kafka_s_offset() -> None:
    assert resumption("t", 0, recorded=40, committed=40, beginning=0) == Resumption(
        "t", 0, 40, 40, None
    )


def test_a_database_a_batch_ahead_of_kafka_resumes_from_kafka_s_offset() -> None:
    # The batch was recorded, and the router stopped before its offsets were committed.
    assert resumption("t", 0, recorded=47, committed=40, beginning=0).start is None


def test_a_database_without_an_offset_resumes_from_kafka_s_offset() -> None:
    assert resumption("t", 0, recorded=None, committed=40, beginning=0).start is None


def test_a_database_behind_kafka_resumes_where_its_routing_ends() -> None:
    resumed = resumption("t", 1, recorded=25, committed=40, beginning=10)
    assert (resumed.start, resumed.routed_again, resumed.lost) == (25, 15, 0)


def test_a_database_behind_the_oldest_record_kafka_holds_names_the_offsets_gone() -> None:
    resumed = resumption("t", 1, recorded=5, committed=40, beginning=12)
    assert (resumed.start, resumed.routed_again, resumed.lost) == (12, 28, 7)


def test_a_group_without_offsets_resumes_from_kafka_s_reset_and_names_what_is_gone() -> None:
    resumed = resumption("t", 1, recorded=5, committed=None, beginning=12)
    assert (resumed.start, resumed.routed_again, resumed.lost) == (None, 0, 7)


def test_a_partition_is_named_as_kafka_s_tools_write_it() -> None:
    assert resumption("saattaja.sote.outbox", 3, recorded=1, committed=1, beginning=0).name == (
        "saattaja.sote.outbox-3"
    )
