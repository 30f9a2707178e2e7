"""The notice a sender gets for a rejected event: in its inbox, keyed as the event was."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from broker.router.dead_letter import rejection_notice
from broker.router.incoming import IncomingRecord
from schemas import KafkaRecord
from tests.router.harness import PSEUDONYMISER

SOTE_OID: Final = "1.2.246.10.32213051.10.1"
AT: Final = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _notice_for_key(key: bytes) -> KafkaRecord:
    record = KafkaRecord(key=key, headers=(("ce_id", b"x"),), value=b"{")
    incoming = IncomingRecord("saattaja.sote.outbox", 0, 7, record)
    return rejection_notice(incoming, "value is not JSON", AT, SOTE_OID)


def test_a_notice_is_keyed_by_the_pseudonym_its_event_was_keyed_by() -> None:
    pseudonym = PSEUDONYMISER.pseudonym("150388-9127").encode()
    assert _notice_for_key(pseudonym).key == pseudonym


def test_a_notice_for_an_event_keyed_by_an_identity_code_is_not_keyed_by_it() -> None:
    assert _notice_for_key(b"150388-9127").key == b""
