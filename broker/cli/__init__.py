"""The ``saattaja`` command line: one module per command group, each adding its sub-parser."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Final

from broker.cli.arguments import CommandParser
from broker.errors import ConfigurationError, SaattajaBrokerError
from broker.logging import configure_logging
from consent.errors import (
    DatabaseRefusedError,
    LegalBasisConfigurationError,
    PseudonymSecretMismatchError,
    SaattajaConsentError,
    SchemaOutOfDateError,
)
from schemas import ContractError

__all__ = ["CONFIGURATION_EXIT_STATUS", "READER_GONE_EXIT_STATUS", "build_parser", "main"]

CONFIGURATION_EXIT_STATUS: Final = 78
"""What a command exits with when what it was given is wrong: a setting, the registry or
legal-bases file, a database that refuses what SAATTAJA_DATABASE_URL says or whose schema
is not this version's (``saattaja db upgrade`` not yet run), a pseudonym secret other than
the one the database was filled under.

EX_CONFIG of sysexits.h. The systemd units name it in ``RestartPreventExitStatus=``: a
restart would meet the same mistake, so the unit stops rather than loop every few seconds
until someone fixes it. Any other reported error (1: Kafka or the database away) is
restarted, since it may pass.
"""

_CONFIGURATION_ERRORS: Final = (
    ConfigurationError,
    DatabaseRefusedError,
    LegalBasisConfigurationError,
    PseudonymSecretMismatchError,
    # Waiting never migrates a database: someone must run `saattaja db upgrade`.
    SchemaOutOfDateError,
)

READER_GONE_EXIT_STATUS: Final = 141
"""What a command exits with when what reads its output stops reading (``| head``).

128 + SIGPIPE, what a shell reports for ``cat`` or ``yes`` in the same place: a script can
tell it from a reported error (1), and ``set -o pipefail`` scripts already expect it.
"""


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every command group registered."""
    # Imported here so that `saattaja --help` does not pay for what a command needs.
    from broker.cli import (  # noqa: PLC0415
        adapter_command,
        audit_command,
        consent_command,
        db_command,
        demo_command,
        indicators_command,
        pathway_command,
        router_command,
        schemas_command,
        topics_command,
        up_command,
    )

    # Declared as argparse.ArgumentParser: every sub-parser is a CommandParser all the same.
    parser: argparse.ArgumentParser = CommandParser(
        prog="saattaja",
        description="Consent-aware interoperability broker for work-ability support.",
    )
    # What an operator reports with a problem, and checks before a rolling upgrade.
    parser.add_argument("--version", action="version", version=f"saattaja {_release()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    schemas_command.register(commands)
    topics_command.register(commands)
    up_command.register(commands)
    demo_command.register(commands)
    db_command.register(commands)
    router_command.register(commands)
    consent_command.register(commands)
    audit_command.register(commands)
    indicators_command.register(commands)
    pathway_command.register(commands)
    adapter_command.register(commands)
    return parser


def _release() -> str:
    try:
        return version("saattaja")
    except PackageNotFoundError:
        return "(not installed: run from a source tree without `pip install`)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit 2 with usage on a bad argument, 1 on a reported error, and
    ``CONFIGURATION_EXIT_STATUS`` on a reported mistake in the configuration.

    Exits quietly with ``READER_GONE_EXIT_STATUS`` when standard output is closed under it.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging()
    run = getattr(args, "run", None)
    if run is None:
        parser.print_usage(sys.stderr)
        return 2
    try:
        code: int = run(args)
        # Here rather than at exit, where a closed pipe could only be reported, not handled.
        sys.stdout.flush()
    except (SaattajaBrokerError, SaattajaConsentError, ContractError) as exc:
        print(f"saattaja: error: {exc}", file=sys.stderr)
        return CONFIGURATION_EXIT_STATUS if isinstance(exc, _CONFIGURATION_ERRORS) else 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The Python documentation's advice: what standard output still buffers goes to
        # /dev/null, so that the flush at exit does not fail on the closed pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return READER_GONE_EXIT_STATUS
    return code
