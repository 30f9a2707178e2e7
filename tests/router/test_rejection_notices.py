"""The notice a sender gets for a rejected event: in its inbox, keyed as the event was."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from broker.router.dead_letter import rejection_notice
from broker.router.incoming import IncomingRecord
from schemas import KafkaRecord, RejectionNotice
from tests.router.harness import PSEUDONYMISER

SOTE_OID: Final = "1.2.246.10.32213051.10.1"
AT: Final = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _notice_for_key(key: bytes) -> KafkaRecord:
    record = KafkaRecord(key=key, headers=(("ce_id", b"x"),), value=b"{")
    incoming = IncomingRecord("saattaja.sote.outbox", 0, 7, record)
    return rejection_notice(incoming, "value is not JSON", AT, SOTE_OID)


def _notice_id(offset: int = 7, value: bytes = b"{", at: datetime = AT) -> str:
    record = KafkaRecord(key=b"", headers=(("ce_id", b"x"),), value=value)
    incoming = IncomingRecord("saattaja.sote.outbox", 0, offset, record)
    notice = rejection_notice(incoming, "value is not JSON", at, SOTE_OID)
    return str(RejectionNotice.decode(notice).notice_id)


def test_a_record_rejected_again_gets_a_notice_of_the_same_id() -> None:
    # Routed again after a crash: the sender's adapter takes an event id once.
    assert _notice_id() == _notice_id(at=datetime(2026, 3, 2, 9, 5, tzinfo=UTC))


def test_records_at_other_positions_get_notices_of_their_own() -> None:
    assert _notice_id(offset=7) != _notice_id(offset=8)


def test_another_record_at_a_position_used_before_gets_a_notice_of_its_own() -> None:
    # A Kafka that came back empty numbers its records from 0 again.
    assert _notice_id(value=b"{") != _notice_id(value=b"[")


def test_a_notice_is_keyed_by_the_pseudonym_its_event_was_keyed_by() -> None:
    pseudonym = PSEUDONYMISER.pseudonym("150388-9127").encode()
    assert _notice_for_key(pseudonym).key == pseudonym


def test_a_notice_for_an_event_keyed_by_an_identity_code_is_not_keyed_by_it() -> None:
    assert _notice_for_key(b"150388-9127").key == b""
