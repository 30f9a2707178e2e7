"""pairs_in: rows under any of some (first, second) pairs, read through the index on both."""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from consent.database import pairs_in

_METADATA: Final = sa.MetaData()
_KEYED: Final = sa.Table(
    "keyed",
    _METADATA,
    sa.Column("first", sa.String(8), primary_key=True),
    sa.Column("second", sa.String(8), primary_key=True),
)
PAIRS: Final = {("a", "1"), ("a", "2"), ("b", "1")}


def _engine() -> sa.Engine:
    engine = sa.create_engine("sqlite://")
    _METADATA.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            _KEYED.insert(),
            [{"first": f, "second": s} for f in "abc" for s in "123"],
        )
    return engine


def test_the_rows_under_the_pairs_are_found_and_no_others() -> None:
    query = sa.select(_KEYED).where(pairs_in(_KEYED.c.first, _KEYED.c.second, PAIRS))
    with _engine().connect() as connection:
        assert {tuple(row) for row in connection.execute(query)} == PAIRS


def test_sqlite_reads_them_through_the_index_rather_than_the_whole_table() -> None:
    query = sa.select(_KEYED).where(pairs_in(_KEYED.c.first, _KEYED.c.second, PAIRS))
    text = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with _engine().connect() as connection:
        plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {text}")]
    assert not [step for step in plan if step.startswith("SCAN keyed")]
    assert [step for step in plan if step.startswith("SEARCH keyed USING")]
