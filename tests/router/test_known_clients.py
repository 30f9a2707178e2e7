"""What a router process keeps of the clients it routes: bounded, and without whole events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from broker.pathway import ClientPathway, Document
from broker.router.known_clients import ClientState, KnownClients
from consent.decisions import ClientConsents
from schemas import DataCategory, KafkaRecord

_SLOT = "assessment/kykyviisari/1.2.246.10.1234567.10.0"


def _state(client: str, *, with_record: bool = False) -> ClientState:
    pathway = ClientPathway(client)
    pathway.documents[_SLOT] = Document(
        slot=_SLOT,
        event_id=uuid.uuid4(),
        event_type="fi.saattaja.assessment.recorded.v1",
        sender="1.2.246.10.1234567.10.0",
        occurred_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        category=DataCategory.ASSESSMENT_SELF,
        document_id="A-1",
        parts=(),
        record=KafkaRecord(client.encode(), (), b"{}") if with_record else None,
    )
    return ClientState(
        pathway, frozenset({"1.2.246.10.1234567.10.0"}), ClientConsents.of(client, ())
    )


def test_a_client_never_remembered_is_not_recalled() -> None:
    known = KnownClients(10)
    known.remember({"a": _state("a")})

    assert known.recall(["a", "b"]).keys() == {"a"}


def test_the_state_remembered_is_the_state_recalled() -> None:
    known = KnownClients(10)
    state = _state("a")
    known.remember({"a": state})

    assert known.recall(["a"])["a"] is state


def test_beyond_capacity_the_client_routed_longest_ago_is_forgotten() -> None:
    known = KnownClients(2)
    known.remember({"a": _state("a"), "b": _state("b")})
    known.recall(["a"])  # routed again: b is now the one routed longest ago
    known.remember({"c": _state("c")})

    assert known.recall(["a", "b", "c"]).keys() == {"a", "c"}
    assert len(known) == 2


def test_capacity_zero_keeps_nobody() -> None:
    known = KnownClients(0)
    known.remember({"a": _state("a")})

    assert known.recall(["a"]) == {}


def test_kept_documents_do_not_hold_the_records_they_arrived_in() -> None:
    known = KnownClients(10)
    known.remember({"a": _state("a", with_record=True)})

    document = known.recall(["a"])["a"].pathway.documents[_SLOT]
    assert document.record is None
    assert document.document_id == "A-1"


def test_a_forgotten_client_is_read_again() -> None:
    known = KnownClients(10)
    known.remember({"a": _state("a"), "b": _state("b")})
    known.forget(["a"])

    assert known.recall(["a", "b"]).keys() == {"b"}


def test_clear_forgets_every_client() -> None:
    known = KnownClients(10)
    known.remember({"a": _state("a"), "b": _state("b")})
    known.clear()

    assert known.recall(["a", "b"]) == {}
    assert len(known) == 0
