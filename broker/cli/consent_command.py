"""``saattaja consent show``: a client's consents and refusals, current and past, for a person."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from broker.cli.arguments import identity_code_argument, usage_of
from broker.cli.database import opened_database
from broker.registry import OrganisationRegistry
from broker.settings import load_settings
from consent.decisions import (
    ROUTING_PURPOSE,
    ROUTING_PURPOSE_DISPLAY,
    ClientConsents,
    ConsentGrant,
    ConsentRevocation,
    ConsentStatus,
)
from consent.store import ConsentStore
from schemas import FINNISH_TIME_LABEL, ConsentRule, Pseudonymiser, finnish_time, printable
from schemas.fhir import last_whole_day

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the ``consent`` command group."""
    group: argparse.ArgumentParser = commands.add_parser(
        "consent", help="show what a client has consented to or refused"
    )
    group.set_defaults(run=usage_of(group))
    actions = group.add_subparsers(title="actions", metavar="ACTION")
    show = actions.add_parser(
        "show",
        help="list a client's consents and refusals, current and past",
        description="Lists every consent and refusal of the client the consent store holds, "
        "with what it covers, who recorded it, and where it stands now. The identity code "
        "is turned into the client's pseudonym (SAATTAJA_PSEUDONYM_SECRET) and not shown. "
        f"Times are {FINNISH_TIME_LABEL}.",
    )
    show.add_argument(
        "--client",
        required=True,
        type=identity_code_argument,
        metavar="IDENTITY_CODE",
        help="the client's personal identity code (henkilötunnus); - reads it from standard "
        "input, out of the shell's history and ps",
    )
    show.set_defaults(run=_show)


def _show(args: argparse.Namespace) -> int:
    settings = load_settings()
    pseudonymiser = Pseudonymiser(settings.require_pseudonym_secret())
    pseudonym = pseudonymiser.pseudonym(args.client)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    consents = asyncio.run(_consents(settings.database_url, pseudonymiser, pseudonym))
    print(_Report(registry, datetime.now(UTC)).render(consents))
    return 0


async def _consents(
    database_url: str, pseudonymiser: Pseudonymiser, pseudonym: str
) -> ClientConsents:
    async with opened_database(database_url, pseudonymiser=pseudonymiser) as engine:
        return await ConsentStore(engine).consents_for(pseudonym)


