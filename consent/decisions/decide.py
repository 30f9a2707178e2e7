"""The consent decision: may this recipient receive this event about this client, now?

Pure and deterministic: the answer depends only on the arguments. The order of the rules
follows the law (ARCHITECTURE.md, "Consent decision"):

0. Data going back to the organisation it came from is not a disclosure: permit.
1. A refusal (kielto) of the client that is active and covers the disclosure denies,
   unless a statutory basis that overrides refusals applies.
2. A statutory basis permits.
3. A consent that is active and covers the disclosure permits, unless one of its own
   exceptions excludes it. Exceptions belong to their consent: another consent that covers
   the disclosure without such an exception still permits. When several consents permit,
   the one first applied is named.
4. Otherwise deny, saying what came closest: a covering consent that was revoked, had
   expired or was not yet valid, or an active consent that misses one dimension.

A rule covers a disclosure when every dimension it names matches: recipients (by OID or by
kind), sources (the sender's OID), categories, documents (the business id) and service tasks
(derived by ``service_task_of``). Consents permit only for their purpose; refusals deny
whatever the purpose. Each supporting part of a permitted event is judged by the same rules
with its own document id and category; a part that would be denied is listed in
``removed``. A part recorded by another organisation than the sender (a health check in the
TYP's plan) is judged a second time as that organisation's data (its OID as the source, its
service task, statutory bases of its kind), and goes only when both permit it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from consent.decisions.consents import ClientConsents, ConsentGrant, ConsentState, ConsentStatus
from consent.decisions.disclosure import Disclosure, DisclosurePart, Party
from consent.decisions.service_tasks import service_task_of
from consent.decisions.verdict import Decision, ReasonCode, Verdict
from consent.legal_bases import LegalBases, LegalBasis
from schemas import ConsentRule, DataCategory, Recipient

__all__ = ["decide"]


@dataclass(frozen=True, slots=True)
class _Subject:
    """What is judged: the event's main document, or one of its parts."""

    sender: Party
    recipient: Party
    category: DataCategory
    document_id: str
    service_task: str
    purpose: str

    def describe(self) -> str:
        return (
            f"{self.category.value} (document {self.document_id}) from "
            f"{self.sender.describe()} to {self.recipient.describe()}"
        )


_STATUS_REASON: Final = {
    ConsentStatus.REVOKED: ReasonCode.CONSENT_REVOKED,
    ConsentStatus.EXPIRED: ReasonCode.CONSENT_EXPIRED,
    ConsentStatus.NOT_YET_VALID: ReasonCode.CONSENT_NOT_YET_VALID,
}
# Most informative first: what the client (or a renewal) could change most directly.
_DENY_ORDER: Final = (
    ReasonCode.CONSENT_REVOKED,
    ReasonCode.CONSENT_EXPIRED,
    ReasonCode.CONSENT_NOT_YET_VALID,
    # An active consent that misses one dimension, the closest miss first.
    ReasonCode.PURPOSE_NOT_COVERED,
    ReasonCode.CATEGORY_NOT_COVERED,
    ReasonCode.SOURCE_NOT_COVERED,
    ReasonCode.DOCUMENT_NOT_COVERED,
    ReasonCode.SERVICE_TASK_NOT_COVERED,
    ReasonCode.RECIPIENT_NOT_COVERED,
)
_RANK: Final = {reason: rank for rank, reason in enumerate(_DENY_ORDER)}


def decide(disclosure: Disclosure, consents: ClientConsents, legal_bases: LegalBases) -> Decision:
    """Permit or deny ``disclosure``, with the reason, the basis and the parts to remove."""
    if consents.client != disclosure.client:
        raise ValueError(
            "decide() was given the consents of another client than the disclosure's: "
            "the caller mixed up pseudonyms"
        )
    if disclosure.recipient.oid == disclosure.sender.oid:
        # The broker telling an organisation about its own referral (an overdue notice).
        return Decision(
            Verdict.PERMIT,
            ReasonCode.OWN_DATA,
            f"{disclosure.recipient.describe()} is the organisation the "
            f"{disclosure.category.value} came from.",
        )
    states = consents.at(disclosure.at)
    main = _judge(
        _subject(disclosure, disclosure.category, disclosure.document_id),
        states,
        legal_bases,
        disclosure.at,
    )
    if main.verdict is Verdict.DENY or not disclosure.parts:
        return main
    removed: list[str] = []
    notes: list[str] = []
    for part in disclosure.parts:
        if part.document_id in removed:
            continue
        judged = _judge_part(disclosure, part, states, legal_bases)
        if judged is not None:
            removed.append(part.document_id)
            notes.append(f"{part.document_id} ({part.category.value}, {judged})")
    if not removed:
        return main
    return Decision(
        verdict=main.verdict,
        reason=main.reason,
        explanation=f"{main.explanation} Removed before delivery: {', '.join(notes)}.",
        basis=main.basis,
        removed=tuple(removed),
    )


