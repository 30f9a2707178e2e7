"""What a database that does not answer is reported as: a reason that holds once parked."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from adapters.sql_outbox import SourceUnavailableError
from adapters.sql_outbox.database import unavailable

_URL = "postgresql+asyncpg://adapter:secret@db.example:5432/system"


async def test_a_lost_connection_is_a_reason_that_still_holds_once_the_event_is_parked() -> None:
    # The last failure's words are the parked reason: "it is retried" was no longer true.
    lost = DBAPIError("INSERT", {}, ConnectionResetError("reset"), connection_invalidated=True)

    with pytest.raises(SourceUnavailableError) as failed:
        async with unavailable("writing saattaja_inbox", _URL):
            raise lost

    reason = str(failed.value)
    assert reason.startswith(
        "the connection to postgresql+asyncpg://adapter:***@db.example:5432/system was lost "
        "while writing saattaja_inbox"
    )
    assert reason.endswith("check SAATTAJA_SQL_OUTBOX_DATABASE_URL and that the server is running")
