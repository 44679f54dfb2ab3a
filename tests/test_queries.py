"""Every named query in queries/ runs against the demo's published build and answers sensibly."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from assets.settings import Settings
from orchestration.commands.common import CliError
from orchestration.commands.query import QUERIES_DIR, published_reader, query_published
from tests.support.dbt import DBT_DIR, SAMPLE_ARCHIVE
from warehouse.publish import open_published

QUERY_FILES = sorted(QUERIES_DIR.glob("*.sql"))


@pytest.fixture(scope="module")
def published(demo_home: Path) -> duckdb.DuckDBPyConnection:
    con = open_published(demo_home / "published")
    yield con
    con.close()


def run(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def check_baba_above_2025_low(result: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    assert len(result) == 1
    row = result.iloc[0]
    assert row["ticker"] == "BABA"
    assert row["low_session"].year == 2025
    assert row["low_session"] <= row["latest_session"]
    assert 0 < row["low_adj_close"] <= row["latest_adj_close"]
    assert row["gain_from_2025_low"] == pytest.approx(
        row["latest_adj_close"] / row["low_adj_close"] - 1
    )
    # Cross-check with the mart's own year-to-date low, computed by the dbt model.
    mart = run(
        con,
        "select session_date, gain_from_ytd_low from marts.fct_ticker_performance "
        "where ticker = 'BABA' order by session_date desc limit 1",
    ).iloc[0]
    assert mart["session_date"] == row["latest_session"]
    if mart["session_date"].year == 2025:
        assert row["gain_from_2025_low"] == pytest.approx(mart["gain_from_ytd_low"])


def check_china_adr_vs_megacap_since_deepseek(
    result: pd.DataFrame, con: duckdb.DuckDBPyConnection
) -> None:
    assert len(result) == 1
    row = result.iloc[0]
    assert row["event_id"] == "deepseek_shock"
    assert row["day_zero_date"].date() == date(2025, 1, 27)
    previous_session = run(
        con,
        "select max(session_date) as d from reference.xnys_sessions "
        "where session_date < date '2025-01-27'",
    ).iloc[0]["d"]
    assert row["from_session"] == previous_session
    assert row["to_session"] > row["from_session"]
    for column in ("china_adr_return", "us_megacap_return"):
        assert -0.9 < row[column] < 3.0
    assert row["spread"] == pytest.approx(row["china_adr_return"] - row["us_megacap_return"])
    assert row["relative_strength"] == pytest.approx(
        (1 + row["china_adr_return"]) / (1 + row["us_megacap_return"])
    )
    assert bool(row["china_adr_beat_us_megacap"]) == (row["spread"] > 0)


def check_xi_symposium_movers(result: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    assert set(result["event_id"]) == {"xi_symposium"}
    assert set(result["window_label"]) == {"[-1,+1]"}
    adrs = set(
        run(con, "select ticker from reference.universe where group_name = 'china_adr'")["ticker"]
    )
    assert adrs <= set(result["ticker"])
    moves = result["car"].abs().tolist()
    assert moves == sorted(moves, reverse=True)
    assert result["p_value"].between(0, 1).all()
    assert (result["significant_5pct"] == (result["p_value"] < 0.05)).all()
    china = result[result["group_name"] == "china_adr"]
    assert (china["group_n"] == len(china)).all()
    assert china["group_p_kp"].between(0, 1).all()
    assert (result["group_is_small_sample"] == (result["group_n"] < 5)).all()
    small = result[result["group_is_small_sample"]]
    assert small["group_significant_5pct"].isna().all()
    large = result[~result["group_is_small_sample"]]
    assert (large["group_significant_5pct"] == (large["group_p_kp"] < 0.05)).all()


def check_latest_basket_spread(result: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    pairs = run(con, "select distinct basket_pair from marts.fct_sector_relative_performance")
    assert sorted(result["basket_pair"]) == sorted(pairs["basket_pair"])
    assert "china_adr_vs_us_megacap" in set(result["basket_pair"])
    latest = run(
        con,
        "select basket_pair, max(session_date) as d from marts.fct_sector_relative_performance "
        "where spread_buy_hold is not null group by basket_pair",
    )
    merged = result.merge(latest, on="basket_pair")
    assert len(merged) == len(result) and (merged["session_date"] == merged["d"]).all()
    threshold = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"][
        "basket_min_coverage"
    ]
    assert result["coverage_a"].ge(threshold).all() and result["coverage_b"].ge(threshold).all()
    assert result["spread_buy_hold"].to_numpy() == pytest.approx(
        (result["index_buy_hold_a"] / 100 - result["index_buy_hold_b"] / 100).to_numpy()
    )


def check_biggest_drawdowns(result: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    assert 1 <= len(result) <= 10
    assert result["max_drawdown"].between(-1, 0).all()
    assert result["max_drawdown"].tolist() == sorted(result["max_drawdown"])
    assert (result["current_drawdown"] >= result["max_drawdown"]).all()
    assert result["name"].notna().all()


def check_event_study_summary(result: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    assert set(result["event_id"]) == {"deepseek_shock"}
    assert {"china_adr", "us_megacap", "all"} <= set(result["summary_group"])
    assert (result["pairs_included"] >= 1).all()
    assert (result["is_small_sample"] == (result["pairs_included"] < 5)).all()
    for column in ("p_cross_sectional", "p_bmp", "p_kolari_pynnonen", "p_sign_test"):
        assert result[column].dropna().between(0, 1).all()
    # Kolari-Pynnonen shrinks the BMP statistic when residuals are positively correlated.
    both = result.dropna(subset=["t_bmp", "t_kolari_pynnonen"])
    assert not both.empty
    assert (both["t_kolari_pynnonen"].abs() <= both["t_bmp"].abs() + 1e-12).all()


def check_china_adr_rank_tests(result: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    assert set(result["summary_group"]) == {"china_adr"}
    assert set(result["window_label"]) == {"[-1,+1]"}
    assert (result["pairs_included"] >= 1).all()
    assert result["p_wilcoxon"].between(0, 1).all()
    assert result["p_corrado_rank"].between(0, 1).all()
    assert result["p_grank"].dropna().between(0, 1).all()
    small = result[result["is_small_sample"]]
    assert small["significant_5pct"].isna().all()
    large = result[~result["is_small_sample"]]
    assert large["p_grank"].notna().all()
    assert (large["significant_5pct"]
            == ((large["p_wilcoxon"] < 0.05) & (large["p_corrado_rank"] < 0.05)
                & (large["p_grank"] < 0.05))).all()
    # W+ lies between 0 and n(n + 1)/2; significant events come first
    n = result["wilcoxon_pairs"]
    assert result["wilcoxon_w_plus"].between(0, n * (n + 1) / 2).all()
    flags = result["significant_5pct"].fillna(False).astype(bool).tolist()
    assert flags == sorted(flags, reverse=True)
    # the sample's injected shocks move the ADRs on the Xi symposium
    assert "xi_symposium" in set(result.loc[result["significant_5pct"].fillna(False), "event_id"])


def check_ticker_news_events(result: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    assert set(result["ticker"]) == {"BABA"}
    news = result[result["event_origin"] == "news"]
    assert not news.empty
    assert news["event_id"].str.startswith("news_BABA_").all()
    catalog = result[result["event_origin"] == "catalog"]
    assert catalog["title"].notna().all()
    assert "xi_symposium" in set(catalog["event_id"])
    assert result["day_zero_date"].is_monotonic_increasing
    # A news event's title is made of the headlines that made it (marts.fct_news_items).
    assert news["title"].notna().all() and (news["headline_count"] >= 1).all()
    for row in news.itertuples():
        items = run(
            con,
            "select title from marts.fct_news_items "
            f"where list_contains(news_event_ids, '{row.event_id}') "
            "and list_contains(tickers, 'BABA') "
            f"and day_zero_date = date '{pd.Timestamp(row.day_zero_date).date()}'",
        )
        assert len(items) == row.headline_count, row.event_id
        assert all(title in row.title for title in items["title"]), row.event_id


def check_latest_ticker_performance(result: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    tickers = run(con, "select distinct ticker from marts.fct_ticker_performance")
    assert sorted(result["ticker"]) == sorted(tickers["ticker"])
    wanted = run(
        con,
        "select ticker from reference.universe where group_name in ('china_adr', 'us_megacap')",
    )
    assert set(wanted["ticker"]) <= set(result["ticker"])
    assert (result["close_price"] > 0).all()
    assert result["drawdown"].between(-1, 0).all()


def check_china_adr_analyst_actions_with_significant_moves(
    result: pd.DataFrame, con: duckdb.DuckDBPyConnection
) -> None:
    assert (result["p_value"] < 0.05).all()
    assert set(result["window_label"]) == {"[0,0]"}
    # The same actions as an independent read of the mart: China ADRs, included, p < 0.05.
    expected = run(
        con,
        "select ticker, firm, graded_at from marts.fct_analyst_actions "
        "where group_name = 'china_adr' and is_included and p_value < 0.05",
    )
    assert sorted(zip(result["ticker"], result["firm"], strict=True)) == sorted(
        zip(expected["ticker"], expected["firm"], strict=True)
    )
    # The sample moves NIO and PDD on purpose on its last session (injected_moves.csv), and puts
    # an analyst action on each; both moves are large enough to be significant.
    moves = pd.read_csv(SAMPLE_ARCHIVE / "injected_moves.csv", parse_dates=["session_date"])
    actions = run(con, "select ticker, day_zero_date from marts.fct_analyst_actions")
    on_moves = actions.merge(
        moves.rename(columns={"session_date": "day_zero_date"}), on=["ticker", "day_zero_date"]
    )
    assert len(on_moves) >= 2
    assert set(on_moves["ticker"]) <= set(result["ticker"])
    # t = CAR / its standard error: the same sign as the abnormal return.
    assert ((result["abnormal_return"] > 0) == (result["t_statistic"] > 0)).all()


def check_china_vs_us_forward_pe_discount(
    result: pd.DataFrame, con: duckdb.DuckDBPyConnection
) -> None:
    assert len(result) == 1
    row = result.iloc[0]
    assert (row["basket_a"], row["basket_b"]) == ("china_adr", "us_megacap")
    latest = run(con, "select max(session_date) as d from marts.fct_valuation_spread").iloc[0]
    assert row["session_date"] == latest["d"]
    assert row["forward_pe_discount"] == pytest.approx(
        1 - row["median_forward_pe_a"] / row["median_forward_pe_b"]
    )
    assert 0 < row["forward_pe_discount_percentile"] <= 1
    assert row["narrowest_discount"] <= row["forward_pe_discount"] <= row["widest_discount"]
    # One stored session per valuation snapshot in the sample archive.
    snapshots = len(list((SAMPLE_ARCHIVE / "valuation").glob("*/*/*.data.json")))
    assert row["history_sessions"] == snapshots
    # The percentile, recomputed: the share of stored sessions at or below today's discount.
    history = run(con, "select forward_pe_discount from marts.fct_valuation_spread")
    share = (history["forward_pe_discount"] <= row["forward_pe_discount"]).mean()
    assert row["forward_pe_discount_percentile"] == pytest.approx(share)


def check_baba_drawdown_2025(result: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    assert len(result) == 1
    row = result.iloc[0]
    assert row["ticker"] == "BABA" and row["year"] == 2025
    assert -1 < row["max_drawdown"] < 0
    assert row["peak_session"] < row["trough_session"]
    assert row["trough_adj_close"] / row["peak_adj_close"] - 1 == pytest.approx(row["max_drawdown"])
    if row["is_recovered"]:
        assert row["recovery_session"] > row["trough_session"]
    # The query works on closes; the mart on returns. While the demo's latest session is in 2025
    # the mart's ytd row is the same drawdown.
    mart = run(
        con,
        "select * from marts.fct_performance_summary where subject = 'BABA' and period = 'ytd'",
    ).iloc[0]
    if mart["as_of_date"].year == 2025:
        assert mart["max_drawdown"] == pytest.approx(row["max_drawdown"], rel=1e-9)
        assert mart["max_drawdown_peak_date"] == row["peak_session"]
        assert mart["max_drawdown_trough_date"] == row["trough_session"]
        if row["is_recovered"]:
            assert mart["max_drawdown_recovery_date"] == row["recovery_session"]
            assert mart["max_drawdown_duration_sessions"] == row["sessions"]
        else:
            assert pd.isna(mart["max_drawdown_recovery_date"])


def check_basket_sharpe_ytd(result: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    assert sorted(result["basket"]) == ["china_adr", "us_megacap"]
    assert set(result["period"]) == {"ytd"}
    assert list(result["sharpe_ratio"]) == sorted(result["sharpe_ratio"], reverse=True)
    # Each basket's Sharpe again from the daily returns of fct_sector_relative_performance (its
    # base, the last session of 2024, is the ytd anchor of the demo, and every member is priced
    # before it, so both marts hold the same basket returns).
    for row in result.itertuples():
        daily = run(
            con,
            f"select distinct session_date, daily_return_a as r "
            f"from marts.fct_sector_relative_performance where basket_a = '{row.basket}' "
            f"and session_date > '{row.from_session}' and session_date <= '{row.to_session}' "
            f"and daily_return_a is not null",
        )["r"]
        assert len(daily) == row.sessions
        sharpe = daily.mean() / daily.std(ddof=1) * 252**0.5
        assert row.risk_free_rate == 0
        assert row.sharpe_ratio == pytest.approx(sharpe, rel=1e-9)


def check_adr_premium_today(result: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    assert len(result) == 1
    row = result.iloc[0]
    assert (row["adr_ticker"], row["home_ticker"]) == ("BABA", "9988.HK")
    # the latest session with a same-day premium (none on a Hong Kong holiday)
    latest = run(con, "select max(session_date) as d from marts.fct_adr_premium "
                      "where adr_ticker = 'BABA' and premium_same_day is not null").iloc[0]["d"]
    assert row["session_date"] == latest
    # the parity and premium follow from the closes, the ratio and FX the row shows
    assert row["shares_per_ads"] == 8
    parity = row["home_close_same_day"] * row["shares_per_ads"] / row["hkd_per_usd"]
    assert row["parity_same_day"] == pytest.approx(parity)
    assert row["premium_same_day"] == pytest.approx(row["adr_close"] / parity - 1)
    assert abs(row["premium_same_day"]) < 0.2  # a correct ratio keeps the premium near zero
    assert bool(row["is_unusual"]) == (abs(row["premium_zscore"]) >= 2)
    assert 0 <= row["premium_percentile"] <= 1
    assert row["history_min_premium"] <= row["premium_same_day"] <= row["history_max_premium"]
    assert row["history_sessions"] > 60


def check_xi_symposium_first_reaction(
    result: pd.DataFrame, con: duckdb.DuckDBPyConnection
) -> None:
    assert set(result["event_id"]) == {"xi_symposium"}
    listed = {
        r["adr_ticker"] for r in run(con, "select adr_ticker from reference.universe u join "
                                          "marts.fct_adr_premium p on p.adr_ticker = u.ticker "
                                          "where u.group_name in ('china_adr', 'china_otc')"
                                     ).to_dict("records")
    }
    assert set(result["adr_ticker"]) == listed
    # 10:00 Beijing on Monday 2025-02-17: Hong Kong's session that day, New York's on Tuesday
    assert set(result["home_day_zero_date"].astype(str)) == {"2025-02-17"}
    assert set(result["adr_day_zero_date"].astype(str)) == {"2025-02-18"}
    assert (result["first_reacting_ticker"] == result["home_ticker"]).all()
    assert set(result["hours_between_day_zero_closes"]) == {37}
    # the sample injects the symposium's shock on each line's own day 0
    baba = result[result["adr_ticker"] == "BABA"].iloc[0]
    assert baba["home_abnormal_return_market_adjusted"] > 0.03
    assert baba["adr_abnormal_return_market_adjusted"] > 0.03
    # the market-model ARs and CARs are the event study's, each line on its own exchange
    assert baba["home_abnormal_return_market_model"] > 0.03
    assert baba["adr_abnormal_return_market_model"] > 0.03
    day0 = run(con, "select ticker, exchange, session_date, benchmark_ticker, "
                    "abnormal_return_market_model from marts.fct_event_window_returns "
                    "where event_id = 'xi_symposium' and ticker in ('BABA', '9988.HK') "
                    "and relative_day = 0 order by ticker").to_dict("records")
    assert [(r["ticker"], r["exchange"], str(r["session_date"])[:10], r["benchmark_ticker"])
            for r in day0] == [("9988.HK", "XHKG", "2025-02-17", "2800.HK"),
                               ("BABA", "XNYS", "2025-02-18", "SPY")]
    by_ticker = {r["ticker"]: r["abnormal_return_market_model"] for r in day0}
    assert baba["home_abnormal_return_market_model"] == pytest.approx(by_ticker["9988.HK"])
    assert baba["adr_abnormal_return_market_model"] == pytest.approx(by_ticker["BABA"])
    assert baba["home_car_0_1"] is not None and not pd.isna(baba["home_car_0_1"])


def check_adr_vs_home_line_caar(result: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    assert set(result["event_id"]) == {"xi_symposium"}
    assert set(result["adr_group"]) == {"china_adr"}
    assert set(result["home_group"]) == {"china_adr_xhkg"}
    assert list(result["window_label"]) == ["[-5,+5]", "[-1,+1]", "[0,0]", "[0,+1]"]
    # every dual-listed ADR of the group has its Hong Kong line in the home group
    assert (result["home_pairs"] >= 1).all() and (result["home_pairs"] <= result["adr_pairs"]).all()
    day0 = result[result["window_label"] == "[0,0]"].iloc[0]
    # the sample injects the symposium's shock on each line's own day 0
    assert day0["adr_caar"] > 0 and day0["home_caar"] > 0
    assert day0["caar_difference"] == pytest.approx(day0["home_caar"] - day0["adr_caar"])


CHECKS: dict[str, Callable[[pd.DataFrame, duckdb.DuckDBPyConnection], None]] = {
    "china_adr_analyst_actions_with_significant_moves": (
        check_china_adr_analyst_actions_with_significant_moves
    ),
    "china_vs_us_forward_pe_discount": check_china_vs_us_forward_pe_discount,
    "baba_above_2025_low": check_baba_above_2025_low,
    "china_adr_vs_megacap_since_deepseek": check_china_adr_vs_megacap_since_deepseek,
    "xi_symposium_movers": check_xi_symposium_movers,
    "latest_basket_spread": check_latest_basket_spread,
    "biggest_drawdowns": check_biggest_drawdowns,
    "event_study_summary": check_event_study_summary,
    "china_adr_rank_tests": check_china_adr_rank_tests,
    "ticker_news_events": check_ticker_news_events,
    "latest_ticker_performance": check_latest_ticker_performance,
    "baba_drawdown_2025": check_baba_drawdown_2025,
    "basket_sharpe_ytd": check_basket_sharpe_ytd,
    "adr_premium_today": check_adr_premium_today,
    "xi_symposium_first_reaction": check_xi_symposium_first_reaction,
    "adr_vs_home_line_caar": check_adr_vs_home_line_caar,
}


def test_every_query_file_has_a_check_and_every_check_a_file() -> None:
    assert sorted(CHECKS) == sorted(p.stem for p in QUERY_FILES)


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_query_has_a_header_saying_what_it_answers(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("-- ")
    header = " ".join(line for line in lines if line.startswith("--"))
    assert "?" in header


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_query_answers_on_the_demo_build(path: Path, published: duckdb.DuckDBPyConnection) -> None:
    result = run(published, path.read_text(encoding="utf-8"))
    assert not result.empty, f"{path.name} returned no rows"
    CHECKS[path.stem](result, published)


def test_variables_choose_another_event_and_ticker(demo_home: Path) -> None:
    settings = dataclasses.replace(Settings.from_env(), home=demo_home)
    sql = (QUERIES_DIR / "xi_symposium_movers.sql").read_text(encoding="utf-8")
    columns, rows = query_published(
        settings, sql, {"event_id": "deepseek_shock", "window_label": "[0,+1]"}
    )
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    assert records
    assert {r["event_id"] for r in records} == {"deepseek_shock"}
    assert {r["window_label"] for r in records} == {"[0,+1]"}
    groups = {r["group_name"] for r in records}
    assert {"china_adr", "us_megacap"} <= groups


def test_one_reader_answers_several_queries_and_still_refuses_a_write(demo_home: Path) -> None:
    settings = dataclasses.replace(Settings.from_env(), home=demo_home)
    with published_reader(settings) as reader:
        count = reader.run("select count(*) from marts.fct_ticker_performance")[-1].rows[0][0]
        build = reader.run("select build_id from main.published_build")[-1].rows
        with pytest.raises(CliError, match="would change the session, the data or files"):
            reader.run("create table marts.scratch as select 1 as x")
        # the reader still answers after a refused statement, from the same build
        again = reader.run("select count(*) from marts.fct_ticker_performance")[-1].rows[0][0]
        assert again == count
        # the row count recorded at publishing is the table's
        recorded = {(t.schema, t.name): t.rows for t in reader.build.tables}
        assert recorded[("marts", "fct_ticker_performance")] == count
    assert count > 0 and build == [(reader.build.build_id,)]
    assert query_published(settings, "select build_id from main.published_build")[1] == build
