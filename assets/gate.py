"""The build gate: before the marts are built from what is stored, the blocking checks run again.

Why again: the checks that ran with a fetch or an import may have failed in another run (or on
another Dagster instance), and `adrpulse build` would otherwise turn the same bad bars into marts
and publish them. The gate re-runs, over the stored data, every blocking price check
(assets/prices/checks.py, scoped to the bars that have not passed yet, so it costs what the
unchecked data costs) and the blocking news check (a repeated item key), and says for each failure
which rows, which fetch stored them, and what to do. No Dagster here: assets/build_gate.py wires
it into the build_marts job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from assets.news import quality
from assets.prices.checks import expected_session, run_price_checks

DAILY_BARS = "raw/daily_bars"
NEWS_ITEMS = "raw/news_items"
MAX_ROWS = 20

_REPLACE_BARS = (
    "Replace the offending bars: import corrected bars for those tickers and sessions "
    "(`adrpulse import-prices PATH`) or fetch the sessions again (`adrpulse backfill START END`); "
    "a later import or fetch of the same ticker and session replaces the stored bar. The "
    "`fetch_id` column names the fetch or import that stored each bar; to take that fetch out "
    "altogether, `adrpulse archive retract FETCH_ID --reason TEXT`, then `adrpulse rebuild`."
)
FIXES = {
    "bars_unique": _REPLACE_BARS,
    "prices_positive": _REPLACE_BARS,
    "ohlc_consistent": _REPLACE_BARS,
    "volume_non_negative": _REPLACE_BARS,
    "bars_no_gaps": (
        "Fill the missing sessions: `adrpulse backfill START END` over them, or import them "
        "(`adrpulse import-prices PATH`)."
    ),
    "bars_fresh": (
        "Load the latest session for the stale tickers (`adrpulse run`, or `adrpulse backfill` "
        "for a range, or an import), or remove tickers you no longer follow from the universe "
        "file (ADRPULSE_UNIVERSE)."
    ),
    "unique_item_key": (
        "Rebuild the news tables from the raw archive: `adrpulse rebuild`."
    ),
}
FORCE_HINT = (
    "To build and publish anyway: `adrpulse build --force` (the published build then records "
    "the failed checks, shown by `adrpulse sql --list` and in the report)."
)


@dataclass(frozen=True)
class FailedCheck:
    asset: str  # raw/daily_bars | raw/news_items
    check: str
    message: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def qualified(self) -> str:
        return f"{self.asset}:{self.check}"

    @property
    def fix(self) -> str:
        return FIXES.get(self.check, "See the check's description in the UI.")


@dataclass(frozen=True)
class GateResult:
    as_of: date
    failed: list[FailedCheck]
    passed: list[str]  # asset:check of every blocking check that passed
    fetches: list[dict[str, Any]]  # the fetches that stored offending bars

    def failed_on(self, asset: str) -> list[FailedCheck]:
        return [f for f in self.failed if f.asset == asset]

    def next_steps(self, asset: str, *, forced: bool = False) -> str:
        """How to fix the failures on `asset` (and, unless already forced, how to force)."""
        fixes = list(dict.fromkeys(f.fix for f in self.failed_on(asset)))
        if fixes and not forced:
            fixes.append(FORCE_HINT)
        return "\n".join(fixes)


def _with_fetch_ids(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each offending bar with the fetch or import that stored it (rows without a ticker and
    session, such as a stale ticker's, are returned as they are)."""
    keys = [(r["ticker"], r["session_date"]) for r in rows if "ticker" in r and "session_date" in r]
    if not keys:
        return rows
    found = con.execute(
        """
        select bars.ticker, strftime(bars.session_date, '%Y-%m-%d'),
               string_agg(distinct bars.fetch_id, ' ' order by bars.fetch_id)
        from raw.daily_bars as bars
        inner join (select unnest(?::varchar[]) as ticker, unnest(?::date[]) as session_date) k
            on k.ticker = bars.ticker and k.session_date = bars.session_date
        group by all
        """,
        [[k[0] for k in keys], [k[1] for k in keys]],
    ).fetchall()
    fetch_of = {(t, d): f for t, d, f in found}
    return [
        {**r, "fetch_id": fetch_of.get((r.get("ticker"), r.get("session_date")))}
        if "ticker" in r and "session_date" in r
        else r
        for r in rows
    ]


def _fetches(con: duckdb.DuckDBPyConnection, failed: Iterable[FailedCheck]) -> list[dict[str, Any]]:
    ids = sorted(
        {
            fetch_id
            for f in failed
            for r in f.rows
            for fetch_id in (r.get("fetch_id") or "").split()
        }
    )
    if not ids:
        return []
    cursor = con.execute(
        "select fetch_id, source, strftime(fetched_at at time zone 'UTC', "
        "'%Y-%m-%dT%H:%M:%SZ') as fetched_at, archive_path, start_date, end_date "
        "from raw.price_fetches where list_contains(?, fetch_id) order by fetch_id",
        [ids],
    )
    columns = [d[0] for d in cursor.description]
    return [
        {
            c: (v.isoformat() if isinstance(v, date) else v)
            for c, v in zip(columns, row, strict=True)
        }
        for row in cursor.fetchall()
    ]


def check_stored_data(
    con: duckdb.DuckDBPyConnection, universe: Iterable[str], *, max_rows: int = MAX_ROWS
) -> GateResult:
    """Every blocking check over the stored data, as a marts build must see it.

    Freshness is judged as for any run without a partition (assets/prices/checks.py). When every
    price check passes, the price checks' watermark moves, as after any run.
    """
    # As for any run without a partition; run.as_of is the session freshness was judged against.
    run = run_price_checks(con, universe, expected_session({}, con), max_examples=max_rows)
    failed: list[FailedCheck] = []
    passed: list[str] = []
    for outcome in run.outcomes:
        result = outcome.result
        if outcome.blocking_failure:
            rows = _with_fetch_ids(con, list(result.examples))
            failed.append(FailedCheck(DAILY_BARS, result.name, result.description, rows))
        elif result.severity == "error":
            passed.append(f"{DAILY_BARS}:{result.name}")
    news = quality.unique_item_keys(con)
    if news.passed:
        passed.append(f"{NEWS_ITEMS}:unique_item_key")
    else:
        failed.append(
            FailedCheck(NEWS_ITEMS, "unique_item_key", news.summary, news.rows[:max_rows])
        )
    return GateResult(run.as_of, failed, passed, _fetches(con, failed))
