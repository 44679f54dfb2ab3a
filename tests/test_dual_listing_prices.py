"""Home lines and FX through the same price paths as US tickers: the yfinance fetch (frames shaped
like yfinance 1.7's for 9988.HK and HKD=X), an import of `Ticker("9988.HK").history().to_csv()`
(dates with a +08:00 offset), and the gap checks on each ticker's own calendar."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import duckdb
import pytest

from assets.calendar import FX, XHKG, XNYS, sessions_between
from assets.prices.fetch import fetch_daily_bars
from assets.prices.importer import PriceImportError, read_price_import
from assets.prices.validation import check_home_line_gaps, check_no_gaps
from tests.support.yfinance_fakes import FakeYahoo, exchange_zone, history_frame
from warehouse.archive import PRICE_COLUMNS

START, END = date(2025, 1, 27), date(2025, 2, 21)


def _history(ticker: str, exchange: str, first_close: float):
    days = sessions_between(START, END, exchange)
    closes = [first_close + i for i in range(len(days))]
    return history_frame(days, closes, zone=exchange_zone(ticker))


def test_fake_frames_are_stamped_like_yfinance_for_hong_kong_and_fx() -> None:
    hk = _history("9988.HK", XHKG, 100.0)
    fx = _history("HKD=X", FX, 7.8)
    assert str(hk.index.tz) == "Asia/Hong_Kong" and hk.index.name == "Date"
    assert str(hk.index[0]) == "2025-01-27 00:00:00+08:00"
    assert str(fx.index.tz) == "Europe/London" and str(fx.index[0]) == "2025-01-27 00:00:00+00:00"


def test_home_lines_and_fx_come_through_the_same_fetch_with_their_own_sessions() -> None:
    fake = FakeYahoo(script={
        "BABA": _history("BABA", XNYS, 90.0),
        "9988.HK": _history("9988.HK", XHKG, 100.0),
        "HKD=X": _history("HKD=X", FX, 7.8),
        "2800.HK": _history("2800.HK", XHKG, 20.0),
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fetch_daily_bars(
            ["BABA", "9988.HK", "HKD=X", "2800.HK"], START, END, download=fake.download,
            sleep=lambda _: None,
        )
    assert result.failed == {}
    # one batched request for all four, as for US tickers alone
    assert fake.calls == [["BABA", "9988.HK", "HKD=X", "2800.HK"]]
    dates = {t: sorted(g["session_date"]) for t, g in result.bars.groupby("ticker")}
    assert dates["9988.HK"] == sessions_between(START, END, XHKG)
    assert date(2025, 2, 17) in dates["9988.HK"]  # Presidents' Day: Hong Kong trades
    assert date(2025, 1, 29) not in dates["9988.HK"]  # Lunar New Year: it does not
    assert dates["BABA"] == sessions_between(START, END, XNYS)
    assert dates["HKD=X"] == sessions_between(START, END, FX)
    # every ticker is judged on its own calendar: nothing missing, nothing extra
    assert result.missing_sessions == {} and result.extra_sessions == {}
    hk = result.bars[result.bars["ticker"] == "9988.HK"].set_index("session_date")
    assert hk.loc[date(2025, 1, 27), "close"] == 100.0


def test_import_of_a_hong_kong_history_csv_with_a_plus_eight_offset(tmp_path: Path) -> None:
    # What `yf.Ticker("9988.HK").history(auto_adjust=False).to_csv("9988.HK.csv")` writes.
    _history("9988.HK", XHKG, 100.0).to_csv(tmp_path / "9988.HK.csv")
    lines = (tmp_path / "9988.HK.csv").read_text().splitlines()
    assert lines[0] == "Date,Open,High,Low,Close,Adj Close,Volume,Dividends,Stock Splits"
    assert lines[1].startswith("2025-01-27 00:00:00+08:00,")

    result = read_price_import(tmp_path, universe_tickers={"BABA"})

    assert list(result.bars.columns) == list(PRICE_COLUMNS)
    assert result.new_tickers == ["9988.HK"]
    bars = result.bars
    # the session is the Hong Kong date as stamped, never shifted to New York's previous day
    assert bars["session_date"].tolist() == sessions_between(START, END, XHKG)
    assert bars.iloc[0]["close"] == 100.0


def test_an_import_row_on_a_hong_kong_holiday_is_refused_naming_file_and_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "9988.HK.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n"
        "2025-01-28 00:00:00+08:00,100,101,99,100.5,1000\n"
        "2025-01-29 00:00:00+08:00,100,101,99,100.5,1000\n"
    )
    with pytest.raises(PriceImportError, match=r"9988.HK.csv:3: date 2025-01-29 is not an XHKG "
                                               r"session"):
        read_price_import(tmp_path, universe_tickers={"BABA"})


def _bars_table(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, date]]) -> None:
    con.execute("create table bars (ticker varchar, session_date date)")
    con.executemany("insert into bars values (?, ?)", rows)


def test_a_home_line_missing_a_hong_kong_session_is_a_warning_naming_it() -> None:
    con = duckdb.connect()
    hk_days = sessions_between(START, END, XHKG)
    typhoon = date(2025, 2, 18)  # say a signal 8 closed Hong Kong: no calendar knows
    _bars_table(con, [("9988.HK", d) for d in hk_days if d != typhoon]
                + [("BABA", d) for d in sessions_between(START, END, XNYS)])

    us = check_no_gaps(con, table="bars")
    home = check_home_line_gaps(con, table="bars")

    assert us.passed  # BABA complete; the Hong Kong line's Lunar New Year is not a US gap
    assert not home.passed and home.severity == "warn" and home.failing_rows == 1
    assert home.examples == [{"ticker": "9988.HK", "missing_session": typhoon.isoformat()}]


def test_a_us_ticker_missing_a_session_is_still_an_error() -> None:
    con = duckdb.connect()
    days = sessions_between(START, END, XNYS)
    _bars_table(con, [("BABA", d) for d in days if d != date(2025, 2, 18)]
                + [("9988.HK", d) for d in sessions_between(START, END, XHKG)])
    us = check_no_gaps(con, table="bars")
    assert not us.passed and us.severity == "error"
    assert us.examples == [{"ticker": "BABA", "missing_session": "2025-02-18"}]
    assert check_home_line_gaps(con, table="bars").passed