def _judge_part(
    disclosure: Disclosure,
    part: DisclosurePart,
    states: tuple[ConsentState, ...],
    legal_bases: LegalBases,
) -> str | None:
    """Why ``part`` is removed (its reason code, and whose data it is), or None to keep it.

    A part recorded by another organisation is disclosed by the sender and is its
    custodian's data: it goes only when both would be permitted, so that a refusal of
    the custodian's data or service task holds for it inside another's event.
    """
    as_sent = _judge(
        _subject(disclosure, part.category, part.document_id), states, legal_bases, disclosure.at
    )
    if as_sent.verdict is Verdict.DENY:
        return as_sent.reason.value
    custodian = part.custodian
    if custodian is None or custodian.oid in (disclosure.sender.oid, disclosure.recipient.oid):
        return None  # the sender's own, or going back to the organisation that recorded it
    as_custodians = _judge(
        _subject(disclosure, part.category, part.document_id, sender=custodian),
        states,
        legal_bases,
        disclosure.at,
    )
    if as_custodians.verdict is Verdict.DENY:
        return f"{as_custodians.reason.value} as data of {custodian.oid}"
    return None


def _subject(
    disclosure: Disclosure,
    category: DataCategory,
    document_id: str,
    *,
    sender: Party | None = None,
) -> _Subject:
    sender = sender or disclosure.sender
    return _Subject(
        sender=sender,
        recipient=disclosure.recipient,
        category=category,
        document_id=document_id,
        service_task=service_task_of(sender.kind, category),
        purpose=disclosure.purpose,
    )


def _judge(
    subject: _Subject, states: tuple[ConsentState, ...], legal_bases: LegalBases, at: datetime
) -> Decision:
    refusal = _first_refusal(subject, states)
    bases = legal_bases.applicable(subject.sender.kind, subject.recipient.kind, subject.category)
    if refusal is not None:
        return _refused(subject, refusal, bases)
    if bases:
        basis = bases[0]
        return Decision(
            Verdict.PERMIT,
            ReasonCode.STATUTORY_BASIS,
            f"Permitted without consent: {basis.describe()} permits {subject.describe()}.",
            basis=basis.id,
        )
    return _by_consent(subject, states, at)


def _first_refusal(subject: _Subject, states: tuple[ConsentState, ...]) -> ConsentGrant | None:
    for state in states:
        grant = state.grant
        if (
            grant.is_refusal
            and state.status is ConsentStatus.ACTIVE
            and _gap(grant.scope, subject) is None
            and not _any_covers(grant.exceptions, subject)
        ):
            return grant
    return None


def _refused(subject: _Subject, refusal: ConsentGrant, bases: tuple[LegalBasis, ...]) -> Decision:
    overriding = next((basis for basis in bases if basis.overrides_refusal), None)
    if overriding is not None:
        return Decision(
            Verdict.PERMIT,
            ReasonCode.STATUTORY_BASIS_OVERRIDES_REFUSAL,
            f"Permitted despite the client's refusal {refusal.consent_id}: "
            f"{overriding.describe()} permits {subject.describe()} and overrides refusals.",
            basis=overriding.id,
        )
    explanation = (
        f"Denied: the client's refusal {refusal.consent_id}, recorded by "
        f"{refusal.recorded_by}, covers {subject.describe()}."
    )
    if bases:
        explanation += f" {bases[0].describe()} would permit it but does not override a refusal."
    return Decision(Verdict.DENY, ReasonCode.REFUSED, explanation, basis=refusal.consent_id)


