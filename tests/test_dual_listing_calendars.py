"""Dual listings on two calendars: XHKG's sessions and holidays, each ticker's exchange, day 0 per
exchange for an announcement in the Beijing morning, and the dual-listings reference file."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from assets.calendar import (
    FX,
    XHKG,
    XNYS,
    CalendarError,
    day_zero,
    exchange_of,
    holidays_between,
    is_session,
    sessions_between,
    shift_sessions,
    us_day_zero,
)
from assets.dual_listings import home_line_tickers, price_tickers, read_dual_listings
from assets.settings import Settings

BEIJING_MORNING = datetime.fromisoformat("2025-02-17T09:00:00+08:00")  # the Xi symposium


def test_xhkg_closes_for_lunar_new_year_and_its_other_holidays() -> None:
    holidays_2025 = holidays_between(date(2025, 1, 1), date(2025, 12, 31), XHKG)
    # Lunar New Year (29-31 Jan), Ching Ming (4 Apr), Easter (18 and 21 Apr), Labour Day,
    # Buddha's Birthday (5 May), HKSAR Day, National Day, Chung Yeung, Christmas and Boxing Day
    for day in ("2025-01-29", "2025-01-30", "2025-01-31", "2025-04-04", "2025-04-18",
                "2025-04-21", "2025-05-01", "2025-05-05", "2025-07-01", "2025-10-01",
                "2025-10-29", "2025-12-25", "2025-12-26"):
        assert date.fromisoformat(day) in holidays_2025, day
    # Hong Kong trades on the US holidays: Presidents' Day, Independence Day, Thanksgiving
    for day in (date(2025, 2, 17), date(2025, 7, 4), date(2025, 11, 27)):
        assert is_session(day, XHKG) and not is_session(day, XNYS)
    # and New York trades through Lunar New Year
    assert is_session(date(2025, 1, 29), XNYS) and not is_session(date(2025, 1, 29), XHKG)


def test_xhkg_session_counts_and_shifts_follow_its_own_calendar() -> None:
    feb = sessions_between(date(2025, 2, 1), date(2025, 2, 28), XHKG)
    assert len(feb) == 20 and feb[0] == date(2025, 2, 3)
    assert len(sessions_between(date(2025, 2, 1), date(2025, 2, 28), XNYS)) == 19
    # the session before the Monday after Lunar New Year is the Tuesday before it
    assert shift_sessions(date(2025, 2, 3), -1, XHKG) == date(2025, 1, 28)
    with pytest.raises(CalendarError, match="not an XHKG session"):
        shift_sessions(date(2025, 1, 30), 1, XHKG)


def test_fx_bars_are_dated_on_every_weekday() -> None:
    week = sessions_between(date(2025, 2, 15), date(2025, 2, 23), FX)
    assert week == [date(2025, 2, d) for d in (17, 18, 19, 20, 21)]


def test_each_ticker_carries_its_exchange() -> None:
    assert exchange_of("9988.HK") == XHKG and exchange_of("2800.hk") == XHKG
    # the Hang Seng indices, a documented choice of HK benchmark, trade on Hong Kong's sessions
    assert exchange_of("^HSI") == XHKG and exchange_of("^hsce") == XHKG
    assert exchange_of("HKD=X") == FX
    assert {exchange_of(t) for t in ("BABA", "JD", "BYDDY", "SPY", "^GSPC")} == {XNYS}
    with pytest.raises(CalendarError, match="unknown exchange 'XLON'"):
        is_session(date(2025, 2, 17), "XLON")


def test_day_zero_of_a_beijing_morning_announcement_per_exchange() -> None:
    # 09:00 Beijing on Monday 17 Feb 2025 is before the Hong Kong open: day 0 is that session.
    assert day_zero(BEIJING_MORNING, XHKG) == date(2025, 2, 17)
    # In New York it is Sunday 20:00, and Monday is Presidents' Day: day 0 is Tuesday.
    assert day_zero(BEIJING_MORNING, XNYS) == date(2025, 2, 18)
    assert us_day_zero(BEIJING_MORNING) == date(2025, 2, 18)


def test_day_zero_after_the_hong_kong_close_is_the_next_hong_kong_session() -> None:
    # Alibaba's results, 2025-02-20 before the US open (06:30 New York = 19:30 Hong Kong):
    # the ADR reacts that day, the Hong Kong line the next.
    results = datetime.fromisoformat("2025-02-20T06:30:00-05:00")
    assert day_zero(results, XNYS) == date(2025, 2, 20)
    assert day_zero(results, XHKG) == date(2025, 2, 21)
    # an announcement during the Hong Kong lunch break still trades that afternoon
    assert day_zero(datetime.fromisoformat("2025-02-20T12:30:00+08:00"), XHKG) == date(2025, 2, 20)
    # an evening in Hong Kong on the eve of Lunar New Year rolls past the holidays
    lny = datetime.fromisoformat("2025-01-28T16:30:00+08:00")
    assert day_zero(lny, XHKG) == date(2025, 2, 3)
    assert day_zero(date(2025, 1, 29), XHKG) == date(2025, 2, 3)
    with pytest.raises(ValueError, match="no time zone"):
        day_zero(datetime(2025, 2, 17, 9), XHKG)


def test_the_dual_listings_seed_holds_the_ratios_and_valid_home_lines() -> None:
    listings = read_dual_listings()
    ratios = {item.adr_ticker: (item.home_ticker, item.shares_per_ads) for item in listings}
    assert ratios == {
        "BABA": ("9988.HK", 8), "JD": ("9618.HK", 2), "BIDU": ("9888.HK", 8),
        "NTES": ("9999.HK", 5), "LI": ("2015.HK", 2), "XPEV": ("9868.HK", 2),
        "NIO": ("9866.HK", 1), "BILI": ("9626.HK", 1), "TME": ("1698.HK", 2),
        "BYDDY": ("1211.HK", 2),
    }
    tickers = home_line_tickers(listings, "2800.HK")
    assert tickers[-2:] == ["HKD=X", "2800.HK"] and len(tickers) == 12


def test_a_bad_dual_listings_row_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "dual.csv"
    header = "adr_ticker,home_ticker,home_exchange,home_currency,shares_per_ads,effective_from\n"
    rows = "BABA,9988.HK,XHKG,HKD,8,2019-11-26\nJD,9618.HK,XHKG,HKD,0,2020-06-18\n"
    path.write_text(header + rows)
    with pytest.raises(ValueError, match=rf"{path}:3: shares_per_ads must be positive"):
        read_dual_listings(path)
    path.write_text(header + "BABA,9988.HK,XNYS,HKD,8,2019-11-26\n")
    with pytest.raises(ValueError, match=r":2: home_ticker 9988.HK trades on XHKG, not 'XNYS'"):
        read_dual_listings(path)


def test_a_price_run_fetches_the_home_lines_of_followed_adrs_fx_and_the_benchmark() -> None:
    # the setting as a user may type it; Settings gives it one spelling
    benchmark = Settings.from_env({"ADRPULSE_HK_BENCHMARK": " 2800.hk"}).hk_benchmark
    tickers = price_tickers(["BABA", "SPY"], benchmark)
    assert tickers == ["BABA", "SPY", "9988.HK", "HKD=X", "2800.HK"]
    # no dual-listed ADR followed: nothing from Hong Kong, no FX
    assert price_tickers(["AAPL", "SPY"], "2800.HK") == ["AAPL", "SPY"]
