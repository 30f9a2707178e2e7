"""For random consent histories, ``decide`` permits exactly what an independent reference does.

The reference below is written from "Consent decision" in ARCHITECTURE.md and the rules of
time in ``consent.decisions.consents``, not from ``decide``: a consent id stands at a moment
as the last version applied by then, ended for good by any revocation applied by then, in
force within its own period (start included, end not); a rule covers a disclosure when every
dimension it names matches; a refusal in force that covers it, and none of whose exceptions
do, denies unless a statutory basis that overrides refusals applies; a statutory basis
permits; a consent in force for the routing purpose that covers it, and none of whose
exceptions do, permits; nothing else does. Each supporting part is judged the same way,
with its own document id and category, and removed when denied; a part another
organisation recorded is that organisation's data too, and is removed when it would be
denied as sent by it (unless it goes back to that organisation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from consent.decisions import (
    ROUTING_PURPOSE,
    Disclosure,
    DisclosurePart,
    Verdict,
    decide,
)
from consent.legal_bases import LegalBases, LegalBasis
from schemas import (
    ConsentGranted,
    ConsentRevoked,
    ConsentRule,
    DataCategory,
    OrganisationKind,
    Recipient,
)
from tests.consent.builders import (
    HOUR,
    JARJESTO,
    KELA,
    KIND_OF,
    SOTE,
    T0,
    TYOLLISYYS,
    TYP,
    consents,
    disclosure,
    party,
)

ORGANISATIONS: Final = (SOTE, KELA, TYOLLISYYS, TYP, JARJESTO)
CATEGORIES: Final = (
    DataCategory.PLAN,
    DataCategory.ASSESSMENT_HEALTH,
    DataCategory.ASSESSMENT_SOCIAL,
    DataCategory.REFERRAL,
)
DOCUMENTS: Final = ("DOC-1", "DOC-2", "DOC-3")
TASKS: Final = ("terveydenhuolto", "sosiaalihuolto", "kela", "typ")
MOMENTS: Final = tuple(T0 + n * HOUR for n in range(6))
"""Applied times, period bounds and routing times all fall on these, so that ties happen."""

recipients = st.one_of(
    st.sampled_from(ORGANISATIONS).map(lambda oid: Recipient(organisation=oid)),
    st.sampled_from(ORGANISATIONS).map(lambda oid: Recipient(kind=KIND_OF[oid])),
)
rules = st.builds(
    ConsentRule,
    recipients=st.lists(recipients, max_size=2).map(tuple),
    sources=st.lists(st.sampled_from(ORGANISATIONS), max_size=2).map(tuple),
    categories=st.lists(st.sampled_from(CATEGORIES), max_size=2).map(tuple),
    documents=st.lists(st.sampled_from(DOCUMENTS), max_size=1).map(tuple),
    service_tasks=st.lists(st.sampled_from(TASKS), max_size=1).map(tuple),
).filter(lambda rule: not rule.is_unrestricted)


@st.composite
def grants(draw: st.DrawFn, consent_id: str) -> ConsentGranted:
    decision: Literal["permit", "deny"] = draw(st.sampled_from(("permit", "deny")))
    scope = draw(rules)
    if decision == "permit":
        # A consent must name its recipients and categories (the contract refuses others).
        scope = scope.model_copy(
            update={
                "recipients": scope.recipients or (draw(recipients),),
                "categories": scope.categories or (draw(st.sampled_from(CATEGORIES)),),
            }
        )
    start, end = sorted(draw(st.lists(st.sampled_from(MOMENTS), min_size=2, max_size=2)))
    bounded = draw(st.sampled_from(("none", "from", "until", "both")))
    return ConsentGranted(
        occurred_at=T0,
        sender=draw(st.sampled_from(ORGANISATIONS)),
        client="150388-9127",
        consent_id=consent_id,
        decision=decision,
        scope=scope,
        exceptions=tuple(draw(st.lists(rules, max_size=2))),
        purpose=draw(st.sampled_from((ROUTING_PURPOSE, ROUTING_PURPOSE, "HRESCH"))),
        valid_from=start if bounded in ("from", "both") else None,
        valid_until=end if bounded in ("until", "both") and end > start else None,
    )


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[ConsentGranted | ConsentRevoked, datetime]]:
    applied: list[tuple[ConsentGranted | ConsentRevoked, datetime]] = []
    for consent_id in ("C-1", "C-2", "C-3")[: draw(st.integers(0, 3))]:
        for _ in range(draw(st.integers(1, 2))):
            applied.append((draw(grants(consent_id)), draw(st.sampled_from(MOMENTS))))
        if draw(st.booleans()):
            revoked = ConsentRevoked(
                occurred_at=T0,
                sender=draw(st.sampled_from(ORGANISATIONS)),
                client="150388-9127",
                consent_id=consent_id,
            )
            applied.append((revoked, draw(st.sampled_from(MOMENTS))))
    return applied


bases = st.lists(
    st.builds(
        LegalBasis,
        id=st.sampled_from(("basis-a", "basis-b")),
        law=st.just("Laki 1/2000, 1 §"),
        sender_kind=st.sampled_from(ORGANISATIONS).map(KIND_OF.__getitem__),
        recipient_kind=st.sampled_from(ORGANISATIONS).map(KIND_OF.__getitem__),
        categories=st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2).map(tuple),
        overrides_refusal=st.booleans(),
    ),
    max_size=2,
).map(LegalBases)


# --- the reference ----------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    sender: str
    recipient: str
    category: DataCategory
    document_id: str


_TASK_OF_KIND: Final = {
    OrganisationKind.KELA: "kela",
    OrganisationKind.TYOLLISYYS: "tyollisyyspalvelut",
    OrganisationKind.TYP: "typ",
    OrganisationKind.JARJESTO: "jarjestopalvelut",
}


def task_of(asked: Asked) -> str:
    kind = KIND_OF[asked.sender]
    if kind is OrganisationKind.SOTE:
        health = asked.category is DataCategory.ASSESSMENT_HEALTH
        return "terveydenhuolto" if health else "sosiaalihuolto"
    return _TASK_OF_KIND[kind]


def covers(rule: ConsentRule, asked: Asked) -> bool:
    named = not rule.recipients or any(
        r.organisation == asked.recipient or r.kind is KIND_OF[asked.recipient]
        for r in rule.recipients
    )
    return (
        named
        and (not rule.categories or asked.category in rule.categories)
        and (not rule.sources or asked.sender in rule.sources)
        and (not rule.documents or asked.document_id in rule.documents)
        and (not rule.service_tasks or task_of(asked) in rule.service_tasks)
    )


def in_force(
    history: Sequence[tuple[ConsentGranted | ConsentRevoked, datetime]], at: datetime
) -> list[ConsentGranted]:
    standing: dict[str, ConsentGranted] = {}
    revoked: set[str] = set()
    # Of versions applied at one moment, the one listed later stands.
    for event, applied_at in sorted(history, key=lambda applied: applied[1]):
        if applied_at > at:
            continue
        if isinstance(event, ConsentRevoked):
            revoked.add(event.consent_id)
        else:
            standing[event.consent_id] = event
    return [
        grant
        for consent_id, grant in standing.items()
        if consent_id not in revoked
        and (grant.valid_from is None or grant.valid_from <= at)
        and (grant.valid_until is None or at < grant.valid_until)
    ]


def permitted(asked: Asked, active: Sequence[ConsentGranted], legal: LegalBases) -> bool:
    if asked.sender == asked.recipient:
        return True  # a part going back to the organisation that recorded it
    applicable = [
        basis
        for basis in legal
        if basis.sender_kind is KIND_OF[asked.sender]
        and basis.recipient_kind is KIND_OF[asked.recipient]
        and asked.category in basis.categories
    ]
    refused = any(
        grant.decision == "deny"
        and covers(grant.scope, asked)
        and not any(covers(rule, asked) for rule in grant.exceptions)
        for grant in active
    )
    if refused:
        return any(basis.overrides_refusal for basis in applicable)
    if applicable:
        return True
    return any(
        grant.decision == "permit"
        and grant.purpose == ROUTING_PURPOSE
        and covers(grant.scope, asked)
        and not any(covers(rule, asked) for rule in grant.exceptions)
        for grant in active
    )


# --- the comparison ---------------------------------------------------------------------


@settings(max_examples=600, deadline=None)
@given(
    history=histories(),
    legal=bases,
    # Data going back to its sender is no disclosure (test_decisions.py): two others here.
    parties=st.lists(st.sampled_from(ORGANISATIONS), min_size=2, max_size=2, unique=True),
    category=st.sampled_from(CATEGORIES),
    document_id=st.sampled_from(DOCUMENTS),
    parts=st.lists(
        st.builds(
            DisclosurePart,
            st.sampled_from(DOCUMENTS),
            st.sampled_from(CATEGORIES),
            st.none() | st.sampled_from(ORGANISATIONS).map(party),
        ),
        max_size=2,
    ),
    at=st.sampled_from(MOMENTS),
)
def test_decide_permits_and_removes_exactly_what_the_reference_does(
    *,
    history: list[tuple[ConsentGranted | ConsentRevoked, datetime]],
    legal: LegalBases,
    parties: list[str],
    category: DataCategory,
    document_id: str,
    parts: list[DisclosurePart],
    at: datetime,
) -> None:
    sender, recipient = parties
    asked: Disclosure = disclosure(
        recipient, category, sender=sender, document_id=document_id, parts=parts, at=at
    )
    decision = decide(asked, consents(*history), legal)

    active = in_force(history, at)
    main = permitted(Asked(sender, recipient, category, document_id), active, legal)
    assert decision.permitted is main, decision.explanation
    assert decision.verdict is (Verdict.PERMIT if main else Verdict.DENY)
    if not main:
        assert decision.removed == ()
        return
    removed = [
        part.document_id
        for part in parts
        if not all(
            permitted(Asked(origin, recipient, part.category, part.document_id), active, legal)
            for origin in (sender, *([part.custodian.oid] if part.custodian else []))
        )
    ]
    assert decision.removed == tuple(dict.fromkeys(removed)), decision.explanation
