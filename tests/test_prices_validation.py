"""The price checks catch each kind of bad row in raw.daily_bars, and pass clean data."""

from __future__ import annotations

import math
from datetime import date

import duckdb
import pandas as pd
import pytest

from assets.calendar import sessions_between
from assets.prices import check_scope as scope
from assets.prices import validation as v
from assets.prices.checks import (
    ENDS_EARLY,
    FETCH_FAILED,
    NO_BARS,
    PRICE_CHECKS,
    STALE,
    CheckOutcome,
    ExpectedSession,
    PriceCheckRun,
    expected_session,
    run_price_checks,
)
from assets.sessions import partition_tags
from warehouse.schema import create_raw_schema

SESSIONS = sessions_between(date(2025, 1, 2), date(2025, 1, 10))


def clean_rows(ticker: str = "AAA", base: float = 100.0) -> list[dict]:
    return [
        dict(ticker=ticker, session_date=d, open=base + i, high=base + i + 2, low=base + i - 2,
             close=base + i + 1, adj_close=base + i + 1, volume=1000 + i, dividends=0.0,
             stock_splits=0.0, adj_close_source="provider", fetch_id="f1")
        for i, d in enumerate(SESSIONS)
    ]


@pytest.fixture
def con():
    connection = duckdb.connect()
    create_raw_schema(connection)
    yield connection
    connection.close()


def load(con, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    con.register("incoming", frame)
    con.execute("insert into raw.daily_bars by name select * from incoming").fetchall()
    con.unregister("incoming")


def test_clean_bars_pass_every_check(con):
    load(con, clean_rows("AAA") + clean_rows("BBB", 50.0))
    run = run_price_checks(con, ["AAA", "BBB"], SESSIONS[-1])
    results = [o.result for o in run.outcomes]
    assert [r.name for r in results] == list(PRICE_CHECKS)
    assert [r.name for r in results if not r.passed] == []
    assert all(r.failing_rows == 0 and r.examples == [] for r in results)
    assert run.watermark_moved  # nothing blocked: the next run checks only what it loads


def edit(rows: list[dict], day: date, **changes) -> list[dict]:
    return [{**r, **changes} if r["session_date"] == day else r for r in rows]


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        (dict(close=None), v.check_prices_positive),
        (dict(adj_close=math.nan), v.check_prices_positive),
        (dict(adj_close=0.0), v.check_prices_positive),
        (dict(low=200.0), v.check_ohlc_consistent),  # low above open and close
        (dict(open=500.0, high=103.0), v.check_ohlc_consistent),
        (dict(close=90.0), v.check_ohlc_consistent),  # close below low
        (dict(volume=-1), v.check_volume_non_negative),
    ],
)
def test_each_bad_row_is_caught_with_an_example(con, changes, check):
    day = SESSIONS[2]
    load(con, edit(clean_rows(), day, **changes))
    result = check(con)
    assert not result.passed and result.failing_rows == 1
    assert result.examples[0]["session_date"] == day.isoformat()
    assert result.examples[0]["ticker"] == "AAA"


def test_freshness_names_stale_and_absent_tickers(con):
    load(con, clean_rows("AAA") + clean_rows("BBB")[:-1])
    result = v.check_freshness(con, ["AAA", "BBB", "CCC"], SESSIONS[-1])
    assert (result.passed, result.failing_rows) == (False, 2)
    assert [(e["ticker"], e["latest_session"]) for e in result.examples] == [
        ("BBB", SESSIONS[-2].isoformat()), ("CCC", None)
    ]


def record_fetch(con, fetch_id: str, source: str, tickers: list[str], end: date,
                 failed: list[str] | None = None) -> None:
    con.execute(
        "insert into raw.price_fetches values (?, ?, now(), 'm.json', ?, ?, ?, 0, ?, false)",
        [fetch_id, source, tickers, SESSIONS[0], end, failed or []],
    ).fetchall()


def fresh_outcome(con, universe: list[str], as_of) -> tuple[CheckOutcome, PriceCheckRun]:
    run = run_price_checks(con, universe, as_of, record_watermark=False)
    [outcome] = [o for o in run.outcomes if o.result.name == "bars_fresh"]
    return outcome, run


def vendor_import(con) -> None:
    """An import of AAA through the last session and BBB two sessions shorter; CCC left out."""
    rows = clean_rows("AAA") + clean_rows("BBB", 50.0)[:-2]
    load(con, [{**r, "fetch_id": "f-import"} for r in rows])
    record_fetch(con, "f-import", "import", ["AAA", "BBB"], SESSIONS[-1])


