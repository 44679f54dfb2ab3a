"""The home lines in the event study, and the premium on Hong Kong holidays, on the sample's build.

The sample archive's prices (US listings, the Hong Kong lines, 2800.HK and HKD=X) go through the
pipeline's loader and `dbt build` (fixture sample_dbt_warehouse). Every catalogued event of a
dual-listed ADR has the home line as a pair of its own on XHKG, with the Hong Kong benchmark; the
dual-listing reactions mart reads the same abnormal returns; no group pools the two exchanges; and
the same-day premium is null, flagged, on the ADR sessions Hong Kong was closed, so the premium
jump check passes. docs/event_study.md ("Home lines"), docs/dual_listings.md.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from assets.calendar import XHKG, XNYS, exchange_of, is_session
from assets.settings import Settings
from tests.support.dbt import SEEDS_DIR

SETTINGS = Settings.from_env({})
HK_BENCHMARK = SETTINGS.hk_benchmark


def _frame(warehouse: Path, sql: str) -> pd.DataFrame:
    # Read-write, as tests/test_marts_reference.py reads it: the in-process `dbt build` keeps its
    # own connection open, and DuckDB refuses a second one with another configuration.
    con = duckdb.connect(str(warehouse))
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_the_xi_symposium_home_lines_are_pairs_of_their_own_on_xhkg(
    sample_dbt_warehouse: Path,
) -> None:
    rows = _frame(
        sample_dbt_warehouse,
        "select ticker, exchange, session_date, benchmark_ticker, abnormal_return_market_model "
        "from marts.fct_event_window_returns "
        "where event_id = 'xi_symposium' and relative_day = 0 order by ticker",
    )
    listings = pd.read_csv(SEEDS_DIR / "dual_listings.csv")
    home = rows[rows["exchange"] == XHKG]
    # every dual-listed ADR in the symposium's scope (china_adr, china_otc) has its home line
    adrs_in_scope = set(rows.loc[rows["exchange"] == XNYS, "ticker"])
    expected_home = set(listings.loc[listings["adr_ticker"].isin(adrs_in_scope), "home_ticker"])
    assert set(home["ticker"]) == expected_home and len(expected_home) == 10
    # 10:00 Beijing on Monday 2025-02-17: that Hong Kong session; New York's is Tuesday 02-18
    assert set(home["session_date"].astype(str).str[:10]) == {"2025-02-17"}
    assert set(rows.loc[rows["exchange"] == XNYS, "session_date"].astype(str).str[:10]) == {
        "2025-02-18"}
    assert set(home["benchmark_ticker"]) == {HK_BENCHMARK}
    assert set(rows.loc[rows["exchange"] == XNYS, "benchmark_ticker"]) == {"SPY"}
    # the sample's history is long enough for every home line's market model
    assert home["abnormal_return_market_model"].notna().all()


def test_home_line_relative_days_count_hong_kong_sessions(sample_dbt_warehouse: Path) -> None:
    rows = _frame(
        sample_dbt_warehouse,
        "select w.ticker, w.exchange, w.relative_day, w.session_date "
        "from marts.fct_event_window_returns as w where w.event_id = 'deepseek_r1_release' "
        "and w.ticker in ('BABA', '9988.HK') order by w.ticker, w.relative_day",
    )
    assert set(rows["exchange"]) == {XNYS, XHKG}
    for ticker, exchange in (("BABA", XNYS), ("9988.HK", XHKG)):
        days = rows[rows["ticker"] == ticker]
        dates = [pd.Timestamp(d).date() for d in days["session_date"]]
        assert all(is_session(d, exchange) for d in dates), ticker
        # consecutive relative days are consecutive sessions of the exchange
        assert list(days["relative_day"]) == list(range(-10, 11))
    hk_dates = {pd.Timestamp(d).date() for d in rows.loc[rows["ticker"] == "9988.HK",
                                                           "session_date"]}
    us_dates = {pd.Timestamp(d).date() for d in rows.loc[rows["ticker"] == "BABA",
                                                           "session_date"]}
    # Lunar New Year (2025-01-29 .. 01-31) is in New York's window only
    assert {d.isoformat() for d in us_dates - hk_dates} >= {"2025-01-29", "2025-01-30",
                                                           "2025-01-31"}


def test_event_study_groups_never_pool_the_two_exchanges(sample_dbt_warehouse: Path) -> None:
    cars = _frame(sample_dbt_warehouse,
                  "select event_id, ticker, group_name, exchange from marts.fct_event_car")
    assert (cars["exchange"] == cars["ticker"].map(exchange_of)).all()
    assert (cars.loc[cars["exchange"] == XHKG, "group_name"].str.endswith("_xhkg")).all()
    assert not (cars.loc[cars["exchange"] == XNYS, "group_name"].str.endswith("_xhkg")).any()
    summary = _frame(sample_dbt_warehouse,
                     "select event_id, summary_group, window_label, pairs_in_scope, caar "
                     "from marts.fct_event_study_summary where event_id = 'xi_symposium'")
    groups = set(summary["summary_group"])
    assert {"china_adr", "china_adr_xhkg", "all", "all_xhkg"} <= groups
    [in_all] = summary.loc[(summary["summary_group"] == "all")
                           & (summary["window_label"] == "[0,0]"), "pairs_in_scope"]
    us_pairs = cars[(cars["event_id"] == "xi_symposium") & (cars["exchange"] == XNYS)]
    assert in_all == us_pairs["ticker"].nunique()
    daily = _frame(sample_dbt_warehouse,
                   "select summary_group, exchange from marts.fct_event_study_daily")
    assert (daily.loc[daily["summary_group"].str.endswith("_xhkg"), "exchange"] == XHKG).all()
    assert (daily.loc[~daily["summary_group"].str.endswith("_xhkg"), "exchange"] == XNYS).all()


def test_the_reactions_mart_reads_the_event_study_abnormal_returns(
    sample_dbt_warehouse: Path,
) -> None:
    merged = _frame(
        sample_dbt_warehouse,
        "select r.event_id, r.home_ticker, r.home_day_zero_date, "
        "r.home_abnormal_return_market_model, w.abnormal_return_market_model, w.session_date "
        "from marts.fct_dual_listing_event_reactions as r "
        "left join marts.fct_event_window_returns as w on w.event_id = r.event_id "
        "and w.ticker = r.home_ticker and w.relative_day = 0",
    )
    assert len(merged) >= 20
    assert (merged["home_day_zero_date"] == merged["session_date"]).all()
    pd.testing.assert_series_equal(merged["home_abnormal_return_market_model"],
                                   merged["abnormal_return_market_model"], check_names=False)
    assert merged["home_abnormal_return_market_model"].notna().any()


def test_no_same_day_premium_when_hong_kong_is_closed(sample_dbt_warehouse: Path) -> None:
    premium = _frame(sample_dbt_warehouse, "select * from marts.fct_adr_premium")
    dates = pd.to_datetime(premium["session_date"]).dt.date
    hk_closed = dates.map(lambda d: not is_session(d, XHKG))
    assert (premium["is_home_market_closed"] == hk_closed).all()
    assert hk_closed.sum() >= 10  # Ching Ming, Buddha's Birthday, ... on New York sessions
    closed = premium[hk_closed]
    assert closed[["premium_same_day", "parity_same_day", "same_day_home_date",
                   "premium_change", "premium_zscore"]].isna().all().all()
    # the next-session alignment still prices those rows, at its own date's FX
    assert closed["premium_next_session"].notna().all()
    assert (pd.to_datetime(premium["next_session_fx_date"])
            <= pd.to_datetime(premium["next_home_session_date"])).all()
    assert (premium["fx_date"].isna() | (pd.to_datetime(premium["fx_date"])
                                          <= pd.to_datetime(premium["session_date"]))).all()
    # the jump check no longer compares a premium with a close days old: what it still flags
    # are XPEV's largest moves (the sample's home line follows 40% of the ADR's ordinary move
    # the next session), each against the premium of the session right before
    premium = premium.sort_values(["adr_ticker", "session_date"])
    previous_closed = premium.groupby("adr_ticker")["is_home_market_closed"].shift(1)
    flagged = premium[premium["premium_change"].abs() > SETTINGS.premium_jump_threshold]
    assert set(flagged["adr_ticker"]) <= {"XPEV"} and len(flagged) <= 3, flagged
    assert not previous_closed[flagged.index].fillna(False).any()


def test_home_line_returns_are_on_xhkg_sessions(sample_dbt_warehouse: Path) -> None:
    rows = _frame(sample_dbt_warehouse,
                  "select session_date, daily_return from intermediate.int_home_line_daily_returns "
                  "where ticker = '9988.HK' order by session_date")
    assert len(rows) > 200
    assert all(is_session(pd.Timestamp(d).date(), XHKG) for d in rows["session_date"])
