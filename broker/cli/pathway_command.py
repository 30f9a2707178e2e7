"""``saattaja pathway show``: who is responsible for a client's path now, and each referral."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import Any

from broker.cli.arguments import identity_code_argument, usage_of
from broker.cli.database import opened_database
from broker.pathway import ClientPathway, PathwayStore, Referral, ReferralState
from broker.registry import OrganisationRegistry
from broker.settings import load_settings
from schemas import FINNISH_TIME_LABEL, Pseudonymiser, finnish_time, printable

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the ``pathway`` command group."""
    group: argparse.ArgumentParser = commands.add_parser(
        "pathway", help="show a client's referrals, who is responsible and the case manager"
    )
    group.set_defaults(run=usage_of(group))
    actions = group.add_subparsers(title="actions", metavar="ACTION")
    show = actions.add_parser(
        "show",
        help="list a client's referrals with their state and the organisation responsible",
        description="Lists the client's referrals as the router keeps them (state, the "
        "organisation responsible now, when an answer is due, overdue notices sent) and the "
        "named case manager. The identity code is turned into the client's pseudonym "
        f"(SAATTAJA_PSEUDONYM_SECRET) and not shown. Times are {FINNISH_TIME_LABEL}.",
    )
    show.add_argument(
        "--client",
        required=True,
        type=identity_code_argument,
        metavar="IDENTITY_CODE",
        help="the client's personal identity code (henkilötunnus)",
    )
    show.set_defaults(run=_show)


def _show(args: argparse.Namespace) -> int:
    settings = load_settings()
    pseudonymiser = Pseudonymiser(settings.require_pseudonym_secret())
    pseudonym = pseudonymiser.pseudonym(args.client)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    pathway = asyncio.run(_pathway(settings.database_url, pseudonymiser, pseudonym))
    names = {organisation.oid: organisation.id for organisation in registry}
    print(render_pathway(pathway, names))
    return 0


async def _pathway(
    database_url: str, pseudonymiser: Pseudonymiser, pseudonym: str
) -> ClientPathway:
    async with opened_database(database_url, pseudonymiser=pseudonymiser) as engine:
        pathways, _ = await PathwayStore(engine).load([pseudonym], [])
        return pathways[pseudonym]


def render_pathway(pathway: ClientPathway, names: dict[str, str]) -> str:
    """The client's case manager and referrals, for a person; organisations by registry id."""

    def name(oid: str) -> str:
        return printable(names.get(oid, oid))

    lines = []
    manager = pathway.case_manager
    if manager is None:
        lines.append("Case manager: none named")
    else:
        lines.append(
            f"Case manager: {printable(manager.name)} ({printable(manager.role)}, "
            f"{name(manager.organisation)}), "
            f"named by {name(manager.assigned_by)} on {finnish_time(manager.assigned_at)}"
        )
    referrals = sorted(pathway.referrals.values(), key=lambda referral: referral.requested_at)
    if not referrals:
        lines.append("No referrals on record for this client.")
    for referral in referrals:
        lines.append(_referral_line(referral, name))
    return "\n".join(lines)


def _referral_line(referral: Referral, name: Callable[[str], str]) -> str:
    line = (
        f"- referral {printable(referral.referral_id)}: {name(referral.requester)} -> "
        f"{name(referral.receiver)}, {referral.state.value}; responsible now: "
        f"{name(referral.responsible)}; requested {finnish_time(referral.requested_at)}"
    )
    if referral.state is ReferralState.REQUESTED:
        line += f"; answer due {finnish_time(referral.due_at)}"
    if referral.escalations:
        line += f"; overdue notices sent: {referral.escalations}"
    if referral.reason:
        line += f"; rejected because: {printable(referral.reason)}"
    return line
