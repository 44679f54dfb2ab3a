"""Data checks on daily bars, as plain SQL over a DuckDB connection (the asset checks call these).

Each check selects the rows that break one rule, counts them, keeps a few examples and returns a
CheckResult. They read `raw.daily_bars` by default; pass `table=` to check another relation of the
same shape (a staging table or a registered frame). DuckDB 2.0 streams results, so every query is
fetched to the end before the next one runs.

NaN is not NULL in DuckDB, and NaN compares greater than every number (`NaN > 0` is true), so the
price checks test `isnan` explicitly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from assets.calendar import XNYS, exchange_of, sessions_between

DEFAULT_TABLE = "raw.daily_bars"
DEFAULT_MAX_EXAMPLES = 5
DEFAULT_MOVE_THRESHOLD = 0.25
_RELATION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    failing_rows: int
    examples: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    severity: str = "error"  # error: block downstream; warn: report only


def plain_relation(table: str) -> str:
    # Identifiers cannot be bound as parameters; accept only plain (schema.)name.
    if not _RELATION.match(table):
        raise ValueError(f"not a plain table name: {table!r}")
    return table


def _plain(value: Any) -> Any:
    """JSON- and metadata-friendly values for the examples."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return "NaN"  # not None: a NaN price and a missing one are different faults
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


