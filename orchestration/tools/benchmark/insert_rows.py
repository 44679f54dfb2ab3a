"""Rows from Python into DuckDB: `executemany` against warehouse.rows.insert_rows, on the raw
valuation snapshots table (warehouse/schema.py), one statement group per fetch as the replay
does. Both tables are compared afterwards; the figures are printed.

    .venv/bin/python -m orchestration.tools.benchmark.insert_rows [--tickers 25] [--fetches 21]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from warehouse.rows import insert_rows
from warehouse.schema import RAW_TABLES_DDL
from warehouse.snapshots import VALUATION_SNAPSHOT_COLUMNS

HEAD = f"insert or replace into raw.valuation_snapshots ({', '.join(VALUATION_SNAPSHOT_COLUMNS)})"


def fetch_rows(tickers: int, fetch: int) -> list[list[Any]]:
    """One fetch's rows, shaped as load_valuation_fetch builds them."""
    session = date(2025, 1, 2) + timedelta(days=fetch)
    fetched_at = datetime(session.year, session.month, session.day, 22, 30, tzinfo=UTC)
    return [
        [f"T{t:04d}", session, fetched_at, 1e9 + t, 20.5, 18.0, 3.1, 2.2, 11.0, 0.4, 150.0,
         2.1, 30 + t % 7, "USD", [] if t % 5 else ["trailingPE: not a number"], f"f{fetch}"]
        for t in range(tickers)
    ]


def _table() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(RAW_TABLES_DDL["valuation_snapshots"])
    return con


def time_loader(name: str, tickers: int, fetches: int) -> tuple[float, list[tuple]]:
    con = _table()
    marks = "(" + ", ".join("?" * len(VALUATION_SNAPSHOT_COLUMNS)) + ")"
    started = time.perf_counter()
    for fetch in range(fetches):
        rows = fetch_rows(tickers, fetch)
        con.execute("begin transaction")
        if name == "executemany":
            con.executemany(f"{HEAD} values {marks}", rows)
        else:
            insert_rows(con, HEAD, rows)
        con.execute("commit")
    seconds = time.perf_counter() - started
    table = con.execute("select * from raw.valuation_snapshots order by all").fetchall()
    return seconds, table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.tools.benchmark.insert_rows",
        description="Time executemany against insert_rows on raw.valuation_snapshots.",
    )
    parser.add_argument("--tickers", type=int, default=25, help="rows per fetch (default 25)")
    parser.add_argument("--fetches", type=int, default=21, help="fetches (default 21)")
    args = parser.parse_args(argv)
    results = {name: time_loader(name, args.tickers, args.fetches)
               for name in ("executemany", "insert_rows")}
    if results["executemany"][1] != results["insert_rows"][1]:
        print("the two tables differ: the figures below do not compare the same work")
        return 1
    rows = args.tickers * args.fetches
    print(f"{rows} rows ({args.fetches} fetches of {args.tickers}) into raw.valuation_snapshots;"
          " the two tables are equal\n")
    print(f"{'loader':<12}  {'seconds':>7}  {'ms/row':>6}")
    print(f"{'-' * 12}  {'-' * 7}  {'-' * 6}")
    for name, (seconds, _) in results.items():
        print(f"{name:<12}  {seconds:>7.2f}  {1000 * seconds / rows:>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
