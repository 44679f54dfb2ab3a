"""What the report shows, read from a connection to the published marts (never the warehouse)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

BASKET_PAIR = "china_adr_vs_us_megacap"
SUMMARY_WINDOW = "[-1,+1]"
# Two-sided 95% under the normal approximation the marts use for their p-values.
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class ReportData:
    build_id: str
    published_at: datetime
    relative_performance: pd.DataFrame  # session_date, index_a, index_b, spread, base_date
    events: pd.DataFrame  # marker, event_id, title, day_zero_date (catalogued, in the range)
    car_paths: (
        pd.DataFrame
    )  # event_id, group_name, relative_day, day_zero_date, pairs, mean_car, lower, upper
    event_summary: pd.DataFrame  # event_id, summary_group, pairs, caar, ci, t_kp, p_kp
    ticker_performance: pd.DataFrame  # latest row per ticker with its name and group
    synthetic: bool = False  # built (at least partly) from the synthetic sample archive
    # Catalogued event-ticker pairs in the range over SUMMARY_WINDOW: reason (null when the pair
    # is included), estimation_obs. Says why the event study is empty when it is.
    event_pairs: pd.DataFrame = field(default_factory=pd.DataFrame)
    forced: bool = False  # built past failed blocking checks (adrpulse build --force)
    failed_checks: tuple[str, ...] = ()
    # The latest session's alerts (marts.fct_alerts), largest |SAR| first, and their headlines
    # (marts.fct_alert_headlines); empty frames when there are none or the build predates them.
    alerts: pd.DataFrame = field(default_factory=pd.DataFrame)
    alert_headlines: pd.DataFrame = field(default_factory=pd.DataFrame)
    # marts.fct_valuation_spread by session, and the latest analyst actions (marts
    # .fct_analyst_actions, newest first); empty when there are none or the build predates them.
    valuation_spread: pd.DataFrame = field(default_factory=pd.DataFrame)
    analyst_actions: pd.DataFrame = field(default_factory=pd.DataFrame)
    # The baskets' rows of marts.fct_performance_summary (every period), their monthly returns
    # (marts.fct_monthly_returns) and drawdown series (marts.fct_basket_drawdowns); empty frames
    # when the build predates those marts.
    basket_performance: pd.DataFrame = field(default_factory=pd.DataFrame)
    basket_monthly_returns: pd.DataFrame = field(default_factory=pd.DataFrame)
    basket_drawdowns: pd.DataFrame = field(default_factory=pd.DataFrame)
    # marts.fct_adr_premium: every pair's same-day premium by session, and each pair's latest row
    # (empty frames when no dual-listed pair has prices, or the build predates the mart).
    premium_history: pd.DataFrame = field(default_factory=pd.DataFrame)
    latest_premiums: pd.DataFrame = field(default_factory=pd.DataFrame)
    # The expected-return model of the event study's abnormal returns (the marts'
    # expected_return_model: market_model, ff3 or ff5; market_model for a build that predates it).
    expected_return_model: str = "market_model"



# Analyst actions the report lists, newest first.
LATEST_ANALYST_ACTIONS = 15


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _ci_95(mean: pd.Series, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Normal 95% band of a mean CAR across `frame["pairs"]` pairs with sd `frame["car_sd"]`."""
    half_width = Z_95 * frame["car_sd"] / frame["pairs"] ** 0.5
    return mean - half_width, mean + half_width


