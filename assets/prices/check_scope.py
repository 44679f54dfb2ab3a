"""Which bars a run's price checks read: everything the first time, then what the load can
have broken.

Once every blocking check has passed, the newest fetch id is recorded in
raw.price_checks_passed. A later run checks the bars of the fetches loaded since and each of
those tickers' bar before them (`create_scoped_bars`), so a daily run's checks cost what its new
data costs. A failed check does not move the watermark: the bad bars stay in scope until a fetch
or an import replaces them. A rebuild empties the table, so a replayed warehouse is checked whole.
Plain functions over a DuckDB connection: assets/price_checks.py and the bench both use them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import duckdb

from assets.prices.validation import DEFAULT_TABLE, plain_relation

SCOPED_TABLE = "scoped_bars"
# How far before a ticker's first new bar its previous bar is looked for first; tickers with no
# bar there (new, restated, or after a long gap) are looked up over their whole history.
PREVIOUS_BAR_SEARCH_DAYS = 40


def create_scoped_bars(
    con: duckdb.DuckDBPyConnection,
    after_fetch_id: str,
    *,
    table: str = DEFAULT_TABLE,
) -> tuple[int, int]:
    """Create the temp table `scoped_bars`: what a run that loaded the fetches after
    `after_fetch_id` can have broken, for the checks to read instead of the whole history.

    For every ticker with a bar from such a fetch: its bars from the last bar before the earliest
    new one on (a new or restated ticker: its whole history). A duplicate key involves a new bar;
    a new gap or jump lies next to or among the new bars; so every fault the load can introduce is
    in it, while faults in untouched history were reported by the run that loaded them. Returns
    (rows, tickers) in scope.
    """
    relation = plain_relation(table)
    first_new = con.execute(
        f"select min(session_date) from {relation} where fetch_id > ?", [after_fetch_id]
    ).fetchall()[0][0]
    con.execute(f"drop table if exists {SCOPED_TABLE}")
    if first_new is None:
        con.execute(f"create temp table {SCOPED_TABLE} as select * from {relation} limit 0")
        return 0, 0
    search_from = first_new - timedelta(days=PREVIOUS_BAR_SEARCH_DAYS)
    con.execute("drop table if exists scoped_starts")
    con.execute(
        f"""
        create temp table scoped_starts as
        with new_bars as (
            select ticker, min(session_date) as first_new
            from {relation}
            where fetch_id > $after
            group by ticker
        ),
        recent_previous as (
            select bars.ticker, max(bars.session_date) as previous_bar
            from {relation} as bars
            inner join new_bars on new_bars.ticker = bars.ticker
            where bars.session_date >= $search_from and bars.session_date < new_bars.first_new
            group by bars.ticker
        ),
        far_tickers as (
            select * from new_bars where ticker not in (select ticker from recent_previous)
        ),
        far_previous as (
            select bars.ticker, max(bars.session_date) as previous_bar
            from {relation} as bars
            inner join far_tickers on far_tickers.ticker = bars.ticker
            where bars.session_date < far_tickers.first_new
            group by bars.ticker
        )
        select
            new_bars.ticker,
            coalesce(
                recent_previous.previous_bar, far_previous.previous_bar, new_bars.first_new
            ) as scope_start
        from new_bars
        left join recent_previous on recent_previous.ticker = new_bars.ticker
        left join far_previous on far_previous.ticker = new_bars.ticker
        """,
        {"after": after_fetch_id, "search_from": search_from},
    ).fetchall()
    # One literal lower bound first, so the scan drops old rows before the per-ticker join.
    earliest = con.execute("select min(scope_start) from scoped_starts").fetchall()[0][0]
    con.execute(
        f"""
        create temp table {SCOPED_TABLE} as
        select bars.*
        from {relation} as bars
        inner join scoped_starts as starts on starts.ticker = bars.ticker
        where bars.session_date >= $earliest and bars.session_date >= starts.scope_start
        """,
        {"earliest": earliest},
    ).fetchall()
    con.execute("drop table scoped_starts")
    rows, tickers = con.execute(
        f"select count(*), count(distinct ticker) from {SCOPED_TABLE}"
    ).fetchall()[0]
    return int(rows), int(tickers)


def checked_through(con: duckdb.DuckDBPyConnection) -> str | None:
    """The largest fetch id up to which every bar passed the blocking checks (None: none yet)."""
    sql = "select max(checked_through_fetch_id) from raw.price_checks_passed"
    return con.execute(sql).fetchall()[0][0]


def record_checks_passed(con: duckdb.DuckDBPyConnection) -> None:
    """Move the watermark to the newest fetch: call only when every blocking check passed."""
    con.execute(
        "insert into raw.price_checks_passed "
        "select max(fetch_id), now() from raw.price_fetches having max(fetch_id) is not null"
    )


def check_scope(con: duckdb.DuckDBPyConnection) -> tuple[str, dict[str, Any]]:
    """The relation the row checks read, and a description of what it holds (for metadata)."""
    after = checked_through(con)
    if after is None:
        return DEFAULT_TABLE, {"scope": "every bar (no earlier run passed the checks)"}
    rows, tickers = create_scoped_bars(con, after)
    return SCOPED_TABLE, {
        "scope": f"bars loaded after fetch {after}, with each ticker's previous bar",
        "rows_in_scope": rows,
        "tickers_in_scope": tickers,
    }
