"""An outbox row becomes an event: the type in either form, the envelope filled in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.sql_outbox import InvalidRowError, ddl, event_from_row, row_event_id
from adapters.sql_outbox.mapping import OutboxRow
from schemas import ReferralRequested
from tests.adapters.events import SOTE_OID, client_code, referral
from tests.adapters.sql_outbox.harness import domain_record

_CREATED = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
_IDENTITY_CODE = "020516C903K"


def row(payload: Any, event_type: str = "referral.requested", row_id: int = 7) -> OutboxRow:
    return OutboxRow(id=row_id, event_type=event_type, payload=payload, created_at=_CREATED)


def convert(outbox_row: OutboxRow) -> Any:
    return event_from_row(outbox_row, sender_oid=SOTE_OID, table="saattaja_outbox")


def test_the_short_and_the_full_event_type_give_the_same_event() -> None:
    payload = domain_record(referral(client_code(70)))
    short = convert(row(payload, "referral.requested"))
    full = convert(row(payload, "fi.saattaja.referral.requested.v1"))
    assert isinstance(short, ReferralRequested)
    assert short == full


def test_a_row_without_an_envelope_gets_this_organisation_a_stable_id_and_its_time() -> None:
    event = convert(row(domain_record(referral(client_code(71)))))
    assert event.sender == SOTE_OID
    assert event.event_id == row_event_id(SOTE_OID, "saattaja_outbox", 7)
    assert event.occurred_at == _CREATED


def test_each_row_gets_an_event_id_of_its_own() -> None:
    payload = domain_record(referral(client_code(72)))
    assert convert(row(payload, row_id=1)).event_id != convert(row(payload, row_id=2)).event_id


def test_a_row_keeps_the_event_id_and_time_its_system_gave() -> None:
    original = referral(client_code(73))
    assert convert(row(original.model_dump(mode="json"))) == original


def test_a_payload_stored_as_json_text_is_read_too() -> None:
    original = referral(client_code(74))
    assert convert(row(original.model_dump_json())) == original


def test_a_payload_that_is_not_an_object_is_refused_in_words() -> None:
    with pytest.raises(InvalidRowError, match="payload is a JSON list, not an object"):
        convert(row([1, 2]))


def test_the_ddl_is_there_for_both_databases_and_only_for_them() -> None:
    assert "BIGSERIAL" in ddl("postgresql")
    assert "WHERE sent_at IS NULL AND error IS NULL" in ddl("sqlite")
    with pytest.raises(ValueError, match="use postgresql or sqlite"):
        ddl("oracle")


def test_an_unknown_event_type_is_refused_naming_only_the_types_an_organisation_publishes() -> None:
    with pytest.raises(InvalidRowError) as caught:
        convert(row(domain_record(referral(client_code(71))), event_type="referral.sent"))
    assert "referral.requested" in str(caught.value)
    assert "referral.expired" not in str(caught.value)


# What a row holds is not quoted back in its error: it may be personal data.


def test_an_event_type_that_may_be_personal_data_is_refused_without_quoting_it() -> None:
    with pytest.raises(
        InvalidRowError, match=r"^event_type a value of 11 characters .* is not in the Saattaja"
    ) as caught:
        convert(row(domain_record(referral(client_code(75))), event_type=_IDENTITY_CODE))
    assert _IDENTITY_CODE not in str(caught.value)


def test_a_created_at_that_may_be_personal_data_is_refused_without_quoting_it() -> None:
    outbox_row = OutboxRow(
        id=7, event_type="referral.requested", payload={}, created_at=_IDENTITY_CODE
    )
    with pytest.raises(InvalidRowError, match=r"^created_at a value of 11 characters") as caught:
        convert(outbox_row)
    assert _IDENTITY_CODE not in str(caught.value)


def test_a_payload_value_pydantic_would_quote_is_refused_without_quoting_it() -> None:
    payload = {"client": client_code(76), "assessment": {"method": _IDENTITY_CODE}}
    with pytest.raises(InvalidRowError, match="assessment: 'method' is a value of 11") as caught:
        convert(row(payload, event_type="assessment.recorded"))
    assert _IDENTITY_CODE not in str(caught.value)
