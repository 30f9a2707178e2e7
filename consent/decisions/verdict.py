"""What a decision says: permit or deny, why, on what it rests, and what to remove."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Decision", "ReasonCode", "Verdict"]


class Verdict(StrEnum):
    """Whether the recipient may receive the event."""

    PERMIT = "permit"
    DENY = "deny"


class ReasonCode(StrEnum):
    """Why, in a code an auditor can read; the deny codes say what would have to change."""

    OWN_DATA = "own-data"
    """The recipient is the organisation the data came from: nothing is disclosed."""
    CONSENT = "consent"
    """Permitted by a consent of the client."""
    STATUTORY_BASIS = "statutory-basis"
    """Permitted without consent by a configured statutory basis."""
    STATUTORY_BASIS_OVERRIDES_REFUSAL = "statutory-basis-overrides-refusal"
    """Permitted by a statutory basis that the law lets override the client's refusal."""
    REFUSED = "refused"
    """The client refused (kielto) this disclosure."""
    EXCLUDED_BY_CONSENT = "excluded-by-consent"
    """A consent covers it but one of the consent's own exceptions excludes it."""
    CONSENT_REVOKED = "consent-revoked"
    """A consent covered it, but the client revoked that consent."""
    CONSENT_EXPIRED = "consent-expired"
    """A consent covered it, but its validity period had ended."""
    CONSENT_NOT_YET_VALID = "consent-not-yet-valid"
    """A consent covers it, but its validity period had not begun."""
    PURPOSE_NOT_COVERED = "purpose-not-covered"
    """A consent covers it for another purpose of use only."""
    CATEGORY_NOT_COVERED = "category-not-covered"
    """A consent covers the recipient, but not this data category."""
    SOURCE_NOT_COVERED = "source-not-covered"
    """A consent covers the recipient and category, but only data from other organisations."""
    DOCUMENT_NOT_COVERED = "document-not-covered"
    """A consent covers the recipient and category, but only other documents."""
    SERVICE_TASK_NOT_COVERED = "service-task-not-covered"
    """A consent covers the recipient and category, but only other service tasks."""
    RECIPIENT_NOT_COVERED = "recipient-not-covered"
    """The client's consents name other recipients only."""
    NO_CONSENT = "no-consent"
    """No consent and no statutory basis: the default, deny."""
    HANDOVER = "handover"
    """A handover package that lists only items this recipient was permitted."""
    INVALID_TRANSITION = "invalid-transition"
    """The event would change a referral in a way its state does not allow: refused."""


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision for one (event, recipient)."""

    verdict: Verdict
    reason: ReasonCode
    explanation: str
    """A sentence a person can read; names consents, bases, categories and organisations,
    never the client."""
    basis: str | None = None
    """The consent id or legal-basis id the decision rests on: what permits, or the refusal
    or consent exception that denies; None for the default deny."""
    removed: tuple[str, ...] = ()
    """Business ids of supporting documents to remove before delivery (permit only)."""

    @property
    def permitted(self) -> bool:
        """True when the event may be delivered (perhaps without ``removed``)."""
        return self.verdict is Verdict.PERMIT