def load_report_data(con: duckdb.DuckDBPyConnection) -> ReportData:
    """Read everything the report needs; raise ValueError naming what is missing."""
    build_id, published_at = con.execute(
        "select build_id, published_at from main.published_build"
    ).fetchall()[0]
    synthetic = _built_from_synthetic_data(con)
    forced, failed_checks = _forced(con)
    relative = _frame(
        con,
        "select session_date, base_date, index_buy_hold_a as index_a, "
        "index_buy_hold_b as index_b, spread_buy_hold as spread "
        "from marts.fct_sector_relative_performance where basket_pair = ? order by session_date",
        [BASKET_PAIR],
    )
    if relative.empty:
        raise ValueError(
            f"marts.fct_sector_relative_performance has no rows for {BASKET_PAIR}: check the "
            "basket_pairs var of the dbt project and rebuild (adrpulse build)"
        )
    events = _frame(
        con,
        "select distinct car.event_id, catalog.title, car.day_zero_date "
        "from marts.fct_event_car as car "
        "left join reference.event_catalog as catalog on car.event_id = catalog.event_id "
        # the markers sit on the US baskets' chart: the US listings' day 0 (a Hong Kong line's
        # pair can have another, docs/event_study.md "Home lines")
        "where car.event_origin = 'catalog' and car.exchange = 'XNYS' "
        "and car.day_zero_date between ? and ? "
        "order by car.day_zero_date, car.event_id",
        [relative["session_date"].min(), relative["session_date"].max()],
    )
    events.insert(0, "marker", range(1, len(events) + 1))
    # The CARs of the model the summary's tests use (car_selected_model; a build that predates
    # the setting has the market model's only).
    window_columns = set(
        _frame(con, "select * from marts.fct_event_window_returns limit 0").columns
    )
    selected = "expected_return_model" in window_columns
    car = "car_selected_model" if selected else "car_market_model"
    car_paths = _frame(
        con,
        "select event_id, group_name, relative_day, min(day_zero_date) as day_zero_date, "
        f"count(*) as pairs, avg({car}) as mean_car, stddev_samp({car}) as car_sd "
        "from marts.fct_event_window_returns "
        f"where event_origin = 'catalog' and is_estimation_valid and {car} is not null "
        "group by all having count(*) >= 2 order by event_id, group_name, relative_day",
    )
    models = (
        _frame(con, "select distinct expected_return_model from marts.fct_event_window_returns")
        if selected else pd.DataFrame({"expected_return_model": []})
    )
    expected_return_model = ", ".join(sorted(models["expected_return_model"])) or "market_model"
    car_paths["lower"], car_paths["upper"] = _ci_95(car_paths["mean_car"], car_paths)
    summary = _frame(
        con,
        "select s.event_id, min(car.day_zero_date) as day_zero_date, s.summary_group, "
        "s.pairs_included as pairs, s.caar, s.car_sd, s.t_kolari_pynnonen as t_kp, "
        "s.p_kolari_pynnonen as p_kp "
        "from marts.fct_event_study_summary as s "
        # each group's own day 0 (the Hong Kong lines' groups have theirs)
        "join marts.fct_event_car as car on car.event_id = s.event_id "
        "and car.group_name = s.summary_group "
        "where s.window_label = ? and car.event_origin = 'catalog' and s.pairs_included >= 2 "
        "and s.summary_group <> 'all' "
        "group by all order by day_zero_date, s.event_id, s.summary_group",
        [SUMMARY_WINDOW],
    )
    summary["ci_lower"], summary["ci_upper"] = _ci_95(summary["caar"], summary)
    event_pairs = _frame(
        con,
        "select event_id, ticker, group_name, exclusion_reason as reason, estimation_obs "
        "from marts.fct_event_car "
        "where event_origin = 'catalog' and window_label = ? and day_zero_date between ? and ? "
        "order by event_id, ticker",
        [SUMMARY_WINDOW, relative["session_date"].min(), relative["session_date"].max()],
    )
    tickers = _frame(
        con,
        "select universe.group_name, perf.ticker, universe.name, perf.session_date, "
        "perf.close_price, perf.return_1d, perf.return_1w, perf.return_1m, perf.return_3m, "
        "perf.return_ytd, perf.drawdown, perf.gain_from_ytd_low, perf.volatility_annualized "
        "from marts.fct_ticker_performance as perf "
        "left join reference.universe as universe on perf.ticker = universe.ticker "
        "qualify row_number() over (partition by perf.ticker order by perf.session_date desc) = 1 "
        "order by universe.group_name, perf.ticker",
    )
    alerts, alert_headlines = _alerts(con)
    valuation_spread, analyst_actions = _valuations_and_analysts(con)
    performance, monthly, drawdowns = _basket_performance(con)
    premium_history, latest_premiums = _premiums(con)
    return ReportData(
        build_id,
        published_at,
        relative,
        events,
        car_paths,
        summary,
        tickers,
        synthetic,
        event_pairs,
        forced,
        failed_checks,
        alerts,
        alert_headlines,
        valuation_spread,
        analyst_actions,
        performance,
        monthly,
        drawdowns,
        premium_history,
        latest_premiums,
        expected_return_model,
    )


