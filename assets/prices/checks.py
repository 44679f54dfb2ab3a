"""The price checks of a run, as one call: what the `daily_bars_checks` asset check runs and what
the benchmark measures (orchestration/tools/benchmark), so the two can never drift apart.

A run's checks read the bars its load can have broken (check_scope.py), judge freshness against
the session the run was asked to load, and, when no blocking check failed, move the watermark so
the next run checks only what it loads. Each result carries its severity: "error" blocks the
marts, "warn" only reports.

Freshness is judged against the last session the run was asked to load (its partition, or the
end of the latest loaded fetch for an unpartitioned run such as an archive replay), never the
wall clock: the bundled sample ends 2025-03-31 and must still pass. A ticker that is stale because
Yahoo failed it (the fetch recorded it in failed_tickers) is a WARN, so one bad ticker does not
hold back the marts of all the others; a ticker stale for no reported reason is an ERROR.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import duckdb

from assets.calendar import NEW_YORK, previous_session_on_or_before
from assets.prices import check_scope, validation
from assets.sessions import NotASessionError, session_range_from_tags

MAX_EXAMPLES = 20

# check name -> (description, blocking). The order is the order results are returned in.
PRICE_CHECKS: dict[str, tuple[str, bool]] = {
    "bars_unique": ("(ticker, session_date) appears once.", True),
    "prices_positive": ("close and adj_close are present, not NaN, and > 0.", True),
    "ohlc_consistent": ("low <= open, close <= high on every bar.", True),
    "volume_non_negative": ("volume >= 0 on every bar.", True),
    "bars_fresh": (
        "Every universe ticker has the latest session the run was asked to load (XNYS). ERROR "
        "when a ticker is stale for no reported reason; WARN when Yahoo failed it in the fetch.",
        True,
    ),
    "bars_no_gaps": (
        "No XNYS session is missing between a ticker's first and last bar.",
        True,
    ),
    "large_moves_without_split": (
        f"One-day |adjusted return| above {validation.DEFAULT_MOVE_THRESHOLD:.0%} with no split "
        "recorded (WARN: real news or a bad print; the rows are in the metadata).",
        False,
    ),
}


@dataclass(frozen=True)
class CheckOutcome:
    """One check's result and the figures that explain it (shown as metadata)."""

    result: validation.CheckResult
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def blocking_failure(self) -> bool:
        return not self.result.passed and self.result.severity == "error"


@dataclass(frozen=True)
class PriceCheckRun:
    as_of: date
    scope: dict[str, Any]
    outcomes: list[CheckOutcome]
    watermark_moved: bool

    @property
    def blocking_failed(self) -> list[str]:
        return [o.result.name for o in self.outcomes if o.blocking_failure]


def expected_session(run_tags: Mapping[str, str], con: duckdb.DuckDBPyConnection) -> date:
    """The latest session the run was asked to load.

    A partitioned run: its (last) partition. Otherwise the end of the newest loaded fetch or
    import (an archive replay: the archive's last session). With nothing loaded: the last
    session up to today, so an empty warehouse is reported stale.
    """
    try:
        sessions = session_range_from_tags(run_tags)
    except NotASessionError:
        sessions = None  # raw_prices refused the run already; judge what is stored
    if sessions is not None:
        return sessions.last
    latest_end = con.execute("select max(end_date) from raw.price_fetches").fetchall()[0][0]
    day = latest_end or datetime.now(NEW_YORK).date()
    return previous_session_on_or_before(day)


def reported_failures(con: duckdb.DuckDBPyConnection, session: date) -> set[str]:
    """Tickers a fetch covering `session` reported as failed (Yahoo gave them nothing)."""
    rows = con.execute(
        "select distinct unnest(failed_tickers) from raw.price_fetches "
        "where end_date >= ? and len(failed_tickers) > 0",
        [session],
    ).fetchall()
    return {r[0] for r in rows}


def freshness_severity(stale: set[str], reported_failed: set[str]) -> str:
    """error unless every stale ticker is explained by a reported fetch failure."""
    return "warn" if stale and stale <= reported_failed else "error"


def run_price_checks(
    con: duckdb.DuckDBPyConnection,
    universe: Iterable[str],
    as_of: date,
    *,
    max_examples: int = MAX_EXAMPLES,
    record_watermark: bool = True,
) -> PriceCheckRun:
    """Every price check over the bars in scope; moves the watermark when none blocks."""
    universe = list(universe)
    table, scope = check_scope.check_scope(con)
    kw = {"max_examples": max_examples, "table": table}
    outcomes = [
        CheckOutcome(validation.check_unique(con, **kw), scope),
        CheckOutcome(validation.check_prices_positive(con, **kw), scope),
        CheckOutcome(validation.check_ohlc_consistent(con, **kw), scope),
        CheckOutcome(validation.check_volume_non_negative(con, **kw), scope),
    ]
    fresh = validation.check_freshness(con, universe, as_of, max_examples=max(len(universe), 1))
    stale = {row["ticker"] for row in fresh.examples}
    reported = reported_failures(con, as_of)
    severity = fresh.severity if fresh.passed else freshness_severity(stale, reported)
    fresh = replace(fresh, examples=fresh.examples[:max_examples], severity=severity)
    outcomes.append(
        CheckOutcome(
            fresh,
            {
                "expected_session": as_of.isoformat(),
                "stale_tickers": sorted(stale),
                "stale_because_fetch_failed": sorted(stale & reported),
            },
        )
    )
    outcomes.append(CheckOutcome(validation.check_no_gaps(con, **kw), scope))
    outcomes.append(CheckOutcome(validation.check_large_moves(con, **kw), scope))
    moved = False
    if record_watermark and not any(o.blocking_failure for o in outcomes):
        check_scope.record_checks_passed(con)
        moved = True
    return PriceCheckRun(as_of, scope, outcomes, moved)
