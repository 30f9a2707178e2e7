"""The disclosure report: what a client (GDPR art. 15) or an auditor reads about one client.

Plain English that a Finnish reader without legal training can follow: short sentences,
organisations by their registered (Finnish) names, the Finnish term beside the legal one
where clients know it (suostumus, kielto). It names the client only by pseudonym.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final

from consent.audit.fhir import rests_on_legal_basis
from consent.audit.records import AuditRecord
from consent.audit.verification import ChainAnchor, VerificationResult
from consent.decisions import ReasonCode
from consent.errors import InvalidAuditEntryError
from schemas import FINNISH_TIME_LABEL, DataCategory, finnish_time, printable

__all__ = ["disclosure_report"]

_CATEGORIES: Final = {
    DataCategory.REFERRAL: "referral",
    DataCategory.ASSESSMENT_HEALTH: "health assessment",
    DataCategory.ASSESSMENT_SOCIAL: "social assessment",
    DataCategory.ASSESSMENT_SELF: "self-assessment",
    DataCategory.PLAN: "plan",
    DataCategory.CASE: "case management",
    DataCategory.OUTCOME: "outcome of a service",
    DataCategory.CONSENT: "consent",
}

# Why an event was not sent, for the client to read; the consent or refusal it rests on
# follows in brackets when the decision names one.
# Permits that need no consent, because nothing about the client reaches a new party.
_WITHOUT_BASIS: Final[dict[str, str]] = {
    ReasonCode.OWN_DATA: "none needed: the organisation's own record, returned to it "
    "(nothing was disclosed to anyone else)",
    ReasonCode.HANDOVER: "none needed: a list of what follows the client here, each item "
    "sent only on a basis of its own, shown with that item",
}

_REFUSALS: Final[dict[str, str]] = {
    ReasonCode.REFUSED: "the client refused this disclosure (kielto)",
    ReasonCode.EXCLUDED_BY_CONSENT: "the client's consent leaves this out",
    ReasonCode.CONSENT_REVOKED: "the client had revoked the consent",
    ReasonCode.CONSENT_EXPIRED: "the consent had expired",
    ReasonCode.CONSENT_NOT_YET_VALID: "the consent was not yet valid",
    ReasonCode.PURPOSE_NOT_COVERED: "the consent is for another purpose",
    ReasonCode.CATEGORY_NOT_COVERED: "the consent does not cover this kind of information",
    ReasonCode.SOURCE_NOT_COVERED: "the consent does not cover information from this sender",
    ReasonCode.DOCUMENT_NOT_COVERED: "the consent covers other documents only",
    ReasonCode.SERVICE_TASK_NOT_COVERED: "the consent covers other services only",
    ReasonCode.RECIPIENT_NOT_COVERED: "the client's consents name other organisations only",
    ReasonCode.NO_CONSENT: "there was no consent from the client and no law that allows it",
    ReasonCode.INVALID_TRANSITION: "the referral was not in a state that allowed this answer",
}


def disclosure_report(
    records: Iterable[AuditRecord],
    *,
    client: str,
    organisations: Mapping[str, str],
    legal_bases: Mapping[str, str] | None = None,
    generated_at: datetime,
    verified: VerificationResult | None = None,
    anchors: Sequence[ChainAnchor] = (),
) -> str:
    """Who received what about ``client`` (a pseudonym), when and why; what was refused.

    Grouped by receiving organisation. ``organisations`` maps OIDs to names (an OID
    without a name is shown as it is); ``legal_bases`` maps basis ids to the law they cite.
    ``verified``: the log's chain as checked for the report, which says how far, against
    ``anchors`` (noted outside the database), which it names. Refuses
    records about anyone else, so that one client's report never shows another, and a
    chain that does not verify.
    """
    if verified is not None:
        verified.raise_if_broken()
    ordered = sorted(records, key=lambda record: record.sequence)
    for record in ordered:
        if record.client != client:
            raise InvalidAuditEntryError(
                f"audit record {record.sequence} is about another client; a disclosure "
                "report covers one client only"
            )
    writer = _Writer(organisations, legal_bases or {})
    return writer.render(ordered, client, generated_at, verified, anchors)


class _Writer:
    __slots__ = ("_bases", "_names")

    def __init__(self, names: Mapping[str, str], bases: Mapping[str, str]) -> None:
        self._names = names
        self._bases = bases

    def render(
        self,
        records: list[AuditRecord],
        client: str,
        generated_at: datetime,
        verified: VerificationResult | None,
        anchors: Sequence[ChainAnchor],
    ) -> str:
        lines = [
            "Disclosure report: what Saattaja has passed on about one client",
            f"Client (pseudonym): {client}",
            f"Produced {finnish_time(generated_at)} from the Saattaja audit log. "
            f"Times are {FINNISH_TIME_LABEL}.",
        ]
        if verified is not None:
            lines.extend(_checked(verified, anchors))
        lines.append("")
        if not records:
            lines.append(
                "Nothing is on record: Saattaja has passed no information about this client "
                "to any organisation, and has refused none."
            )
            return "\n".join(lines) + "\n"
        sent = [record for record in records if record.permitted]
        refused = [record for record in records if not record.permitted]
        summed_sent = _summed(sent, sent=True) if sent else "no event sent"
        summed_refused = _summed(refused, sent=False) if refused else "none refused"
        lines.append(f"In short: {summed_sent}; {summed_refused}.")
        by_recipient: dict[str, list[AuditRecord]] = {}
        for record in records:
            by_recipient.setdefault(record.recipient, []).append(record)
        # Casefolded, so that a name in lower case is not put after every capitalised one.
        for recipient in sorted(by_recipient, key=lambda oid: self._organisation(oid).casefold()):
            lines.append("")
            lines.extend(self._organisation_section(recipient, by_recipient[recipient]))
        return "\n".join(lines) + "\n"

    def _organisation_section(self, recipient: str, records: list[AuditRecord]) -> list[str]:
        lines = [self._organisation(recipient), "=" * len(self._organisation(recipient))]
        received = [record for record in records if record.permitted]
        refused = [record for record in records if not record.permitted]
        if received:
            lines.append(f"Received {_count(len(received), 'event')} about the client:")
            for record in received:
                lines.extend(self._event(record))
                lines.append(f"      on the basis of: {self._basis(record)}")
                if record.removed:
                    removed = ", ".join(map(printable, record.removed))
                    lines.append(f"      removed before it was sent: {removed}")
                if record.handover:
                    # The client moved nowhere: this organisation took over or joined their care.
                    lines.append(
                        "      handed over with the client's earlier records when this "
                        "organisation began working with them"
                    )
        if refused:
            lines.append(f"Not sent {_count(len(refused), 'event')}:")
            for record in refused:
                lines.extend(self._event(record))
                lines.append(f"      why not: {self._refusal(record)}")
        return lines

    def _event(self, record: AuditRecord) -> list[str]:
        return [
            f"  - {finnish_time(record.decided_at)}  {printable(_event_type(record.event_type))} "
            f"({_CATEGORIES.get(record.category, record.category.value)}), {self._origin(record)}",
            f"      event {record.event_id}, audit record {record.sequence}",
        ]

    def _origin(self, record: AuditRecord) -> str:
        sender = self._names.get(record.sender, record.sender)
        if record.reason != ReasonCode.HANDOVER:
            return f"from {sender}"
        # A package's sender is the organisation whose step handed the client over, which
        # is its recipient when it named its own case manager. What the package lists is
        # not that organisation's: each item follows with the one that recorded it.
        if record.sender == record.recipient:
            return "put together by Saattaja when this organisation began working with the client"
        return f"put together by Saattaja when {sender} handed the client over"

    def _basis(self, record: AuditRecord) -> str:
        if record.reason in _WITHOUT_BASIS:
            return _WITHOUT_BASIS[record.reason]
        if record.basis is None:
            return f"no basis recorded (reason: {printable(record.reason)})"
        basis = printable(record.basis)
        if rests_on_legal_basis(record):
            law = self._bases.get(record.basis)
            text = "the law, without consent: " + (
                f"{law} (statutory basis {basis})" if law else f"statutory basis {basis}"
            )
            if record.reason == ReasonCode.STATUTORY_BASIS_OVERRIDES_REFUSAL:
                text += ", which applies even though the client had refused (kielto)"
            return text
        if record.reason == ReasonCode.CONSENT:
            return f"the client's consent (suostumus) {basis}"
        return f"{printable(record.reason)} {basis}"

    def _refusal(self, record: AuditRecord) -> str:
        reason = _REFUSALS.get(record.reason, f"reason {record.reason!r}")
        if record.basis is None:
            return reason
        noun = "refusal" if record.reason == ReasonCode.REFUSED else "consent"
        return f"{reason}; see {noun} {printable(record.basis)}"

    def _organisation(self, oid: str) -> str:
        name = self._names.get(oid)
        return f"{name} ({oid})" if name else printable(oid)


def _checked(verified: VerificationResult, anchors: Sequence[ChainAnchor]) -> list[str]:
    anchor = verified.anchor
    if anchor is None:
        return ["The audit log's hash chain was checked: it holds no record yet."]
    checked = (
        f"The audit log's hash chain was checked up to its record {anchor.sequence} (hash "
        f"{anchor.hash}): no record up to it was changed, removed or moved."
    )
    if not anchors:
        # Said, because without one a chain cut from its end, or written again and hashed
        # anew, verifies as well as the true one.
        return [checked, "No anchor kept outside the database was given to check it against."]
    noted = ", ".join(map(str, dict.fromkeys(anchors)))
    return [checked, f"The anchors kept outside the database were found unchanged: {noted}."]


def _event_type(ce_type: str) -> str:
    """``fi.saattaja.referral.requested.v1`` as ``referral requested``."""
    words = ce_type.removeprefix("fi.saattaja.").split(".")
    if len(words) > 1 and words[-1].startswith("v") and words[-1][1:].isdigit():
        words = words[:-1]
    return " ".join(words).replace("casemanager", "case manager") or ce_type


def _summed(records: list[AuditRecord], *, sent: bool) -> str:
    """``3 events sent to 2 organisations``; when an event went to several,
    ``5 deliveries of 3 events to 2 organisations``.

    A record is one event for one organisation: counted as events, one event sent to five
    organisations would read as five events about the client.
    """
    events = len({record.event_id for record in records})
    to = _count(len({record.recipient for record in records}), "organisation")
    if len(records) == events:
        return f"{_count(events, 'event')} {'sent' if sent else 'not sent'} to {to}"
    # Never "1 deliveries": there are more records than events.
    refused = "" if sent else " refused"
    return f"{len(records)} deliveries of {_count(events, 'event')}{refused} to {to}"


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
