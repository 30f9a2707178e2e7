"""Times as the organisations' staff and their clients read them: Finnish local time.

Every organisation of the contract is in Finland, and a person reads a date as a day of
the Finnish calendar: a due date or a consent's end at midnight in Helsinki, shown in
UTC, would read as 22:00 the day before. The offset from UTC stays beside each time, so
that it is exact, and tells summer time from winter time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from schemas.fhir import FINNISH_TIME

__all__ = ["FINNISH_TIME_LABEL", "finnish_time"]

FINNISH_TIME_LABEL: Final = "Finnish time (Europe/Helsinki), each with its offset from UTC"
"""What a table or report says of the times ``finnish_time`` writes."""


def finnish_time(moment: datetime) -> str:
    """``moment`` in Finnish time to the minute, with its offset: ``2026-06-18 10:00 +03:00``."""
    local = moment.astimezone(FINNISH_TIME)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"
