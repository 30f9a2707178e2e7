"""``saattaja db``: create or migrate the consent, audit and care-network tables."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from broker.cli.arguments import usage_of
from broker.cli.lifecycle import display_url
from broker.settings import load_settings
from consent.database import upgrade_database

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the ``db`` command group."""
    group: argparse.ArgumentParser = commands.add_parser(
        "db", help="create or migrate the database of the consent and audit stores"
    )
    group.set_defaults(run=usage_of(group))
    actions = group.add_subparsers(title="actions", metavar="ACTION")
    upgrade = actions.add_parser(
        "upgrade", help="create or migrate every table to this version (safe to repeat)"
    )
    upgrade.set_defaults(run=_upgrade)


def _upgrade(_args: argparse.Namespace) -> int:
    settings = load_settings()
    asyncio.run(upgrade_database(settings.database_url))
    print(f"database at this version's schema: {display_url(settings)}")
    return 0