def test_an_import_is_judged_per_ticker_and_names_who_ends_early_or_is_absent(con):
    vendor_import(con)
    expected = expected_session({}, con)
    assert expected == ExpectedSession(SESSIONS[-1], per_ticker=True)

    outcome, run = fresh_outcome(con, ["AAA", "BBB", "CCC"], expected)

    result = outcome.result
    assert (result.passed, result.severity, result.failing_rows) == (False, "warn", 2)
    assert not outcome.blocking_failure and run.blocking_failed == []
    assert "BBB (ends " + SESSIONS[-3].isoformat() + ")" in result.description
    assert "CCC (no bars)" in result.description
    assert [(e["ticker"], e["latest_session"], e["reason"]) for e in result.examples] == [
        ("BBB", SESSIONS[-3].isoformat(), ENDS_EARLY),
        ("CCC", None, NO_BARS),
    ]
    assert outcome.details["ending_before_newest_session"] == ["BBB"]
    assert outcome.details["without_bars"] == ["CCC"]
    assert outcome.details["freshness_rule"] == "per ticker"


def test_the_same_data_in_a_partitioned_run_is_an_error(con):
    vendor_import(con)
    tags = partition_tags(SESSIONS[-1], SESSIONS[-1])
    expected = expected_session(tags, con)
    assert expected == ExpectedSession(SESSIONS[-1], per_ticker=False)

    outcome, run = fresh_outcome(con, ["AAA", "BBB", "CCC"], expected)

    assert (outcome.result.severity, outcome.result.failing_rows) == ("error", 2)
    assert run.blocking_failed == ["bars_fresh"]


def test_a_fetch_that_lacks_what_it_asked_for_is_an_error_unless_it_reported_it(con):
    rows = clean_rows("AAA") + clean_rows("BBB", 50.0)[:-1]
    load(con, rows)  # fetch_id f1
    record_fetch(con, "f1", "yfinance", ["AAA", "BBB"], SESSIONS[-1])
    outcome, _ = fresh_outcome(con, ["AAA", "BBB"], expected_session({}, con))
    assert (outcome.result.severity, outcome.result.failing_rows) == ("error", 1)
    assert outcome.result.examples[0]["reason"] == STALE
    assert outcome.details["lacking_their_own_sessions"] == ["BBB"]

    con.execute("update raw.price_fetches set failed_tickers = ['BBB']").fetchall()
    outcome, _ = fresh_outcome(con, ["AAA", "BBB"], expected_session({}, con))
    assert (outcome.result.severity, outcome.result.examples[0]["reason"]) == (
        "warn", FETCH_FAILED
    )


def test_a_later_import_of_older_history_does_not_make_a_ticker_stale(con):
    load(con, clean_rows("AAA"))
    record_fetch(con, "f1", "yfinance", ["AAA"], SESSIONS[-1])
    older = [{**clean_rows("AAA")[0], "session_date": d, "fetch_id": "f2"}
             for d in (date(2024, 12, 30), date(2024, 12, 31))]
    load(con, older)
    record_fetch(con, "f2", "import", ["AAA"], date(2024, 12, 31))
    outcome, _ = fresh_outcome(con, ["AAA"], expected_session({}, con))
    assert outcome.result.passed


def test_no_bars_for_any_universe_ticker_is_an_error(con):
    load(con, [{**r, "fetch_id": "f1"} for r in clean_rows("ZZZ")])
    record_fetch(con, "f1", "import", ["ZZZ"], SESSIONS[-1])
    outcome, _ = fresh_outcome(con, ["AAA", "BBB"], expected_session({}, con))
    assert (outcome.result.severity, outcome.result.failing_rows) == ("error", 2)
    assert "no universe ticker has any bar" in outcome.result.description


def test_gaps_against_the_calendar(con):
    rows = [r for r in clean_rows() if r["session_date"] not in (SESSIONS[1], SESSIONS[3])]
    load(con, rows + clean_rows("BBB")[2:])  # BBB starts later: no gap before its first row
    result = v.check_no_gaps(con)
    assert result.failing_rows == 2
    assert [e["missing_session"] for e in result.examples] == [
        SESSIONS[1].isoformat(), SESSIONS[3].isoformat()
    ]


