"""argparse types that several commands share."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic import ValidationError

from schemas import InvalidIdentifierError, check_identity_code
from schemas.moments import MOMENTS

__all__ = [
    "CommandParser",
    "group_assignment_argument",
    "identity_code_argument",
    "moment_argument",
    "read_if_dash",
    "refuse_empty_period",
    "usage_of",
]


# The fraction of a second, in an extended or basic ISO 8601 time.
_FRACTION: Final = re.compile(r"[T ][0-9]{2}:?[0-9]{2}:?[0-9]{2}[.,]([0-9]+)")
_MICROSECOND: Final = timedelta(microseconds=1)


class CommandParser(argparse.ArgumentParser):
    """A parser that refuses what it does not know with its own usage.

    argparse leaves a sub-command's unknown arguments to the top parser, whose usage
    (``saattaja [-h] [--version] COMMAND ...``) says nothing of the command that was
    mistyped. Sub-parsers take this class from the top one.
    """

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, unknown = super().parse_known_args(args, namespace)
        if unknown:
            self.error(f"unrecognized arguments: {' '.join(unknown)}")
        return parsed, unknown


def usage_of(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """The ``run`` of a command group called without a sub-command: usage on stderr, exit 2."""

    def run(_: argparse.Namespace) -> int:
        parser.print_usage(sys.stderr)
        return 2

    return run


def refuse_empty_period(args: argparse.Namespace) -> None:
    """Exit 2 with the command's usage when ``--since`` is not before ``--until``.

    Each moment is checked as it is parsed, how the two stand only once both are: the
    command puts its parser's ``error`` in its defaults as ``usage_error``.
    """
    since: datetime | None = args.since
    until: datetime | None = args.until
    if since is not None and until is not None and since >= until:
        args.usage_error(
            f"--since {since.isoformat()} is not before --until {until.isoformat()}: the "
            "period is empty (--until is not included: for one day, give the next day as "
            "--until)"
        )


def read_if_dash(value: str) -> str:
    """``value``, or for ``-`` the first line of standard input.

    An identity code on the command line stays in the shell's history and shows in ``ps``
    to every user of the machine while the command runs; read from standard input, it
    does neither.
    """
    return sys.stdin.readline().strip() if value == "-" else value


def identity_code_argument(value: str) -> str:
    """A personal identity code (henkilötunnus), its check character checked; ``-`` reads it."""
    try:
        return check_identity_code(read_if_dash(value))
    except InvalidIdentifierError as exc:
        # The value is not echoed: a mistyped identity code is still personal data.
        raise argparse.ArgumentTypeError(
            f"expected a personal identity code (DDMMYYCNNNT): {exc}"
        ) from exc


def moment_argument(value: str) -> datetime:
    """An ISO 8601 date or time that UTC can express; one without an offset is taken as UTC.

    A time finer than a microsecond (.NET writes seven fraction digits) is taken at the next
    microsecond: the stores keep microseconds, so that one is the first they hold at or
    after it, exact as --since and as --until alike.
    """
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO 8601 date or time, e.g. 2025-05-01 or 2025-05-01T09:00+03:00"
        ) from exc
    fraction = _FRACTION.search(value)
    # datetime cuts the digits past the sixth off, which would put the time before itself.
    if fraction is not None and fraction[1][6:].strip("0"):
        try:
            moment += _MICROSECOND
        except OverflowError as exc:
            raise argparse.ArgumentTypeError(
                f"{value!r} is after the last microsecond a time can hold: give an earlier one"
            ) from exc
    try:
        # The stores compare in UTC: a time it cannot express would fail the query itself.
        return MOMENTS.validate_python(
            moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        )
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} has no UTC form (it falls outside the years 1-9999 in UTC): give a "
            "time within them, in UTC or with a smaller offset"
        ) from exc


def group_assignment_argument(value: str) -> tuple[str, str]:
    """``ID=GROUP``: an organisation's registry id and the consumer group its adapter uses."""
    organisation, separator, group = value.partition("=")
    if not separator or not organisation.strip() or not group.strip():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not ID=GROUP: give the organisation's registry id and the consumer "
            "group its adapter runs with (its SAATTAJA_ADAPTER_GROUP_ID), e.g. "
            "kela=kela-saattaja-adapter"
        )
    return organisation.strip(), group.strip()