def _by_consent(subject: _Subject, states: tuple[ConsentState, ...], at: datetime) -> Decision:
    excluded: ConsentGrant | None = None
    near_miss: tuple[int, ConsentState, ReasonCode] | None = None
    for state in states:
        grant = state.grant
        if grant.is_refusal:
            continue
        gap = _gap(grant.scope, subject, purpose=grant.purpose)
        if state.status is ConsentStatus.ACTIVE and gap is None:
            if not _any_covers(grant.exceptions, subject):
                return Decision(
                    Verdict.PERMIT,
                    ReasonCode.CONSENT,
                    f"Permitted: consent {grant.consent_id}, recorded by {grant.recorded_by}, "
                    f"covers {subject.describe()}.",
                    basis=grant.consent_id,
                )
            excluded = excluded or grant
            continue
        if gap is None:
            reason = _STATUS_REASON[state.status]
        elif state.status is ConsentStatus.ACTIVE:
            reason = gap
        else:
            continue  # neither in force nor covering: says nothing about this disclosure
        if near_miss is None or _RANK[reason] < near_miss[0]:
            near_miss = (_RANK[reason], state, reason)
    if excluded is not None:
        return Decision(
            Verdict.DENY,
            ReasonCode.EXCLUDED_BY_CONSENT,
            f"Denied: consent {excluded.consent_id} covers {subject.describe()}, but one of its "
            "exceptions excludes it.",
            basis=excluded.consent_id,
        )
    if near_miss is None:
        return Decision(
            Verdict.DENY,
            ReasonCode.NO_CONSENT,
            f"Denied: no consent of the client in force at {_moment(at)} covers "
            f"{subject.describe()}, and no statutory basis applies.",
        )
    _, state, reason = near_miss
    # The consent that came nearest is what the denial rests on: an auditor asked why the
    # client's consent did not carry it is pointed at that one.
    return Decision(
        Verdict.DENY,
        reason,
        f"Denied: no consent in force covers {subject.describe()}; "
        f"{_near_miss(state, reason, subject)}.",
        basis=state.grant.consent_id,
    )


def _near_miss(state: ConsentState, reason: ReasonCode, subject: _Subject) -> str:
    grant = state.grant
    consent = f"consent {grant.consent_id}"
    if reason in _STATUS_REASON.values():
        return f"{consent} would cover it, but {_out_of_force(state)}"
    scope = grant.scope
    missed = {
        ReasonCode.PURPOSE_NOT_COVERED: f"is for purpose {grant.purpose}, not {subject.purpose}",
        ReasonCode.CATEGORY_NOT_COVERED: (
            f"covers this recipient for {_listed(c.value for c in scope.categories)} only"
        ),
        ReasonCode.SOURCE_NOT_COVERED: f"covers data from {_listed(scope.sources)} only",
        ReasonCode.DOCUMENT_NOT_COVERED: f"covers documents {_listed(scope.documents)} only",
        ReasonCode.SERVICE_TASK_NOT_COVERED: (
            f"covers service tasks {_listed(scope.service_tasks)} only, "
            f"this is {subject.service_task}"
        ),
    }
    return f"{consent} {missed.get(reason, 'names other recipients only')}"


def _out_of_force(state: ConsentState) -> str:
    grant = state.grant
    if state.revocation is not None:
        revocation = state.revocation
        return f"was revoked at {_moment(revocation.applied_at)} by {revocation.recorded_by}"
    if state.status is ConsentStatus.EXPIRED and grant.valid_until is not None:
        return f"expired at {_moment(grant.valid_until)}"
    if grant.valid_from is not None:
        return f"is valid only from {_moment(grant.valid_from)}"
    return f"is {state.status.value}"


def _moment(value: datetime) -> str:
    # In UTC, so that the same decision reads the same whatever offset its inputs carried.
    return value.astimezone(UTC).isoformat()


def _listed(values: Iterable[str]) -> str:
    return ", ".join(values)


def _gap(rule: ConsentRule, subject: _Subject, *, purpose: str | None = None) -> ReasonCode | None:
    """Why ``rule`` does not cover ``subject`` (the first dimension it misses), or None.

    ``purpose`` is the consent's purpose; None for refusals, which deny whatever the purpose.
    Purpose comes last: "for another purpose" is worth saying only when all else would cover.
    """
    gap: ReasonCode | None = None
    if rule.recipients and not _names(rule.recipients, subject.recipient):
        gap = ReasonCode.RECIPIENT_NOT_COVERED
    elif rule.categories and subject.category not in rule.categories:
        gap = ReasonCode.CATEGORY_NOT_COVERED
    elif rule.sources and subject.sender.oid not in rule.sources:
        gap = ReasonCode.SOURCE_NOT_COVERED
    elif rule.documents and subject.document_id not in rule.documents:
        gap = ReasonCode.DOCUMENT_NOT_COVERED
    elif rule.service_tasks and subject.service_task not in rule.service_tasks:
        gap = ReasonCode.SERVICE_TASK_NOT_COVERED
    elif purpose is not None and purpose != subject.purpose:
        gap = ReasonCode.PURPOSE_NOT_COVERED
    return gap


def _names(recipients: tuple[Recipient, ...], party: Party) -> bool:
    for recipient in recipients:
        if recipient.organisation == party.oid or recipient.kind == party.kind:
            return True
    return False


def _any_covers(rules: tuple[ConsentRule, ...], subject: _Subject) -> bool:
    return any(_gap(rule, subject) is None for rule in rules)
