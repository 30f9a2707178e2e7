"""The disclosure report tells one client who received what about them, and what was refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Final

import pytest

from consent.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditRecord,
    ChainAnchor,
    ChainProblem,
    ChainProblemKind,
    VerificationResult,
    disclosure_report,
)
from consent.errors import AuditChainBrokenError, InvalidAuditEntryError
from schemas import DataCategory
from tests.consent.audit.entries import (
    CLIENT,
    HOUR,
    KELA,
    OTHER_PSEUDONYM,
    PLAN,
    PSEUDONYM,
    SOTE,
    T0,
    TYOLLISYYS,
    TYP,
    entry,
    refusal,
)

NAMES: Final = {
    SOTE: "Etelä-Karjalan hyvinvointialue",
    KELA: "Kansaneläkelaitos (Kela)",
    TYOLLISYYS: "Lappeenrannan työllisyysalue",
}
LAWS: Final = {"typ-381-2023": "Laki työllistymistä edistävästä monialaisesta yhteispalvelusta"}
NOW: Final = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def chained(*entries: AuditEntry) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    previous = GENESIS_HASH
    for sequence, decision in enumerate(entries, start=1):
        records.append(AuditRecord.chained(decision, sequence=sequence, previous_hash=previous))
        previous = records[-1].hash
    return records


def report(records: list[AuditRecord]) -> str:
    return disclosure_report(
        records, client=PSEUDONYM, organisations=NAMES, legal_bases=LAWS, generated_at=NOW
    )


@pytest.fixture
def records() -> list[AuditRecord]:
    """A referral to Kela (consent, a document removed), a refused plan, a statutory one."""
    referral = uuid.uuid4()
    return chained(
        entry(event_id=referral, recipient=KELA, removed=("EKHVA-TT-1",)),
        refusal(
            recipient=TYOLLISYYS,
            event_type=PLAN,
            category=DataCategory.PLAN,
            decided_at=T0 + HOUR,
        ),
        entry(
            recipient=TYP,
            reason="statutory-basis",
            basis="typ-381-2023",
            decided_at=T0 + 2 * HOUR,
        ),
    )


def test_report_names_each_recipient_with_what_it_received_and_on_what_basis(
    records: list[AuditRecord],
) -> None:
    text = report(records)

    kela = text.index(f"Kansaneläkelaitos (Kela) ({KELA})")
    assert "Received 1 event about the client" in text[kela:]
    assert "2026-03-02 11:00 +02:00  referral requested (referral), from Etelä-Karjalan" in text
    assert "on the basis of: the client's consent (suostumus) C-1" in text
    assert "removed before it was sent: EKHVA-TT-1" in text


def test_report_gives_times_in_finnish_time_and_says_so(records: list[AuditRecord]) -> None:
    lines = report(records).splitlines()

    assert lines[2] == (
        "Produced 2026-04-01 15:00 +03:00 from the Saattaja audit log. "
        "Times are Finnish time (Europe/Helsinki), each with its offset from UTC."
    )


def test_report_names_a_statutory_basis_with_its_law(records: list[AuditRecord]) -> None:
    text = report(records)

    assert f"{TYP}\n" in text  # no name in the mapping: the OID stands in
    assert f"the law, without consent: {LAWS['typ-381-2023']} (statutory basis typ-381" in text


def test_report_names_refusals_and_why(records: list[AuditRecord]) -> None:
    text = report(records)

    employment = text.index(f"Lappeenrannan työllisyysalue ({TYOLLISYYS})")
    assert "Not sent 1 event:" in text[employment:]
    assert "plan created (plan)" in text[employment:]
    assert "why not: the client refused this disclosure (kielto); see refusal K-1" in text


def test_report_sums_up_what_was_sent_and_refused(records: list[AuditRecord]) -> None:
    assert "In short: 2 events sent to 2 organisations; 1 event not sent to 1 organisation." in (
        report(records)
    )


def test_report_counts_an_event_sent_to_several_organisations_once_beside_its_deliveries() -> None:
    referral, plan = uuid.uuid4(), uuid.uuid4()
    shown = report(
        chained(
            entry(event_id=referral, recipient=KELA),
            entry(event_id=referral, recipient=TYP),
            entry(event_id=referral, recipient=TYOLLISYYS),
            entry(event_id=plan, recipient=KELA, event_type=PLAN, category=DataCategory.PLAN),
        )
    )

    assert "In short: 4 deliveries of 2 events to 3 organisations; none refused." in (
        shown.splitlines()
    )


def test_report_counts_an_event_refused_to_several_organisations_once_beside_its_deliveries() -> (
    None
):
    plan = uuid.uuid4()
    shown = report(
        chained(refusal(event_id=plan, recipient=KELA), refusal(event_id=plan, recipient=TYP))
    )

    assert (
        "In short: no event sent; 2 deliveries of 1 event refused to 2 organisations."
        in shown.splitlines()
    )


def test_report_contains_no_identity_code(records: list[AuditRecord]) -> None:
    text = report(records)

    assert CLIENT not in text
    assert PSEUDONYM in text


def test_report_of_a_client_without_records_says_nothing_was_passed_on() -> None:
    assert "Nothing is on record" in report([])


def test_report_refuses_a_chain_that_does_not_verify(records: list[AuditRecord]) -> None:
    broken = VerificationResult(
        checked=1,
        last_hash=records[0].hash,
        problem=ChainProblem(2, ChainProblemKind.ALTERED, "its fields do not give its hash"),
    )

    with pytest.raises(AuditChainBrokenError, match="broken at record 2"):
        disclosure_report(
            records, client=PSEUDONYM, organisations=NAMES, generated_at=NOW, verified=broken
        )


def test_report_of_an_empty_log_says_its_chain_was_checked_and_holds_nothing() -> None:
    empty = VerificationResult(checked=0, last_hash=GENESIS_HASH, last_sequence=0)

    shown = disclosure_report(
        [], client=PSEUDONYM, organisations=NAMES, generated_at=NOW, verified=empty
    )

    assert "The audit log's hash chain was checked: it holds no record yet." in shown


def test_report_without_anchors_says_none_was_given_to_check_the_chain_against(
    records: list[AuditRecord],
) -> None:
    whole = VerificationResult(checked=4, last_hash="ab" * 32, last_sequence=4)

    shown = disclosure_report(
        records, client=PSEUDONYM, organisations=NAMES, generated_at=NOW, verified=whole
    )

    assert "No anchor kept outside the database was given to check it against." in shown


def test_report_names_the_anchors_its_chain_was_checked_against(
    records: list[AuditRecord],
) -> None:
    whole = VerificationResult(checked=4, last_hash="ab" * 32, last_sequence=4)
    noted = [ChainAnchor(2, "cd" * 32), ChainAnchor(4, "ab" * 32), ChainAnchor(2, "cd" * 32)]

    shown = disclosure_report(
        records,
        client=PSEUDONYM,
        organisations=NAMES,
        generated_at=NOW,
        verified=whole,
        anchors=noted,
    )

    assert (
        f"The anchors kept outside the database were found unchanged: 2:{'cd' * 32}, 4:{'ab' * 32}."
    ) in shown.splitlines()


def test_report_refuses_records_about_another_client(records: list[AuditRecord]) -> None:
    other = chained(entry(client=OTHER_PSEUDONYM))

    with pytest.raises(InvalidAuditEntryError, match="another client"):
        report([*records, *other])


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("own-data", "none needed: the organisation's own record, returned to it"),
        ("handover", "none needed: a list of what follows the client here"),
    ],
)
def test_report_says_in_words_why_a_permit_needed_no_consent(reason: str, said: str) -> None:
    shown = report(chained(entry(recipient=KELA, reason=reason, basis=None)))
    assert f"on the basis of: {said}" in shown
    assert "no basis recorded" not in shown


def test_report_tells_a_handover_as_the_organisation_beginning_to_work_with_the_client() -> None:
    shown = report(chained(entry(recipient=KELA, handover=str(uuid.uuid4()))))

    assert (
        "      handed over with the client's earlier records when this organisation began "
        "working with them"
    ) in shown.splitlines()
    assert "moved" not in shown


def package(*, sender: str, recipient: str) -> AuditEntry:
    """A handover package's decision, as the router records it."""
    return entry(
        sender=sender,
        recipient=recipient,
        reason="handover",
        basis=None,
        event_type="fi.saattaja.handover.package.v1",
        category=DataCategory.CASE,
    )