def _premiums(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history, latest per pair) of marts.fct_adr_premium; empty frames when it is absent."""
    if "fct_adr_premium" not in _published_marts(con):
        return pd.DataFrame(), pd.DataFrame()
    history = _frame(
        con,
        "select adr_ticker, home_ticker, session_date, premium_same_day, premium_next_session "
        "from marts.fct_adr_premium where premium_same_day is not null "
        "order by adr_ticker, session_date",
    )
    return history, latest_premiums(con)


def latest_premiums(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each pair's latest row of marts.fct_adr_premium with a same-day premium: the report's
    table and the metadata of the mart's asset in the UI (assets/mart_headlines.py)."""
    return _frame(
        con,
        "select adr_ticker, home_ticker, session_date, adr_close, home_close_same_day, "
        "hkd_per_usd, shares_per_ads, premium_same_day, premium_next_session, premium_zscore, "
        "lead_lag_beta from marts.fct_adr_premium where premium_same_day is not null "
        "qualify row_number() over (partition by adr_ticker order by session_date desc) = 1 "
        "order by adr_ticker",
    )


def _published_marts(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }


def _valuations_and_analysts(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    published = _published_marts(con)
    spread = pd.DataFrame()
    if "fct_valuation_spread" in published:
        spread = _frame(
            con,
            "select session_date, basket_a, basket_b, median_forward_pe_a, median_forward_pe_b, "
            "forward_pe_discount, forward_pe_discount_percentile, price_to_sales_discount, "
            "forward_pe_history_sessions "
            "from marts.fct_valuation_spread order by session_date",
        )
    actions = pd.DataFrame()
    if "fct_analyst_actions" in published:
        actions = _frame(
            con,
            "select graded_at, day_zero_date, ticker, group_name, firm, action_category, "
            "from_grade, to_grade, prior_price_target, current_price_target, "
            "price_target_change_fraction, car, p_value "
            "from marts.fct_analyst_actions order by graded_at desc, ticker, firm limit ?",
            [LATEST_ANALYST_ACTIONS],
        )
    return spread, actions


# Periods in the order the report lists them.
PERIOD_ORDER = "case period when 'ytd' then 1 when '1y' then 2 when 'since_event' then 3 else 4 end"


def _basket_performance(
    con: duckdb.DuckDBPyConnection,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    if not {"fct_performance_summary", "fct_monthly_returns", "fct_basket_drawdowns"} <= (
        _published_marts(con)
    ):
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    performance = _frame(
        con,
        "select subject as basket, period, event_id, anchor_date, as_of_date, return_count, "
        "total_return, cagr, volatility_annualized, sharpe_ratio, sortino_ratio, calmar_ratio, "
        "max_drawdown, max_drawdown_peak_date, max_drawdown_trough_date, "
        "max_drawdown_recovery_date, max_drawdown_duration_sessions, var_95, cvar_95, beta, "
        "alpha_annualized, information_ratio, comparison_basket "
        f"from marts.fct_performance_summary where subject_kind = 'basket' "
        f"order by {PERIOD_ORDER}, subject",
    )
    monthly = _frame(
        con,
        "select monthly.subject as basket, monthly.calendar_year, monthly.calendar_month, "
        "monthly.monthly_return, monthly.is_partial_month "
        "from marts.fct_monthly_returns as monthly where monthly.subject_kind = 'basket' "
        "order by basket, monthly.month_start",
    )
    drawdowns = _frame(
        con,
        "select basket, session_date, drawdown from marts.fct_basket_drawdowns "
        "order by basket, session_date",
    )
    return performance, monthly, drawdowns


def _alerts(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not {"fct_alerts", "fct_alert_headlines"} <= _published_marts(con):
        return pd.DataFrame(), pd.DataFrame()
    alerts = _frame(
        con,
        "select alert_id, ticker, session_date, group_name, abnormal_return, "
        "standardized_abnormal_return, sar_threshold, headline_count "
        "from marts.fct_alerts order by abs(standardized_abnormal_return) desc, ticker",
    )
    headlines = _frame(
        con,
        "select alert_id, relative_day, published_at, headline, item_url, sentiment_score, "
        "sentiment_label from marts.fct_alert_headlines "
        "order by alert_id, published_at, item_key",
    )
    return alerts, headlines


# The marts' wording (int_estimation_stats, int_event_car): "N of M estimation returns, minimum
# M0" and "window ends after the last stored session (k of L sessions stored)".
_TOO_FEW_ESTIMATION = re.compile(r"^\d+ of \d+ estimation returns, minimum (\d+)$")
_WINDOW_INCOMPLETE = re.compile(r"^window ends after the last stored session\b")


def _reason_text(reason: str, rows: pd.DataFrame) -> str:
    """One wording per kind of exclusion, over the pairs `rows` that share it (the marts'
    reasons carry each pair's own counts)."""
    if match := _TOO_FEW_ESTIMATION.match(reason):
        low, high = int(rows["estimation_obs"].min()), int(rows["estimation_obs"].max())
        counts = str(low) if low == high else f"{low} to {high}"
        return f"too few estimation returns ({counts}; the market model needs {match.group(1)})"
    if _WINDOW_INCOMPLETE.match(reason):
        return f"an incomplete {SUMMARY_WINDOW} window (its last sessions are still to come)"
    return reason


def _reason_kind(reason: str) -> str:
    if _TOO_FEW_ESTIMATION.match(reason):
        return _TOO_FEW_ESTIMATION.sub(r"N of M estimation returns, minimum \1", reason)
    return "window incomplete" if _WINDOW_INCOMPLETE.match(reason) else reason


def why_no_event_study(data: ReportData) -> str:
    """Why no catalogued event has two or more included pairs in a group, from the marts'
    exclusion reasons: e.g. a short price history leaves too few estimation returns."""
    if data.events.empty:
        first = data.relative_performance["session_date"].min()
        last = data.relative_performance["session_date"].max()
        return (
            f"no catalogued event has its day 0 within the price history "
            f"({pd.Timestamp(first).date()} to {pd.Timestamp(last).date()})"
        )
    pairs = data.event_pairs
    excluded = pairs[pairs["reason"].notna()] if not pairs.empty else pairs
    if pairs.empty or excluded.empty:
        return (
            "no group of a catalogued event has two or more pairs with a usable market model "
            "and a complete window"
        )
    by_kind = excluded.groupby(excluded["reason"].map(_reason_kind))
    parts = [
        f"{len(rows)} {'has' if len(rows) == 1 else 'have'} "
        f"{_reason_text(str(rows['reason'].iloc[0]), rows)}"
        for _, rows in sorted(by_kind, key=lambda item: -len(item[1]))
    ]
    share = (
        f"all {len(pairs)}"
        if len(excluded) == len(pairs)
        else f"{len(excluded)} of the {len(pairs)}"
    )
    return (
        f"{share} catalogued event-ticker pairs are excluded, leaving no group with two or more "
        f"pairs: {'; '.join(parts)}"
    )


def _forced(con: duckdb.DuckDBPyConnection) -> tuple[bool, tuple[str, ...]]:
    """Whether the build was published past failed blocking checks, and which."""
    try:
        forced, failed = con.execute(
            "select forced, failed_checks from main.published_build"
        ).fetchall()[0]
    except duckdb.BinderException:  # a connection without the provenance columns
        return False, ()
    return bool(forced), tuple(failed or ())


def _built_from_synthetic_data(con: duckdb.DuckDBPyConnection) -> bool:
    """True when any price fetch behind the build was synthetic (the bundled sample)."""
    try:
        flag = con.execute("select bool_or(synthetic) from raw.price_fetches").fetchall()[0][0]
    except duckdb.CatalogException:  # a build published before provenance was published
        return False
    return bool(flag)
