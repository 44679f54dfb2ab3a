"""The rules live data must meet (validation.py), run on an import before anything is archived.

The archive is append-only, so a file that would fail a blocking price check after loading must
be refused before it is written. The import is checked the way the price checks would check it
after its load, with the same SQL:

- the row rules (unique key, positive close and adjusted close, OHLC consistency, volume) on the
  file's own rows;
- gaps on what raw.daily_bars would hold for the imported tickers after the load: their stored
  rows that the file does not replace, plus the file's rows, in the scope a run's checks read
  (check_scope.create_scoped_bars). Without a warehouse (or given a bare connection) that is the
  file alone.

Pure functions over a DuckDB connection: an in-memory one, or the warehouse opened read-only
(temp tables only, nothing is written to it).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from assets.prices import check_scope, validation
from warehouse.archive import PRICE_COLUMNS

# The fetch id the import's rows carry while they are checked: it sorts after every real fetch id
# ('~' comes after digits and letters), so the check scope treats them as the newest load.
IMPORT_FETCH_ID = "~import"
IMPORT_TABLE = "import_bars"
AFTER_LOAD_TABLE = "import_after_load"
MAX_EXAMPLES = 10
ROW_RULES = (
    validation.check_unique,
    validation.check_prices_positive,
    validation.check_ohlc_consistent,
    validation.check_volume_non_negative,
)
_VALUE_COLUMNS = [c for c in PRICE_COLUMNS if c not in ("ticker", "session_date")]


def has_stored_bars(con: duckdb.DuckDBPyConnection) -> bool:
    """True when `con` is a warehouse (it has raw.daily_bars)."""
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() "
            "where schema_name = 'raw' and table_name = 'daily_bars'"
        ).fetchall()[0][0]
    )


def _stage(con: duckdb.DuckDBPyConnection, bars: pd.DataFrame) -> None:
    frame = bars.loc[:, list(PRICE_COLUMNS)]
    con.register("import_frame", frame)
    try:
        columns = ", ".join(
            "session_date::date as session_date" if c == "session_date" else c
            for c in PRICE_COLUMNS
        )
        con.execute(
            f"create or replace temp table {IMPORT_TABLE} as "
            f"select {columns}, ?::varchar as fetch_id from import_frame",
            [IMPORT_FETCH_ID],
        ).fetchall()
    finally:
        con.unregister("import_frame")


def _drop(con: duckdb.DuckDBPyConnection) -> None:
    for table in (IMPORT_TABLE, AFTER_LOAD_TABLE, check_scope.SCOPED_TABLE):
        con.execute(f"drop table if exists {table}")


def check_import(
    con: duckdb.DuckDBPyConnection, bars: pd.DataFrame, *, max_examples: int = MAX_EXAMPLES
) -> list[validation.CheckResult]:
    """The failing price checks of an import (canonical long form), each with its first
    offending rows; an empty list when the import may be archived."""
    if not len(bars):
        return []
    _stage(con, bars)
    try:
        kw = {"table": IMPORT_TABLE, "max_examples": max_examples}
        results = [rule(con, **kw) for rule in ROW_RULES]

        stored = has_stored_bars(con)
        after = ""
        if stored:
            after = con.execute(
                "select max(fetch_id) from raw.daily_bars "
                f"where ticker in (select distinct ticker from {IMPORT_TABLE})"
            ).fetchall()[0][0] or ""
            con.execute(
                f"""
                create or replace temp table {AFTER_LOAD_TABLE} as
                select stored.* from raw.daily_bars as stored
                where stored.ticker in (select distinct ticker from {IMPORT_TABLE})
                  and not exists (
                      select 1 from {IMPORT_TABLE} as i
                      where i.ticker = stored.ticker and i.session_date = stored.session_date
                  )
                union all by name
                select * from {IMPORT_TABLE}
                """
            ).fetchall()
        relation = AFTER_LOAD_TABLE if stored else IMPORT_TABLE
        check_scope.create_scoped_bars(con, after, table=relation)
        results.append(
            validation.check_no_gaps(
                con, table=check_scope.SCOPED_TABLE, max_examples=max_examples
            )
        )
    finally:
        _drop(con)
    return [r for r in results if not r.passed]


def rows_already_stored(con: duckdb.DuckDBPyConnection, bars: pd.DataFrame) -> int:
    """How many of the import's rows raw.daily_bars already holds with the very same values
    (0 without a warehouse). All of them: importing the file again would change nothing."""
    if not len(bars) or not has_stored_bars(con):
        return 0
    _stage(con, bars)
    try:
        same = " and ".join(f"s.{c} is not distinct from i.{c}" for c in _VALUE_COLUMNS)
        return int(
            con.execute(
                f"select count(*) from {IMPORT_TABLE} as i "
                "inner join raw.daily_bars as s using (ticker, session_date) "
                f"where {same}"
            ).fetchall()[0][0]
        )
    finally:
        _drop(con)