def test_report_tells_a_handover_package_as_put_together_when_the_sender_handed_over() -> None:
    shown = report(chained(package(sender=SOTE, recipient=KELA)))

    assert (
        "handover package (case management), put together by Saattaja when "
        "Etelä-Karjalan hyvinvointialue handed the client over"
    ) in shown


def test_report_never_tells_a_handover_package_as_from_its_own_recipient() -> None:
    # An organisation naming its own case manager, new to the client's care network.
    shown = report(chained(package(sender=KELA, recipient=KELA)))

    assert (
        "handover package (case management), put together by Saattaja when this "
        "organisation began working with the client"
    ) in shown
    assert "from Kansaneläkelaitos" not in shown


def test_report_shows_a_line_break_in_a_senders_identifier_escaped() -> None:
    text = report(
        chained(
            entry(recipient=KELA, basis="C-1\nRemoved: nothing", removed=('A;B,"ö"\nx',)),
            entry(
                recipient=TYOLLISYYS,
                decision="deny",
                reason="refused",
                basis="K-1\r\nwhy not: none",
                decided_at=T0 + HOUR,
            ),
        )
    )

    lines = text.splitlines()
    assert "      on the basis of: the client's consent (suostumus) C-1\\nRemoved: nothing" in lines
    assert '      removed before it was sent: A;B,"ö"\\nx' in lines
    assert (
        "      why not: the client refused this disclosure (kielto); see refusal "
        "K-1\\r\\nwhy not: none"
    ) in lines


@pytest.mark.parametrize(
    ("decided", "said"),
    [
        ([entry(recipient=KELA)], "In short: 1 event sent to 1 organisation; none refused."),
        ([refusal(recipient=KELA)], "In short: no event sent; 1 event not sent to 1 organisation."),
    ],
    ids=["nothing refused", "nothing sent"],
)
def test_report_sums_up_without_counting_zero_organisations(
    decided: list[AuditEntry], said: str
) -> None:
    assert said in report(chained(*decided)).splitlines()


def test_report_orders_organisations_by_name_whatever_their_case() -> None:
    names = {KELA: "Kansaneläkelaitos", TYOLLISYYS: "aikuisten työllisyyspalvelut"}
    text = disclosure_report(
        chained(entry(recipient=KELA), entry(recipient=TYOLLISYYS, decided_at=T0 + HOUR)),
        client=PSEUDONYM,
        organisations=names,
        generated_at=NOW,
    )

    assert text.index("aikuisten työllisyyspalvelut") < text.index("Kansaneläkelaitos")