class _Report:
    """Renders a client's consents for a person: organisations by name, times in Finnish time."""

    def __init__(self, registry: OrganisationRegistry, now: datetime) -> None:
        self._names = {organisation.oid: organisation.name for organisation in registry}
        self._now = now

    def render(self, consents: ClientConsents) -> str:
        # Every version on record is shown: one applied "later" than this machine's now (a
        # router's clock ahead of it) is still what the router decides on.
        as_of = consents.decided_at(self._now)
        states = consents.at(as_of)
        orphans = consents.unmatched_revocations()
        if not states and not orphans:
            return "No consents or refusals on record for this client."
        refusals = sum(state.grant.is_refusal for state in states)
        status = f"status as of {finnish_time(as_of)}"
        if as_of != self._now:
            status += (
                f", when the last version was applied: later than now ({finnish_time(self._now)}) "
                "by this machine's clock"
            )
        lines = [
            f"{_counted(len(states) - refusals, 'consent')} and "
            f"{_counted(refusals, 'refusal')} on record for this client; {status} "
            f"(times are {FINNISH_TIME_LABEL}).",
        ]
        for state in states:
            lines.append("")
            lines.extend(self._consent(consents, state.grant.consent_id, as_of))
        for revocation in orphans:
            lines.append("")
            lines.append(
                f"{printable(revocation.consent_id)}  revocation of a consent this store never "
                "received"
            )
            lines.append(f"  {self._recorded(revocation)}")
        return "\n".join(lines)

    def _consent(self, consents: ClientConsents, consent_id: str, as_of: datetime) -> list[str]:
        state = consents.state_of(consent_id, as_of)
        assert state is not None  # noqa: S101  # consent_id comes from consents.at(as_of)
        grant = state.grant
        kind = "refusal (kielto)" if grant.is_refusal else "consent (suostumus)"
        lines = [
            f"{printable(consent_id)}  {kind} — "
            f"{self._status(state.status, grant, state.revocation)}",
            f"  {'refuses' if grant.is_refusal else 'permits'}: {self._rule(grant.scope)}",
        ]
        # An exception only narrows its own consent or refusal (decide()): what a refusal's
        # exception names still needs a consent, and another consent may still permit what a
        # consent's exception names; "permits" and "refused" said otherwise.
        carve_out = (
            "except (not refused; needs a consent)"
            if grant.is_refusal
            else "except (not permitted by this consent)"
        )
        for rule in grant.exceptions:
            lines.append(f"  {carve_out}: {self._rule(rule)}")
        lines.append(f"  purpose: {_purpose(grant.purpose)}")
        lines.append(f"  valid: {_period(grant)}")
        lines.append(f"  {self._recorded(grant)}")
        earlier = [
            version
            for version in consents.versions
            if isinstance(version, ConsentGrant)
            and version.consent_id == consent_id
            and version is not grant
        ]
        lines.extend(f"  earlier version: {self._recorded(version)}" for version in earlier)
        if state.revocation is not None:
            lines.append(f"  revoked: {self._recorded(state.revocation)}")
        return lines

    def _status(
        self, status: ConsentStatus, grant: ConsentGrant, revocation: ConsentRevocation | None
    ) -> str:
        if revocation is not None:
            return (
                f"revoked at {finnish_time(revocation.applied_at)} by "
                f"{self._organisation(revocation.recorded_by)}"
            )
        if status is ConsentStatus.EXPIRED and grant.valid_until is not None:
            return f"expired at {finnish_time(grant.valid_until)}"
        if status is ConsentStatus.NOT_YET_VALID and grant.valid_from is not None:
            return f"not yet valid (from {finnish_time(grant.valid_from)})"
        return status.value

    def _recorded(self, version: ConsentGrant | ConsentRevocation) -> str:
        return (
            f"recorded by {self._organisation(version.recorded_by)} at "
            f"{finnish_time(version.occurred_at)}, applied at {finnish_time(version.applied_at)}"
        )

    def _rule(self, rule: ConsentRule) -> str:
        recipients = [
            self._organisation(recipient.organisation)
            if recipient.organisation is not None
            else f"every {recipient.kind} organisation"
            for recipient in rule.recipients
        ]
        parts = [
            ("recipients", recipients),
            ("categories", [category.value for category in rule.categories]),
            ("data from", [self._organisation(oid) for oid in rule.sources]),
            ("documents", [printable(document) for document in rule.documents]),
            ("service tasks", [printable(task) for task in rule.service_tasks]),
        ]
        return "; ".join(f"{name} {_listed(values)}" for name, values in parts if values) or (
            "everything"
        )

    def _organisation(self, oid: str) -> str:
        name = self._names.get(oid)
        return f"{name} ({oid})" if name else printable(oid)


def _purpose(code: str) -> str:
    # The code alone (COC) tells a client nothing.
    if code == ROUTING_PURPOSE:
        return f"{code} ({ROUTING_PURPOSE_DISPLAY})"
    return printable(code)


def _period(grant: ConsentGrant) -> str:
    start = f"from {finnish_time(grant.valid_from)}" if grant.valid_from else "from when recorded"
    return f"{start}, {_end(grant.valid_until)}"


def _end(valid_until: datetime | None) -> str:
    """The end as the consent gave it: a date ends with its day, in Finnish time."""
    if valid_until is None:
        return "no end date"
    # Kept as the first moment after the end: a consent "to 31.12." holds through that day.
    day = last_whole_day(valid_until)
    if day is not None:
        return f"through {day.isoformat()} (the whole day)"
    return f"until {finnish_time(valid_until)}"


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _listed(values: Iterable[str]) -> str:
    return ", ".join(values)
