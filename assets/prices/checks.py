"""The price checks of a run, as one call: what the `daily_bars_checks` asset check runs and what
the benchmark measures (orchestration/tools/benchmark), so the two can never drift apart.

A run's checks read the bars its load can have broken (check_scope.py), judge freshness (below),
and, when no blocking check failed, move the watermark so the next run checks only what it loads.
Each result carries its severity: "error" blocks the marts, "warn" only reports.

Freshness is never judged against the wall clock (the bundled sample ends 2025-03-31 and must
still pass), and it has two rules:

- a partitioned run (the live daily run, a backfill) is strict: every universe ticker must have
  the run's last partition. A ticker that Yahoo failed in the fetch (recorded in failed_tickers)
  is a WARN, so one bad ticker does not hold back the marts of all the others; a ticker stale for
  no reported reason is an ERROR.
- a run without a partition (an import, `load_archive`, `rebuild`, the demo) is judged per
  ticker, against what that ticker's own latest fetch or import covers: for an import, the last
  session of that ticker's rows in the file; for a fetch, the end it asked Yahoo for. Missing
  sessions there are an ERROR (unless the fetch reported the ticker failed: WARN). A universe
  ticker that no fetch or import ever had, or whose data ends before the newest session any fetch
  or import covers, is a WARN that names it: an import of a vendor's files that end on different
  days, or that leave some universe tickers out, builds the marts of what it has. Only a run in
  which no universe ticker has any bar fails on freshness as a whole.

The home lines and FX (the tickers a run fetches beyond the universe for the premium) are judged
in the same check on their own calendars: each must have its exchange's last session on or before
the run's newest session (XHKG for a Hong Kong line, the last weekday for FX). A stale one is a
WARN naming the ticker and that session, under either rule: a typhoon or black-rainstorm closure
is in no calendar, and the US marts do not need the home lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import duckdb

from assets.calendar import NEW_YORK, exchange_of, previous_session_on_or_before
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
        "A partitioned run: every universe ticker has the run's last session (ERROR when one is "
        "stale for no reported reason; WARN when Yahoo failed it in the fetch). A run without a "
        "partition (imports, replays): each ticker has what its own latest fetch or import "
        "covers (ERROR otherwise); a ticker with no bars, or ending before the newest session, "
        "is a WARN that names it. Home lines and FX: each has its own exchange's last session on "
        "or before the newest one (XHKG; weekdays for FX), else a WARN naming ticker and session.",
        True,
    ),
    "bars_no_gaps": (
        "No XNYS session is missing between a US ticker's first and last bar.",
        True,
    ),
    "home_line_gaps": (
        "No session of its own exchange (XHKG for a Hong Kong line, weekdays for FX) is missing "
        "between a home line's first and last bar (WARN naming ticker and date: a typhoon or "
        "rainstorm closure is in no calendar).",
        False,
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
class ExpectedSession:
    """What a run's freshness is judged against.

    `session`: the newest session the run was asked to load: its (last) partition, else the end
    of the newest loaded fetch or import. `per_ticker`: False (a partitioned run) means every
    universe ticker must have `session`; True (a run without a partition) means each ticker is
    judged against what its own latest fetch or import covers (module docstring).
    """

    session: date
    per_ticker: bool = False

    @property
    def rule(self) -> str:
        return "per ticker" if self.per_ticker else "partition"


@dataclass(frozen=True)
class PriceCheckRun:
    as_of: date
    scope: dict[str, Any]
    outcomes: list[CheckOutcome]
    watermark_moved: bool
    freshness_rule: str = "partition"

    @property
    def blocking_failed(self) -> list[str]:
        return [o.result.name for o in self.outcomes if o.blocking_failure]


def expected_session(
    run_tags: Mapping[str, str], con: duckdb.DuckDBPyConnection
) -> ExpectedSession:
    """The latest session the run was asked to load, and which freshness rule applies.

    A partitioned run: its (last) partition, strictly. Otherwise the end of the newest loaded
    fetch or import (an archive replay: the archive's last session), judged per ticker. With
    nothing loaded: the last session up to today, so an empty warehouse is reported stale.
    """
    try:
        sessions = session_range_from_tags(run_tags)
    except NotASessionError:
        sessions = None  # raw_prices refused the run already; judge what is stored
    if sessions is not None:
        return ExpectedSession(sessions.last, per_ticker=False)
    latest_end = con.execute("select max(end_date) from raw.price_fetches").fetchall()[0][0]
    day = latest_end or datetime.now(NEW_YORK).date()
    return ExpectedSession(previous_session_on_or_before(day), per_ticker=True)


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


def _strict_freshness(
    con: duckdb.DuckDBPyConnection, universe: list[str], as_of: date, max_examples: int
) -> CheckOutcome:
    """A partitioned run: every universe ticker has the session `as_of`."""
    fresh = validation.check_freshness(con, universe, as_of, max_examples=max(len(universe), 1))
    stale = {row["ticker"] for row in fresh.examples}
    reported = reported_failures(con, as_of)
    severity = fresh.severity if fresh.passed else freshness_severity(stale, reported)
    fresh = replace(fresh, examples=fresh.examples[:max_examples], severity=severity)
    return CheckOutcome(
        fresh,
        {
            "expected_session": as_of.isoformat(),
            "freshness_rule": "partition",
            "stale_tickers": sorted(stale),
            "stale_because_fetch_failed": sorted(stale & reported),
        },
    )


# Why a ticker is not fresh under the per-ticker rule: the `reason` of its offending row.
NO_BARS = "no bars in any fetch or import"
FETCH_FAILED = "its latest fetch reported it failed"
ENDS_EARLY = "ends before the newest session"
STALE = "lacks sessions its own fetch/import covers"


def _ticker_coverage(
    con: duckdb.DuckDBPyConnection, universe: list[str]
) -> list[tuple[str, date | None, str | None, date | None, bool]]:
    """Per universe ticker: its last bar, the source of its latest fetch or import, the last
    session that fetch or import covers for it, and whether that fetch reported it failed.

    An import covers, for each ticker, the sessions of that ticker's rows in the file (its rows
    still carry the import's fetch_id: a later fetch that rewrote them would itself be the
    ticker's latest); a fetch covers the end it asked Yahoo for.
    """
    rows = con.execute(
        """
        with wanted as (select unnest(?::varchar[]) as ticker),
        requests as (
            select fetch_id, source, end_date, failed_tickers, unnest(requested_tickers) as ticker
            from raw.price_fetches
        ),
        last_request as (
            select ticker, max(fetch_id) as fetch_id
            from requests
            where ticker in (select ticker from wanted)
            group by ticker
        ),
        covering as (
            select r.ticker, r.fetch_id, r.source, r.end_date,
                   coalesce(list_contains(r.failed_tickers, r.ticker), false) as failed
            from requests r inner join last_request l using (ticker, fetch_id)
        ),
        latest as (
            select ticker, max(session_date) as latest_session
            from raw.daily_bars
            where ticker in (select ticker from wanted)
            group by ticker
        ),
        file_ends as (
            select b.ticker, max(b.session_date) as file_end
            from raw.daily_bars b
            inner join covering c on b.ticker = c.ticker and b.fetch_id = c.fetch_id
            where c.source = 'import'
            group by b.ticker
        )
        select w.ticker, l.latest_session, c.source,
               case when c.source = 'import' then coalesce(f.file_end, c.end_date)
                    else c.end_date end as covers_through,
               coalesce(c.failed, false) as failed
        from wanted w
        left join latest l using (ticker)
        left join covering c using (ticker)
        left join file_ends f using (ticker)
        order by w.ticker
        """,
        [universe],
    ).fetchall()
    out = []
    for ticker, latest, source, covers, failed in rows:
        if covers is not None:
            covers = previous_session_on_or_before(covers)  # a fetch may ask past its last session
        out.append((ticker, latest, source, covers, bool(failed)))
    return out


def per_ticker_freshness(
    con: duckdb.DuckDBPyConnection, universe: list[str], newest: date, max_examples: int
) -> CheckOutcome:
    """A run without a partition: each ticker against what its own latest fetch or import
    covers (ERROR when it lacks that), a ticker with no bars or ending before `newest` a WARN."""
    unexplained: list[dict[str, Any]] = []
    warned: list[dict[str, Any]] = []
    failed: list[str] = []
    early: list[str] = []
    without: list[str] = []
    with_bars = 0
    for ticker, latest, source, covers, fetch_failed in _ticker_coverage(con, universe):
        with_bars += latest is not None
        row = {
            "ticker": ticker,
            "latest_session": latest.isoformat() if latest else None,
            "expected_session": (covers or newest).isoformat(),
            "reason": "",
        }
        short_of_own = covers is not None and (latest is None or latest < covers)
        if latest is None and source is None:
            without.append(ticker)
            warned.append({**row, "expected_session": newest.isoformat(), "reason": NO_BARS})
        elif fetch_failed and (latest is None or short_of_own):
            failed.append(ticker)
            warned.append({**row, "reason": FETCH_FAILED})
        elif short_of_own or latest is None:
            unexplained.append({**row, "reason": STALE})
        elif latest < newest:
            early.append(ticker)
            warned.append({**row, "expected_session": newest.isoformat(), "reason": ENDS_EARLY})
    stale = sorted(r["ticker"] for r in unexplained + warned)
    n, total = len(stale), len(universe)
    severity = "error"
    if not stale:
        description = (
            f"all {total} tickers have what their latest fetch or import covers, through {newest}"
        )
    elif unexplained:
        description = (
            f"{len(unexplained)} of {total} tickers lack sessions their own latest fetch or "
            "import covers: "
            + ", ".join(
                f"{r['ticker']} (last bar {r['latest_session']}, covered through "
                f"{r['expected_session']})"
                for r in unexplained
            )
        )
        if warned:
            description += f"; {len(warned)} more end early or have no bars (WARN)"
    elif not with_bars:
        description = f"no universe ticker has any bar (newest session {newest})"
    else:
        severity = "warn"
        description = (
            f"{n} of {total} tickers end before {newest} or have no bars (WARN, judged per "
            "ticker; the others' marts are built): "
            + ", ".join(
                f"{r['ticker']} (ends {r['latest_session']})"
                if r["latest_session"]
                else f"{r['ticker']} (no bars)"
                for r in warned
            )
        )
    examples = (unexplained + warned)[:max_examples]
    result = validation.CheckResult(
        name="bars_fresh",
        passed=not stale,
        failing_rows=n,
        examples=examples,
        description=description,
        severity=severity,
    )
    return CheckOutcome(
        result,
        {
            "expected_session": newest.isoformat(),
            "freshness_rule": "per ticker",
            "stale_tickers": stale,
            "stale_because_fetch_failed": sorted(failed),
            "ending_before_newest_session": sorted(early),
            "without_bars": sorted(without),
            "lacking_their_own_sessions": sorted(r["ticker"] for r in unexplained),
        },
    )


# Why a home line or FX pair is not fresh, beyond NO_BARS and FETCH_FAILED.
HOME_STALE = "lacks its exchange's last session"


def stale_home_lines(
    con: duckdb.DuckDBPyConnection, home_lines: list[str], newest: date
) -> list[dict[str, Any]]:
    """The home lines and FX pairs without their own exchange's last session on or before
    `newest` (the run's newest XNYS session): one row per ticker naming its exchange, its last
    bar and the session it lacks. Hong Kong closes before New York opens, so a run for New York's
    session D has Hong Kong's session D to fetch; FX is dated on every weekday."""
    if not home_lines:
        return []
    latest = dict(
        con.execute(
            "select ticker, max(session_date) from raw.daily_bars "
            "where ticker in (select unnest(?::varchar[])) group by ticker",
            [home_lines],
        ).fetchall()
    )
    reported = reported_failures(con, newest)
    rows = []
    for ticker in home_lines:
        exchange = exchange_of(ticker)
        due = previous_session_on_or_before(newest, exchange)
        last = latest.get(ticker)
        if last is not None and last >= due:
            continue
        reason = FETCH_FAILED if ticker in reported else NO_BARS if last is None else HOME_STALE
        rows.append(
            {
                "ticker": ticker,
                "exchange": exchange,
                "latest_session": last.isoformat() if last else None,
                "expected_session": due.isoformat(),
                "reason": reason,
            }
        )
    return rows


def with_home_lines(
    outcome: CheckOutcome, home_rows: list[dict[str, Any]], judged: int, max_examples: int
) -> CheckOutcome:
    """bars_fresh with the home lines' verdict added: a stale home line never raises the
    severity (WARN when the universe is fresh), and is named with its exchange's session."""
    details = {
        **outcome.details,
        "home_lines_judged": judged,
        "stale_home_lines": [r["ticker"] for r in home_rows],
    }
    if not home_rows:
        return replace(outcome, details=details)
    fresh = outcome.result
    home_text = (
        f"{len(home_rows)} of {judged} home lines / FX lack their own exchange's last session "
        "(WARN: a typhoon or rainstorm closure is in no calendar): "
        + ", ".join(
            f"{r['ticker']} ({r['exchange']} session {r['expected_session']}, last bar "
            f"{r['latest_session'] or 'none'})"
            for r in home_rows
        )
    )
    result = replace(
        fresh,
        passed=False,
        failing_rows=fresh.failing_rows + len(home_rows),
        examples=[*fresh.examples, *home_rows][:max_examples],
        description=home_text if fresh.passed else f"{fresh.description}; {home_text}",
        severity="warn" if fresh.passed else fresh.severity,
    )
    return CheckOutcome(result, details)


def run_price_checks(
    con: duckdb.DuckDBPyConnection,
    universe: Iterable[str],
    as_of: date | ExpectedSession,
    *,
    home_lines: Iterable[str] = (),
    max_examples: int = MAX_EXAMPLES,
    record_watermark: bool = True,
) -> PriceCheckRun:
    """Every price check over the bars in scope; moves the watermark when none blocks.

    `as_of`: what expected_session() returned; a plain date is judged as a partitioned run
    (every universe ticker must have that session). `home_lines`: the home lines, FX and Hong
    Kong benchmark the run fetches beyond the universe, judged fresh on their own calendars.
    """
    expected = as_of if isinstance(as_of, ExpectedSession) else ExpectedSession(as_of)
    universe = list(universe)
    table, scope = check_scope.check_scope(con)
    kw = {"max_examples": max_examples, "table": table}
    outcomes = [
        CheckOutcome(validation.check_unique(con, **kw), scope),
        CheckOutcome(validation.check_prices_positive(con, **kw), scope),
        CheckOutcome(validation.check_ohlc_consistent(con, **kw), scope),
        CheckOutcome(validation.check_volume_non_negative(con, **kw), scope),
    ]
    if expected.per_ticker:
        fresh = per_ticker_freshness(con, universe, expected.session, max_examples)
    else:
        fresh = _strict_freshness(con, universe, expected.session, max_examples)
    home = [t.upper() for t in home_lines if t.upper() not in {u.upper() for u in universe}]
    home_rows = stale_home_lines(con, home, expected.session)
    outcomes.append(with_home_lines(fresh, home_rows, len(home), max_examples))
    outcomes.append(CheckOutcome(validation.check_no_gaps(con, **kw), scope))
    outcomes.append(CheckOutcome(validation.check_home_line_gaps(con, **kw), scope))
    outcomes.append(CheckOutcome(validation.check_large_moves(con, **kw), scope))
    moved = False
    if record_watermark and not any(o.blocking_failure for o in outcomes):
        check_scope.record_checks_passed(con)
        moved = True
    return PriceCheckRun(expected.session, scope, outcomes, moved, expected.rule)