def test_large_move_without_split_warns_and_a_split_excuses_it(con):
    rows = edit(clean_rows(), SESSIONS[3], adj_close=150.0, close=150.0, high=151.0)
    rows = edit(rows, SESSIONS[5], adj_close=40.0, close=40.0, low=39.0, stock_splits=3.0)
    load(con, rows)
    result = v.check_large_moves(con, threshold=0.25)
    assert result.severity == "warn" and not result.passed
    # The jump up on SESSIONS[3] and the fall back on SESSIONS[4]; the split day is excused.
    assert sorted(e["session_date"] for e in result.examples) == [
        SESSIONS[3].isoformat(), SESSIONS[4].isoformat()
    ]
    assert v.check_large_moves(con, threshold=0.6).failing_rows == 0


def test_unique_on_a_table_without_a_key(con):
    rows = clean_rows()
    con.execute("create table staged as select * from raw.daily_bars limit 0").fetchall()
    frame = pd.DataFrame(rows + rows[:1])
    con.register("incoming", frame)
    con.execute("insert into staged by name select * from incoming").fetchall()
    result = v.check_unique(con, table="staged")
    assert result.failing_rows == 1 and result.examples[0]["copies"] == 2
    assert result.examples[0]["session_date"] == SESSIONS[0].isoformat()


def test_table_names_are_not_sql(con):
    with pytest.raises(ValueError, match="plain table name"):
        v.check_unique(con, table="raw.daily_bars; drop table raw.daily_bars")


def test_nan_prices_fail_although_nan_compares_above_zero(con):
    load(con, clean_rows())
    # pandas NaN arrives as NULL; set a real NaN in SQL, where 'NaN' > 0 is true.
    con.execute("update raw.daily_bars set adj_close = 'NaN'::double where session_date = ?",
                [SESSIONS[1]]).fetchall()
    assert con.execute("select count(*) from raw.daily_bars where adj_close > 0").fetchall() == [
        (len(SESSIONS),)
    ]
    result = v.check_prices_positive(con)
    assert result.failing_rows == 1 and result.examples[0]["adj_close"] == "NaN"


# --- the scope of a later run's checks --------------------------------------------------------

LONG = sessions_between(date(2024, 10, 1), date(2025, 1, 10))


def history(ticker: str, days: list[date], fetch_id: str, base: float = 100.0) -> list[dict]:
    return [
        dict(ticker=ticker, session_date=d, open=base, high=base + 2, low=base - 2,
             close=base + 1, adj_close=base + 1, volume=1000, dividends=0.0,
             stock_splits=0.0, adj_close_source="provider", fetch_id=fetch_id)
        for d in days
    ]


def scoped(con) -> dict[str, tuple[date, date, int]]:
    rows = con.execute(
        f"select ticker, min(session_date), max(session_date), count(*) "
        f"from {scope.SCOPED_TABLE} group by ticker"
    ).fetchall()
    return {t: (lo, hi, n) for t, lo, hi, n in rows}


def test_scope_is_the_new_bars_and_each_tickers_previous_bar(con):
    load(
        con,
        # AAA: history from f1, the last two sessions refetched by f2.
        history("AAA", LONG[:-2], "f1") + history("AAA", LONG[-2:], "f2")
        # BBB: untouched by f2, so out of scope.
        + history("BBB", LONG, "f1")
        # CCC: a new ticker in f2: its whole history is new.
        + history("CCC", LONG[-5:], "f2")
        # DDD: restated by f2 (every bar rewritten): its whole history is in scope.
        + history("DDD", LONG, "f2")
        # EEE: no bar for more than the 40-day search window before its new bar.
        + history("EEE", LONG[:10], "f1") + history("EEE", LONG[-1:], "f2"),
    )
    assert scope.create_scoped_bars(con, "f1") == (3 + 5 + len(LONG) + 2, 4)
    assert scoped(con) == {
        "AAA": (LONG[-3], LONG[-1], 3),
        "CCC": (LONG[-5], LONG[-1], 5),
        "DDD": (LONG[0], LONG[-1], len(LONG)),
        "EEE": (LONG[9], LONG[-1], 2),
    }


