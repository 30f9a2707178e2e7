"""An error of the adapter's state file quotes none of the values its statement was given."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.sdk import LocalStoreError
from adapters.sdk.store import AdapterStore

_MARKER = "Virtanen 020516C903K free text"
_INSERT = sa.text("INSERT INTO probe (id, v) VALUES (1, :v)")


async def _write_twice(store: AdapterStore) -> None:
    async with store.transaction("writing a probe row twice") as connection:
        for _ in range(2):
            await connection.execute(_INSERT, {"v": _MARKER})


async def test_a_failing_statement_on_the_state_file_quotes_no_value_it_was_given(
    tmp_path: Path,
) -> None:
    # The file keeps the organisation's events; the error becomes a log line.
    store = await AdapterStore.open(tmp_path / "state.db")
    try:
        async with store.transaction("making a probe table") as connection:
            await connection.exec_driver_sql("CREATE TABLE probe (id INTEGER PRIMARY KEY, v TEXT)")

        with pytest.raises(LocalStoreError) as raised:
            await _write_twice(store)

        assert _MARKER not in str(raised.value)
    finally:
        await store.close()
