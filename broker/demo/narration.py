"""What the demo prints: the stack's addresses, each step, each decision, in words."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Final

from broker.demo.player import StepOutcome
from broker.demo.sources import feeding_address
from broker.demo.stack import DemoStack, FhirSystem, FolderSystem, SqlSystem
from broker.registry import OrganisationRegistry
from consent.audit import PERMIT, AuditRecord
from consent.decisions import ReasonCode
from schemas import ConsentGranted

__all__ = ["Narrator"]

_ADAPTERS: Final[dict[type, str]] = {
    SqlSystem: "sql_outbox",
    FhirSystem: "fhir_rest",
    FolderSystem: "file_drop",
}
_EVENTS: Final = {
    "fi.saattaja.referral.requested.v1": "referral",
    "fi.saattaja.referral.accepted.v1": "referral accepted",
    "fi.saattaja.referral.rejected.v1": "referral rejected",
    "fi.saattaja.referral.completed.v1": "referral completed",
    "fi.saattaja.assessment.recorded.v1": "assessment",
    "fi.saattaja.plan.created.v1": "plan",
    "fi.saattaja.plan.updated.v1": "plan update",
    "fi.saattaja.casemanager.assigned.v1": "case manager named",
    "fi.saattaja.episode.closed.v1": "episode closed (outcome)",
    "fi.saattaja.consent.granted.v1": "consent",
    "fi.saattaja.consent.revoked.v1": "consent revoked",
}
_REASONS: Final = {
    ReasonCode.CONSENT: "the client's consent",
    ReasonCode.STATUTORY_BASIS: "a statutory basis",
    ReasonCode.STATUTORY_BASIS_OVERRIDES_REFUSAL: "a statutory basis that overrides a refusal",
    ReasonCode.REFUSED: "the client refused this disclosure",
    ReasonCode.EXCLUDED_BY_CONSENT: "the consent excludes it",
    ReasonCode.CONSENT_REVOKED: "the client revoked the consent that covered it",
    ReasonCode.CONSENT_EXPIRED: "the consent that covered it has expired",
    ReasonCode.CONSENT_NOT_YET_VALID: "the consent that covers it is not valid yet",
    ReasonCode.PURPOSE_NOT_COVERED: "the consent is for another purpose",
    ReasonCode.CATEGORY_NOT_COVERED: "the consent does not cover this kind of data",
    ReasonCode.SOURCE_NOT_COVERED: "the consent does not cover data from this sender",
    ReasonCode.DOCUMENT_NOT_COVERED: "the consent covers other documents only",
    ReasonCode.SERVICE_TASK_NOT_COVERED: "the consent covers other service tasks only",
    ReasonCode.RECIPIENT_NOT_COVERED: "no consent of the client names this organisation",
}


def event_in_words(ce_type: str) -> str:
    """``fi.saattaja.plan.updated.v1`` -> ``plan update``."""
    return _EVENTS.get(ce_type, ce_type)


def reason_in_words(reason: str) -> str:
    """The reason code, said for a person, with the code for the auditor."""
    try:
        words = _REASONS[ReasonCode(reason)]
    except (ValueError, KeyError):
        return reason
    return f"{words} ({reason})"


def _print(line: str) -> None:
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


class Narrator:
    """Prints to ``write`` (print by default), one line at a time, flushed."""

    def __init__(
        self, registry: OrganisationRegistry, write: Callable[[str], None] | None = None
    ) -> None:
        self._registry = registry
        self._write = write or _print

    def say(self, line: str = "") -> None:
        """One line of narration."""
        self._write(line)

    def organisation(self, oid: str) -> str:
        """``kela (Kansaneläkelaitos (Kela))`` for an OID of the registry."""
        organisation = self._registry.by_oid(oid)
        return f"{organisation.id} ({organisation.name})"

    def started(self, stack: DemoStack) -> None:
        """What runs where."""
        if stack.removed_previous:
            self.say(
                f"Removed the previous demo's files under {stack.folder}/: each run starts fresh."
            )
        self.addresses(stack)

    def addresses(self, stack: DemoStack) -> None:
        """Where everything listens, and where each organisation's records are fed."""
        self.say(f"Kafka-protocol broker: {stack.bootstrap}")
        self.say(f"Router running; consent and audit stores: {stack.folder / 'saattaja.db'}")
        for organisation in stack.registry:
            system = stack.systems[organisation.id]
            self.say(
                f"  {organisation.id:<11} {_ADAPTERS[type(system)]:<11} {feeding_address(system)}"
            )

    def step(self, number: int, outcome: StepOutcome) -> None:
        """One step of the journey: what was handed over, then each decision."""
        step, event = outcome.step, outcome.step.event
        self.say()
        self.say(f"Step {number}. {step.title}")
        what = event_in_words(event.ce_type())
        article = "an" if what[0] in "aeiou" else "a"
        sender = self.organisation(step.source.oid)
        self.say(f"  {sender} sends {article} {what} ({outcome.fed_as})")
        if outcome.rejected:
            self.say("  ✗ rejected by the router (dead-letter topic); a notice went to the sender")
        if outcome.applied:
            kind = "consent" if isinstance(event, ConsentGranted) else "revocation"
            self.say(
                f"  ● {kind} applied to the consent store; consents are not passed on, they "
                "decide what the following events may reach"
            )
        elif not outcome.decisions and not outcome.rejected:
            self.say(
                "  · nobody to send it to: it names no receiver and no organisation works with "
                "the client yet (no care network); it stays with the sender"
            )
        for decision in outcome.decisions:
            self._decision(decision.record, decision.received_as)

    def decisions(self, records: Sequence[AuditRecord]) -> None:
        """Decisions on one event seen after the journey, as they happen."""
        first = records[0]
        self.say()
        self.say(
            f"New {event_in_words(first.event_type)} from {self.organisation(first.sender)} "
            f"(event {first.event_id}):"
        )
        for record in records:
            self._decision(record, None)

    def _decision(self, record: AuditRecord, received_as: str | None) -> None:
        to = self.organisation(record.recipient)
        if record.decision == PERMIT:
            basis = f", basis {record.basis}" if record.basis else ""
            self.say(f"  ✓ {to}: delivered — {reason_in_words(record.reason)}{basis}")
            if record.removed:
                self.say(
                    f"      removed before delivery (not covered for this recipient): "
                    f"{', '.join(record.removed)}"
                )
            if received_as is not None:
                self.say(f"      received: {received_as}")
        else:
            self.say(f"  ✗ {to}: refused — {reason_in_words(record.reason)}")