def test_faults_a_load_can_introduce_are_in_scope(con):
    old = history("AAA", LONG[:-3], "f1")
    old = edit(old, LONG[5], low=500.0)  # an old fault: reported by the run that loaded it
    new = history("AAA", [LONG[-2]], "f2") * 2 + history("AAA", [LONG[-1]], "f2", base=200.0)
    load(con, old + new)
    scope.create_scoped_bars(con, "f1")
    table = {"table": scope.SCOPED_TABLE}
    # The gap between the previous bar and the first new one, the jump, the repeated key.
    gaps = v.check_no_gaps(con, **table)
    assert [e["missing_session"] for e in gaps.examples] == [LONG[-3].isoformat()]
    moves = v.check_large_moves(con, **table)
    assert [e["session_date"] for e in moves.examples] == [LONG[-1].isoformat()]
    assert v.check_unique(con, **table).failing_rows == 1
    # The old fault is outside the scope, and found when the whole table is checked.
    assert v.check_ohlc_consistent(con, **table).passed
    assert not v.check_ohlc_consistent(con).passed


def test_nothing_new_means_an_empty_scope(con):
    load(con, history("AAA", LONG, "f1"))
    assert scope.create_scoped_bars(con, "f1") == (0, 0)
    assert v.check_unique(con, table=scope.SCOPED_TABLE).passed


def bars_on(ticker: str, days: list[date]) -> list[dict]:
    return [{**row, "ticker": ticker, "session_date": day}
            for row, day in zip(clean_rows() * 3, days, strict=False)]


@pytest.mark.parametrize("per_ticker", [False, True])
def test_home_lines_are_fresh_by_their_own_calendar_and_a_stale_one_is_a_named_warn(
    con, per_ticker
):
    """New York's session 2025-01-31 fell in Hong Kong's Lunar New Year (XHKG closed 01-29 to
    01-31): a Hong Kong line is fresh with 01-28, stale a session earlier; FX needs the weekday
    01-31. Under either freshness rule, a stale home line is a WARN naming its exchange's session
    and blocks nothing."""
    newest = date(2025, 1, 31)
    start = date(2025, 1, 21)
    load(con, bars_on("AAA", sessions_between(start, newest))
         + bars_on("9988.HK", sessions_between(start, date(2025, 1, 28), "XHKG"))
         + bars_on("9618.HK", sessions_between(start, date(2025, 1, 27), "XHKG"))
         + bars_on("HKD=X", sessions_between(start, date(2025, 1, 30), "FX")))
    record_fetch(con, "f1", "yahoo", ["AAA", "9988.HK", "9618.HK", "HKD=X", "2800.HK"], newest)

    run = run_price_checks(con, ["AAA"], ExpectedSession(newest, per_ticker=per_ticker),
                           home_lines=["9988.HK", "9618.HK", "HKD=X", "2800.HK"],
                           record_watermark=False)
    [outcome] = [o for o in run.outcomes if o.result.name == "bars_fresh"]

    result = outcome.result
    assert (result.passed, result.severity, result.failing_rows) == (False, "warn", 3)
    assert not outcome.blocking_failure and run.blocking_failed == []
    stale = [(e["ticker"], e["exchange"], e["expected_session"], e["latest_session"], e["reason"])
             for e in result.examples]
    assert stale == [
        ("9618.HK", "XHKG", "2025-01-28", "2025-01-27", "lacks its exchange's last session"),
        ("HKD=X", "FX", "2025-01-31", "2025-01-30", "lacks its exchange's last session"),
        ("2800.HK", "XHKG", "2025-01-28", None, NO_BARS),
    ]
    assert "9618.HK (XHKG session 2025-01-28, last bar 2025-01-27)" in result.description
    assert outcome.details["stale_home_lines"] == ["9618.HK", "HKD=X", "2800.HK"]
    assert outcome.details["home_lines_judged"] == 4


def test_a_stale_home_line_does_not_soften_a_stale_universe_ticker(con):
    newest = date(2025, 1, 31)
    load(con, bars_on("AAA", sessions_between(date(2025, 1, 21), date(2025, 1, 30)))
         + bars_on("9618.HK", sessions_between(date(2025, 1, 21), date(2025, 1, 27), "XHKG")))
    run = run_price_checks(con, ["AAA"], newest, home_lines=["9618.HK"], record_watermark=False)
    [outcome] = [o for o in run.outcomes if o.result.name == "bars_fresh"]
    assert (outcome.result.severity, outcome.result.failing_rows) == ("error", 2)
    assert outcome.blocking_failure
    assert [e["ticker"] for e in outcome.result.examples] == ["AAA", "9618.HK"]
