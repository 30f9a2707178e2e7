"""What the demo prints: the stack's addresses, each step, each decision, in words."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final

from broker.demo.journey import TimePasses
from broker.demo.player import Decision, StepOutcome
from broker.demo.population import Population
from broker.demo.sources import feeding_address
from broker.demo.stack import DemoStack, FhirSystem, FolderSystem, SqlSystem
from broker.registry import OrganisationRegistry
from broker.topics import AUDIT_TOPIC
from consent.audit import PERMIT, AuditRecord
from consent.decisions import ReasonCode
from schemas import (
    AssessmentAvailable,
    ConsentGranted,
    HandoverPackage,
    HandoverTrigger,
    HintMoment,
    OverdueRole,
    ReferralExpired,
    ReferralOverdue,
)
from schemas.fhir import FINNISH_TIME

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
    "fi.saattaja.handover.package.v1": "handover package",
    "fi.saattaja.assessment.available.v1": "hint: an assessment exists",
    "fi.saattaja.referral.overdue.v1": "overdue notice",
    "fi.saattaja.referral.expired.v1": "expiry notice",
    "fi.saattaja.revocation.unmatched.v1": "notice: no consent has the revoked id",
}
# What the router issues itself, as against the records it hands over.
_ROUTER_ISSUED: Final = frozenset(
    {
        "fi.saattaja.handover.package.v1",
        "fi.saattaja.assessment.available.v1",
        "fi.saattaja.referral.overdue.v1",
        "fi.saattaja.referral.expired.v1",
        "fi.saattaja.revocation.unmatched.v1",
    }
)
_REASONS: Final = {
    ReasonCode.OWN_DATA: "the organisation's own matter coming back to it",
    ReasonCode.HANDOVER: "a handover package, listing only what its recipient may receive",
    ReasonCode.INVALID_TRANSITION: "the referral's state does not allow it",
    ReasonCode.NO_CONSENT: "no consent of the client covers it",
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


def finnish_time(moment: datetime) -> str:
    """``Mon 30.11.2026 14:32``, in Finnish time."""
    return f"{moment.astimezone(FINNISH_TIME):%a %d.%m.%Y %H:%M}"


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
        if stack.audit_stream is not None:
            self.say(
                f"Audit stream running: each decision also goes to {AUDIT_TOPIC} with its hash "
                f"(kcat -b {stack.bootstrap} -t {AUDIT_TOPIC} -C)"
            )
        for organisation in stack.registry:
            system = stack.systems[organisation.id]
            self.say(
                f"  {organisation.id:<11} {_ADAPTERS[type(system)]:<11} {feeding_address(system)}"
            )

    def step(self, number: int, outcome: StepOutcome) -> None:
        """One step of the journey: what was handed over, each decision, what followed."""
        step = outcome.step
        self.say()
        self.say(f"Step {number}. {step.title}")
        if isinstance(step, TimePasses):
            self._time_passes(step)
            self._followed(outcome.followed)
            return
        event = step.event
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
                "the client yet (no care network); the router keeps it for the client's path"
            )
        for decision in outcome.decisions:
            self._decision(decision.record, decision.received_as)
        self._followed(outcome.followed)

    def population(self, population: Population, rejected: int) -> None:
        """The synthetic clients whose paths go through the router before the indicators."""
        self.say()
        self.say(
            f"Meanwhile, {population.clients} other synthetic clients' paths (test identity "
            f"codes; {population.events} events: consents, Kykyviisari, referrals, answers, "
            "outcomes) go through the router, published straight to the organisations' outboxes."
        )
        if rejected:
            self.say(f"  ✗ {rejected} of their records were rejected (see the log)")
        else:
            self.say("  ✓ all routed, with handovers and hints as above")

    def indicators(self, table: str, threshold: int) -> None:
        """The pathway indicators of the demo's days, in the table ``saattaja indicators``
        prints; the command would refuse those days, not a calendar quarter."""
        self.say()
        self.say(
            "The pathway indicators of the demo's days, in the table `saattaja indicators` "
            "prints: aggregates only, from the router's pathway tables. (The command reports "
            "whole calendar quarters only, so that no report can be subtracted from another; "
            "the demo shows its own days.)"
        )
        self.say(
            f"Every cell resting on 1 to {threshold - 1} clients is hidden as <{threshold}, and "
            "so is any cell from which a hidden one could be worked back: the journey's client "
            "alone would leave every cell hidden; the synthetic clients make figures show."
        )
        self.say()
        for line in table.splitlines():
            self.say(line)

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

    def _time_passes(self, step: TimePasses) -> None:
        waiting = self.organisation(step.waiting_for.oid)
        self.say(
            f"  referral {step.referral_id}, sent {finnish_time(step.requested_at)}, was due "
            f"{finnish_time(step.due_at)} (working days: weekends and Finnish public holidays "
            "are not counted)"
        )
        self.say(
            f"  the router's clock moves on to {finnish_time(step.until)}; {waiting} has "
            "neither accepted nor rejected"
        )
        self.say(
            "  the router's overdue watch looks (it does every SAATTAJA_OVERDUE_SCAN_SECONDS; "
            "the demo asks at once)"
        )

    def _followed(self, followed: Sequence[Decision]) -> None:
        """What the router sent because of the step: handovers, hints, overdue notices."""
        issued = [d for d in followed if d.record.event_type in _ROUTER_ISSUED]
        items = [d for d in followed if d.record.event_type not in _ROUTER_ISSUED]
        for decision in issued:
            if isinstance(decision.event, HandoverPackage):
                self._package(decision, decision.event, items)
        for recipient in dict.fromkeys(d.record.recipient for d in items):
            packaged = any(
                isinstance(d.event, HandoverPackage) and d.record.recipient == recipient
                for d in issued
            )
            if not packaged:
                self.say(
                    f"  ⇒ the client's earlier records, for {self.organisation(recipient)}: "
                    "none may follow, so no handover package"
                )
            for item in items:
                if item.record.recipient == recipient and not item.permitted:
                    self._refused_item(item.record)
        for decision in issued:
            if decision.record.event_type == HandoverPackage.ce_type():
                if decision.event is None:
                    self._decision(decision.record, decision.received_as)
            elif isinstance(decision.event, AssessmentAvailable):
                self._hint(decision, decision.event)
            elif isinstance(decision.event, ReferralOverdue | ReferralExpired):
                self._notice(decision, decision.event)
            else:
                self._decision(decision.record, decision.received_as)

    def _package(
        self, decision: Decision, package: HandoverPackage, items: Sequence[Decision]
    ) -> None:
        to = self.organisation(package.recipient)
        by = self._registry.by_oid(package.sender).id
        # The package's sender handed the client over; the records are not its own, and when
        # an organisation names its own case manager it is the recipient too.
        if package.trigger is HandoverTrigger.REFERRAL_ACCEPTED:
            why = f"took the catch from {by}"
        elif package.sender == package.recipient:
            why = (
                f"joins the client's care team ({package.trigger_document_id}), naming its own "
                "case manager"
            )
        else:
            why = f"joins the client's care team ({package.trigger_document_id}), named by {by}"
        self.say(
            f"  ⇒ {decision.recipient.id} {why}: the router hands it the client's earlier "
            "records, each from the organisation that recorded it (saattaen vaihtaen)"
        )
        self._decision(decision.record, decision.received_as)
        self.say(f"      the package lists {len(package.items)} record(s):")
        for item in package.items:
            what = event_in_words(item.event_type)
            origin = self._registry.by_oid(item.sender).id
            state = "included, follows the package" if item.included else "already had"
            self.say(
                f"      · {what} {item.document_id} from {origin}, "
                f"{finnish_time(item.occurred_at)}: {state}"
            )
            for followed in items:
                if (
                    followed.record.event_id == item.event_id
                    and followed.record.recipient == package.recipient
                    and followed.received_as is not None
                ):
                    self.say(f"          received by {to}: {followed.received_as}")

    def _refused_item(self, record: AuditRecord) -> None:
        what = event_in_words(record.event_type)
        origin = self._registry.by_oid(record.sender).id
        self.say(
            f"      ✗ {what} ({record.category}) from {origin} not handed over to "
            f"{self._registry.by_oid(record.recipient).id}: {reason_in_words(record.reason)}"
        )

    def _hint(self, decision: Decision, hint: AssessmentAvailable) -> None:
        origin = self._registry.by_oid(hint.sender).id
        moment = (
            "before it assesses"
            if hint.moment is HintMoment.BEFORE_ASSESSING
            else f"after its own {hint.duplicate_assessment_id}"
        )
        self.say(
            f"  ⓘ hint to {decision.recipient.id} {moment}: {origin} recorded "
            f"{hint.assessment_kind} {hint.assessment_id} on {finnish_time(hint.recorded_at)}; "
            "the client need not repeat it"
        )
        self._decision(decision.record, decision.received_as)

    def _notice(self, decision: Decision, notice: ReferralOverdue | ReferralExpired) -> None:
        requester = self._registry.by_oid(notice.sender).id
        if isinstance(notice, ReferralOverdue) and notice.role is OverdueRole.RECEIVER:
            self.say(
                f"  ⏰ reminder on referral {notice.referral_id}, waiting for an answer since "
                f"{finnish_time(notice.requested_at)}, to {decision.recipient.id}, who must act"
            )
        elif isinstance(notice, ReferralOverdue):
            self.say(
                f"  ⏰ overdue notice {notice.escalation} on referral {notice.referral_id} "
                f"(due {finnish_time(notice.due_at)}), to {decision.recipient.id}"
            )
        else:
            self.say(f"  ⏰ referral {notice.referral_id} expired, to {decision.recipient.id}")
        self._decision(decision.record, decision.received_as)
        manager = notice.case_manager_organisation
        if decision.record.recipient != notice.sender:
            return
        if manager is None:
            self.say("      no case manager is named for the client: the requester alone hears")
        elif manager == notice.sender:
            self.say(
                f"      {requester} is both the requester, still responsible, and the case "
                "manager's organisation: one notice"
            )

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