def _fetch_dicts(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    result = con.execute(sql, params or [])
    columns = [d[0] for d in result.description]
    rows = result.fetchall()
    return [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in rows]


def _run(
    con: duckdb.DuckDBPyConnection,
    name: str,
    failing_sql: str,
    order_by: str,
    *,
    params: list[Any] | None = None,
    max_examples: int,
    ok_text: str,
    fail_text: str,
    severity: str = "error",
) -> CheckResult:
    count = con.execute(f"select count(*) from ({failing_sql})", params or []).fetchall()[0][0]
    examples = []
    if count:
        examples = _fetch_dicts(
            con,
            f"select * from ({failing_sql}) order by {order_by} limit {int(max_examples)}",
            params,
        )
    return CheckResult(
        name=name,
        passed=count == 0,
        failing_rows=int(count),
        examples=examples,
        description=ok_text if count == 0 else fail_text.format(n=count),
        severity=severity,
    )


def check_unique(
    con: duckdb.DuckDBPyConnection,
    *,
    table: str = DEFAULT_TABLE,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
) -> CheckResult:
    """(ticker, session_date) appears once."""
    sql = f"""
        select ticker, session_date, count(*) as copies
        from {plain_relation(table)}
        group by ticker, session_date
        having count(*) > 1"""
    return _run(
        con, "bars_unique", sql, "ticker, session_date", max_examples=max_examples,
        ok_text="every (ticker, session_date) appears once",
        fail_text="{n} (ticker, session_date) keys appear more than once",
    )


def check_prices_positive(
    con: duckdb.DuckDBPyConnection,
    *,
    table: str = DEFAULT_TABLE,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
) -> CheckResult:
    """close and adj_close are present, not NaN, and > 0."""
    sql = f"""
        select ticker, session_date, close, adj_close
        from {plain_relation(table)}
        where close is null or adj_close is null
           or isnan(close) or isnan(adj_close)
           or close <= 0 or adj_close <= 0"""
    return _run(
        con, "prices_positive", sql, "ticker, session_date", max_examples=max_examples,
        ok_text="close and adj_close are present and positive on every row",
        fail_text="{n} rows lack a positive close or adj_close",
    )


def check_ohlc_consistent(
    con: duckdb.DuckDBPyConnection,
    *,
    table: str = DEFAULT_TABLE,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
) -> CheckResult:
    """low <= open <= high and low <= close <= high (a missing open/high/low is not checked)."""
    sql = f"""
        select ticker, session_date, open, high, low, close
        from {plain_relation(table)}
        where (low is not null and high is not null and (isnan(low) or isnan(high) or low > high))
           or (open is not null and low is not null and open < low)
           or (open is not null and high is not null and open > high)
           or (close is not null and low is not null and close < low)
           or (close is not null and high is not null and close > high)"""
    return _run(
        con, "ohlc_consistent", sql, "ticker, session_date", max_examples=max_examples,
        ok_text="low <= open, close <= high on every row",
        fail_text="{n} rows have open or close outside [low, high]",
    )


def check_volume_non_negative(
    con: duckdb.DuckDBPyConnection,
    *,
    table: str = DEFAULT_TABLE,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
) -> CheckResult:
    sql = f"""
        select ticker, session_date, volume
        from {plain_relation(table)}
        where volume < 0"""
    return _run(
        con, "volume_non_negative", sql, "ticker, session_date", max_examples=max_examples,
        ok_text="volume is never negative",
        fail_text="{n} rows have a negative volume",
    )


def check_freshness(
    con: duckdb.DuckDBPyConnection,
    tickers: Iterable[str],
    as_of: date,
    *,
    table: str = DEFAULT_TABLE,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
) -> CheckResult:
    """Every given ticker has a bar for the session `as_of` (the latest session expected)."""
    wanted = sorted({t.upper() for t in tickers})
    sql = f"""
        with wanted as (select unnest(?::varchar[]) as ticker),
        latest as (
            select ticker, max(session_date) as latest_session
            from {plain_relation(table)}
            where ticker in (select ticker from wanted)
            group by ticker
        )
        select w.ticker, l.latest_session, ?::date as expected_session
        from wanted w left join latest l using (ticker)
        where l.latest_session is null or l.latest_session < ?::date"""
    return _run(
        con, "bars_fresh", sql, "ticker", params=[wanted, as_of, as_of],
        max_examples=max_examples,
        ok_text=f"all {len(wanted)} tickers have the session {as_of}",
        fail_text=f"{{n}} of {len(wanted)} tickers lack the session {as_of}",
    )


def _missing_sessions_sql(table: str) -> str:
    """(ticker, missing_session) for every session of a ticker's own exchange between its first
    and last bar that has no bar; parameters: tickers, their exchanges, exchanges, sessions."""
    return f"""
        with ticker_exchange as (
            select unnest(?::varchar[]) as ticker, unnest(?::varchar[]) as exchange
        ),
        sessions as (
            select unnest(?::varchar[]) as exchange, unnest(?::date[]) as session_date
        ),
        spans as (
            select ticker, min(session_date) as first_session, max(session_date) as last_session
            from {plain_relation(table)}
            group by ticker
        ),
        expected as (
            select p.ticker, s.session_date
            from spans p
            join ticker_exchange t on t.ticker = p.ticker
            join sessions s
              on s.exchange = t.exchange
             and s.session_date between p.first_session and p.last_session
        )
        select e.ticker, e.session_date as missing_session
        from expected e anti join {plain_relation(table)} b
          on b.ticker = e.ticker and b.session_date = e.session_date"""


def _gap_params(
    con: duckdb.DuckDBPyConnection, table: str, us_listings: bool
) -> list[Any] | None:
    """The parameters of _missing_sessions_sql for the tickers on XNYS (us_listings) or on every
    other exchange; None when there are no such tickers."""
    rows = con.execute(
        f"select ticker, min(session_date), max(session_date) from {plain_relation(table)} "
        "group by ticker order by ticker"
    ).fetchall()
    chosen = [(t, exchange_of(t), lo, hi) for t, lo, hi in rows if (exchange_of(t) == XNYS)
              == us_listings]
    if not chosen:
        return None
    exchanges: list[str] = []
    sessions: list[Any] = []
    for exchange in sorted({e for _, e, _, _ in chosen}):
        lo = min(r[2] for r in chosen if r[1] == exchange)
        hi = max(r[3] for r in chosen if r[1] == exchange)
        days = sessions_between(lo, hi, exchange)
        exchanges += [exchange] * len(days)
        sessions += days
    return [[t for t, *_ in chosen], [e for _, e, *_ in chosen], exchanges, sessions]


def check_no_gaps(
    con: duckdb.DuckDBPyConnection,
    *,
    table: str = DEFAULT_TABLE,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
) -> CheckResult:
    """No XNYS session is missing between a US ticker's first and last bar.

    The tail after the last bar is the freshness check's business. Failing rows are the missing
    (ticker, session) pairs. Tickers on other exchanges (Hong Kong lines, FX) are
    check_home_line_gaps' business: their own calendar, and only a warning.
    """
    params = _gap_params(con, table, us_listings=True)
    if params is None:
        return CheckResult("bars_no_gaps", True, 0, [], "no bars to check")
    return _run(
        con, "bars_no_gaps", _missing_sessions_sql(table), "ticker, missing_session",
        params=params,
        max_examples=max_examples,
        ok_text="no XNYS session missing inside any ticker's history",
        fail_text="{n} XNYS sessions missing inside tickers' histories",
    )


def check_home_line_gaps(
    con: duckdb.DuckDBPyConnection,
    *,
    table: str = DEFAULT_TABLE,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
) -> CheckResult:
    """No session of its own exchange (XHKG for a .HK line, weekdays for FX) is missing between a
    non-US ticker's first and last bar. A WARN, not an ERROR: a typhoon signal or a black
    rainstorm closes Hong Kong on a day no calendar knows. Failing rows name ticker and session.
    """
    params = _gap_params(con, table, us_listings=False)
    if params is None:
        return CheckResult(
            "home_line_gaps", True, 0, [], "no Hong Kong or FX bars to check", severity="warn"
        )
    return _run(
        con, "home_line_gaps", _missing_sessions_sql(table), "ticker, missing_session",
        params=params,
        max_examples=max_examples,
        ok_text="no session of its own exchange missing inside any home line's or FX history",
        fail_text=(
            "{n} sessions of their own exchange missing inside home lines' or FX histories "
            "(WARN: a weather closure no calendar knows, or a bar Yahoo lacks)"
        ),
        severity="warn",
    )


def check_large_moves(
    con: duckdb.DuckDBPyConnection,
    *,
    threshold: float = DEFAULT_MOVE_THRESHOLD,
    table: str = DEFAULT_TABLE,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
) -> CheckResult:
    """One-bar |adj_close return| above `threshold` on a day with no split recorded (a warning).

    Such a move is either real news or an unadjusted split/bad print; a person should look. The
    return is between consecutive bars of the ticker, as the analytics compute it.
    """
    if threshold <= 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    sql = f"""
        with r as (
            select ticker, session_date, adj_close, stock_splits,
                   lag(adj_close) over by_ticker as prev_adj_close,
                   lag(session_date) over by_ticker as prev_session
            from {plain_relation(table)}
            window by_ticker as (partition by ticker order by session_date)
        )
        select ticker, prev_session, session_date, prev_adj_close, adj_close,
               adj_close / prev_adj_close - 1 as one_day_return
        from r
        where prev_adj_close > 0 and not isnan(prev_adj_close) and not isnan(adj_close)
          and abs(adj_close / prev_adj_close - 1) > ?
          and coalesce(stock_splits, 0) = 0"""
    return _run(
        con, "large_moves_without_split", sql, "abs(one_day_return) desc, ticker, session_date",
        params=[threshold], max_examples=max_examples,
        ok_text=f"no one-day move above {threshold:.0%} without a recorded split",
        fail_text=f"{{n}} one-day moves above {threshold:.0%} with no split recorded",
        severity="warn",
    )
