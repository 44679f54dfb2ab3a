"""warehouse.rows.insert_rows: Python rows into DuckDB in chunks of multi-row VALUES, giving the
same table as DuckDB's executemany (types, NULLs, lists, time zones), in the caller's
transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pytest

from warehouse.rows import insert_rows

DDL = """create table t (
    k varchar primary key, d date not null, fetched_at timestamptz, x double, n integer,
    problems varchar[] not null)"""
ROWS = [
    ("a", date(2025, 3, 3), datetime(2025, 3, 3, 22, 30, tzinfo=UTC), 1.5, 3, []),
    ("b", date(2025, 3, 4), None, None, None, ["marketCap: negative"]),
    ("c", date(2025, 3, 5), datetime(2025, 3, 5, 22, 30, tzinfo=UTC), -0.25, 0, ["x", "y"]),
    ("d", date(2025, 3, 6), datetime(2025, 3, 6, 1, 0, tzinfo=UTC), 1e-300, -7, []),
    ("e", date(2025, 3, 7), None, float("inf"), 2**31 - 1, []),
]


def _table(rows_in: list[tuple], how: str, chunk_rows: int = 2) -> list[tuple]:
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    con.execute(DDL)
    if how == "insert_rows":
        insert_rows(con, "insert into t", rows_in, chunk_rows=chunk_rows)
    else:
        con.executemany("insert into t values (?, ?, ?, ?, ?, ?)", rows_in)
    query = "select *, typeof(fetched_at), typeof(problems) from t order by k"
    return con.execute(query).fetchall()


@pytest.mark.parametrize("chunk_rows", [1, 2, 5, 500])
def test_the_table_equals_what_executemany_gives(chunk_rows: int) -> None:
    ours = _table(ROWS, "insert_rows", chunk_rows)
    assert ours == _table(ROWS, "executemany")
    assert [r[0] for r in ours] == ["a", "b", "c", "d", "e"]
    assert ours[1][5] == ["marketCap: negative"] and ours[1][2] is None


def test_no_rows_runs_nothing_and_uneven_rows_are_refused() -> None:
    con = duckdb.connect()
    con.execute(DDL)
    insert_rows(con, "insert into t", [])
    assert con.execute("select count(*) from t").fetchone() == (0,)
    with pytest.raises(ValueError, match="same 6 values"):
        insert_rows(con, "insert into t", [ROWS[0], ROWS[1][:5]])


def test_a_bad_row_in_a_later_chunk_leaves_the_callers_transaction_to_roll_back() -> None:
    con = duckdb.connect()
    con.execute(DDL)
    insert_rows(con, "insert into t", [ROWS[0]])
    bad = ("z", None, None, None, None, [])  # d is not null
    con.execute("begin transaction")
    with pytest.raises(duckdb.ConstraintException):
        insert_rows(con, "insert into t", [*ROWS[1:], bad], chunk_rows=2)
    con.execute("rollback")
    # the row stored before is kept; none of the failed batch is
    assert con.execute("select k from t").fetchall() == [("a",)]


def test_the_harness_compares_equal_tables_and_prints_both_loaders(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from orchestration.tools.benchmark import insert_rows as bench

    assert bench.main(["--tickers", "3", "--fetches", "2"]) == 0
    out = capsys.readouterr().out
    assert "6 rows (2 fetches of 3)" in out and "the two tables are equal" in out
    assert [line.split()[0] for line in out.splitlines()[-2:]] == ["executemany", "insert_rows"]


def test_an_upsert_given_one_key_twice_in_a_chunk_keeps_the_first_row() -> None:
    # What the docstring warns of, pinned: callers that upsert must pass unique keys.
    con = duckdb.connect()
    con.execute("create table u (k varchar primary key, v integer)")
    insert_rows(con, "insert or replace into u", [("A", 1), ("A", 2)])
    assert con.execute("select * from u").fetchall() == [("A", 1)]
