"""The dbt marts against an independent numpy/pandas recomputation, and against the sample's truth.

The reference below shares no code with the SQL: sessions and day 0 come from assets.calendar
(exchange_calendars), returns, the market model, the event-study statistics and the baskets are
recomputed from raw.daily_bars and the seed CSVs. Numbers must agree to 1e-9.

On the synthetic sample archive the injected abnormal returns (injected_shocks.csv) must come back
within their estimation error, and a test at the 5% level must reject at about 5% on placebo dates
where nothing was injected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from assets.calendar import XHKG, XNYS, day_zero, exchange_of, sessions_between, us_day_zero
from assets.settings import Settings
from tests.support.dbt import DBT_DIR, SAMPLE_ARCHIVE, SEEDS_DIR, build_sample_warehouse

TOLERANCE = 1e-9

# The defaults of the dbt vars, read from dbt_project.yml so the reference follows the project,
# and the vars the settings pass (their defaults: the estimation-window exclusion).
VARS: dict = {
    **yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"],
    **Settings.from_env({}).dbt_vars(),
}


@dataclass
class Warehouse:
    bars: pd.DataFrame
    home_bars: pd.DataFrame  # the Hong Kong lines and benchmark (XHKG)
    news_items: pd.DataFrame
    news_tags: pd.DataFrame
    analyst_actions: pd.DataFrame
    events: pd.DataFrame
    window_returns: pd.DataFrame
    event_car: pd.DataFrame
    summary: pd.DataFrame
    daily: pd.DataFrame
    sector: pd.DataFrame
    performance: pd.DataFrame
    betas: pd.DataFrame


def read_warehouse(path: Path, read_only: bool = False) -> Warehouse:
    # Read-write by default on purpose: after an in-process `dbt build`, dbt-duckdb keeps its own
    # connection to the file open, and DuckDB refuses a second connection to one file with a
    # different configuration. A warehouse built by another process is read read-only.
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        def table(sql: str) -> pd.DataFrame:
            return con.execute(sql).df()

        all_bars = table("select * from raw.daily_bars")
        # The sector and performance marts count XNYS sessions: they read the US listings only
        # (stg_prices__daily_bars); the event study reads the Hong Kong lines too (their own
        # pairs, on XHKG); FX feeds the premium only. The rule here is Python's
        # (assets.calendar), the marts' the dbt macro's.
        exchanges = all_bars["ticker"].map(exchange_of)
        bars = all_bars[exchanges == XNYS].reset_index(drop=True)
        home_bars = all_bars[exchanges == XHKG].reset_index(drop=True)
        return Warehouse(
            bars=bars,
            home_bars=home_bars,
            news_items=table("select * from raw.news_items"),
            news_tags=table("select * from raw.news_item_tags"),
            analyst_actions=table("select * from raw.analyst_actions"),
            events=table("select * from intermediate.int_events"),
            window_returns=table("select * from marts.fct_event_window_returns"),
            event_car=table("select * from marts.fct_event_car"),
            summary=table("select * from marts.fct_event_study_summary"),
            daily=table("select * from marts.fct_event_study_daily"),
            sector=table("select * from marts.fct_sector_relative_performance"),
            performance=table("select * from marts.fct_ticker_performance"),
            betas=table("select * from intermediate.int_estimation_betas"),
        )
    finally:
        con.close()


@pytest.fixture(scope="session")
def warehouse(sample_dbt_warehouse: Path) -> Warehouse:
    return read_warehouse(sample_dbt_warehouse)


# --- the independent reference -----------------------------------------------------------------


def _as_date(value) -> date:
    return pd.Timestamp(value).date()


@dataclass
class Prices:
    sessions: list[date]  # every XNYS session of the loaded span
    adj: pd.DataFrame  # sessions x tickers, NaN where no bar or outside the ticker's span
    returns: pd.DataFrame  # simple returns over consecutive sessions, NaN when either is missing
    high: pd.DataFrame
    low: pd.DataFrame
    close: pd.DataFrame

    @property
    def last_session(self) -> date:
        return self.sessions[-1]


def reference_prices(bars: pd.DataFrame, exchange: str = XNYS) -> Prices:
    """`bars` of tickers trading on `exchange`, on that exchange's sessions."""
    bars = bars.assign(session_date=pd.to_datetime(bars["session_date"]).dt.date)
    sessions = sessions_between(bars["session_date"].min(), bars["session_date"].max(), exchange)
    frames = {}
    for column in ("adj_close", "high", "low", "close"):
        wide = bars.pivot(index="session_date", columns="ticker", values=column)
        frames[column] = wide.reindex(sessions).astype(float)
    adj = frames["adj_close"]
    returns = adj / adj.shift(1) - 1  # NaN on either side stays NaN: no fill
    return Prices(sessions, adj, returns, frames["high"], frames["low"], frames["close"])


def _read_seed(name: str) -> pd.DataFrame:
    return pd.read_csv(SEEDS_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


def reference_events_of(warehouse: Warehouse) -> pd.DataFrame:
    return reference_events(warehouse.news_items, warehouse.news_tags, warehouse.analyst_actions)


def _analyst_category(action: str, current: float, prior: float) -> str:
    """Yahoo's action code decides; else the price target's move (0 is "no target")."""
    code = (action or "").strip().lower()
    if code in ("up", "down", "init"):
        return {"up": "upgrade", "down": "downgrade", "init": "initiation"}[code]
    current = current if current else math.nan
    prior = prior if prior else math.nan
    if current > prior:
        return "target_raise"
    if current < prior:
        return "target_cut"
    return "reiteration"


def reference_events(
    news_items: pd.DataFrame, news_tags: pd.DataFrame, analyst_actions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per (event, ticker) with day 0 by assets.calendar.us_day_zero: the catalogued
    events, one news event per tagged ticker and day 0, one analyst event per ticker, day 0 and
    action category. A catalogued event of a dual-listed ADR (the dual_listings seed, the
    listing in effect on the ADR's day 0) adds the home line, exchange XHKG, day 0 by
    assets.calendar.day_zero(..., "XHKG"), group the ADR's suffixed _xhkg."""
    universe = _read_seed("universe")
    catalog = _read_seed("event_catalog")
    listings = _read_seed("dual_listings")
    group_of = dict(zip(universe["ticker"], universe["group_name"], strict=True))
    rows = []
    for event in catalog.itertuples():
        announced = (datetime.fromisoformat(event.announced_at) if event.announced_at
                     else date.fromisoformat(event.announced_date))
        day0 = us_day_zero(announced)
        tickers = set()
        for token in event.scope.split():
            tickers |= {t for t, g in group_of.items() if g == token or t == token.upper()}
        for ticker in sorted(tickers):
            rows.append((event.event_id, ticker, group_of[ticker], "catalog", day0, XNYS))
            listed = listings[(listings["adr_ticker"] == ticker)
                              & (listings["effective_from"] <= day0.isoformat())]
            if len(listed):
                home = listed.sort_values("effective_from")["home_ticker"].iloc[-1]
                rows.append((event.event_id, home, f"{group_of[ticker]}_xhkg", "catalog",
                             day_zero(announced, XHKG), XHKG))
    if len(news_items):
        tags = news_tags[
            (news_tags["tag_type"] == "ticker")
            & (news_tags["confidence"] >= VARS["news_min_tag_confidence"])
        ]
        items = news_items[news_items["published_at"].notna()]
        if not VARS["news_include_fallback_dates"]:
            items = items[~items["published_is_fallback"]]
        tagged = items.merge(tags, on="item_key")
        tagged["day0"] = [
            us_day_zero(pd.Timestamp(ts).to_pydatetime()) for ts in tagged["published_at"]
        ]
        for (ticker, day0), _ in tagged.groupby(["tag", "day0"]):
            ticker = ticker.upper()
            rows.append(
                (f"news_{ticker}_{day0:%Y%m%d}", ticker, group_of.get(ticker, "unclassified"),
                 "news", day0, XNYS)
            )
    if analyst_actions is not None and len(analyst_actions):
        keys = set()
        for action in analyst_actions.itertuples():
            ticker = action.ticker.strip().upper()
            day0 = us_day_zero(pd.Timestamp(action.graded_at).to_pydatetime())
            category = _analyst_category(
                action.action, action.current_price_target, action.prior_price_target
            )
            keys.add((f"analyst_{category}_{ticker}_{day0:%Y%m%d}", ticker, day0))
        for event_id, ticker, day0 in sorted(keys):
            rows.append((event_id, ticker, group_of.get(ticker, "unclassified"), "analyst", day0,
                         XNYS))
    return pd.DataFrame(
        rows, columns=["event_id", "ticker", "group_name", "origin", "day0", "exchange"]
    )


def _all_group(ticker: str) -> str:
    """The group pooling an event's pairs on the ticker's exchange: 'all' (XNYS), 'all_xhkg'."""
    exchange = exchange_of(ticker)
    return "all" if exchange == XNYS else f"all_{exchange.lower()}"


def _window_label(start: int, end: int) -> str:
    def fmt(k: int) -> str:
        return "0" if k == 0 else f"{k:+d}"

    return f"[{fmt(start)},{fmt(end)}]"


@dataclass
class EventStudy:
    daily: pd.DataFrame  # event x ticker x relative day
    cars: pd.DataFrame  # event x ticker x window
    summary: pd.DataFrame  # event x group x window
    residuals: dict  # (event, ticker) -> Series of estimation residuals by relative day
    betas: pd.DataFrame | None = None  # event x ticker: OLS, Scholes-Williams and Dimson betas


def _market_model(r: np.ndarray, rm: np.ndarray) -> tuple[int, float, float, float]:
    m, alpha, beta, s, _, _ = _market_model_fit(r, rm)
    return m, alpha, beta, s


def _market_model_fit(
    r: np.ndarray, rm: np.ndarray
) -> tuple[int, float, float, float, float, float]:
    """M, alpha, beta, s and the benchmark's estimation mean and Sxx (the CAR variance needs
    them)."""
    ok = np.isfinite(r) & np.isfinite(rm)
    m = int(ok.sum())
    if m < 2 or np.var(rm[ok]) == 0:
        return m, math.nan, math.nan, math.nan, math.nan, math.nan
    x, y = rm[ok], r[ok]
    sxx = float(((x - x.mean()) ** 2).sum())
    beta = ((x - x.mean()) * (y - y.mean())).sum() / sxx
    alpha = y.mean() - beta * x.mean()
    ssr = float(((y - alpha - beta * x) ** 2).sum())
    s = math.sqrt(ssr / (m - 2)) if m > 2 else math.nan
    return m, alpha, beta, s, float(x.mean()), sxx


def _thin_trading_betas(r: np.ndarray, offsets: dict[int, np.ndarray],
                        lags: int) -> dict[str, float]:
    """Scholes-Williams (1977) and Dimson (1979) betas and their intercepts, from numpy.

    `offsets[k]`: the benchmark's return k sessions from each estimation session. Scholes-Williams
    over the sessions where r_t and r_m at -1, 0, +1 exist: (b_-1 + b_0 + b_+1) / (1 + 2 rho),
    each b_k a simple OLS slope (np.polyfit), rho = np.corrcoef of r_m,t and r_m,t-1. Dimson: the
    multiple regression of r_t on a constant and r_m,t-K .. r_m,t+K by np.linalg.lstsq, beta the
    sum of the slopes. Intercepts: mean r - beta * mean r_m over each sample."""
    out = {"beta_scholes_williams": math.nan, "alpha_scholes_williams": math.nan,
           "beta_dimson": math.nan, "alpha_dimson": math.nan,
           "benchmark_autocorrelation": math.nan}
    sw = np.isfinite(r) & np.isfinite(offsets[-1]) & np.isfinite(offsets[0]) \
        & np.isfinite(offsets[1])
    out["scholes_williams_obs"] = int(sw.sum())
    if sw.sum() >= 3:
        slopes = [np.polyfit(offsets[k][sw], r[sw], 1)[0] for k in (-1, 0, 1)]
        rho = float(np.corrcoef(offsets[0][sw], offsets[-1][sw])[0, 1])
        beta = float(sum(slopes)) / (1 + 2 * rho)
        out.update(beta_scholes_williams=beta, benchmark_autocorrelation=rho,
                   alpha_scholes_williams=float(r[sw].mean() - beta * offsets[0][sw].mean()))
    ks = range(-lags, lags + 1)
    dm = np.isfinite(r) & np.all([np.isfinite(offsets[k]) for k in ks], axis=0)
    out["dimson_obs"] = int(dm.sum())
    if dm.sum() > 2 * lags + 2:
        design = np.column_stack([np.ones(int(dm.sum()))] + [offsets[k][dm] for k in ks])
        coefficients = np.linalg.lstsq(design, r[dm], rcond=None)[0]
        beta = float(coefficients[1:].sum())
        out.update(beta_dimson=beta,
                   alpha_dimson=float(r[dm].mean() - beta * offsets[0][dm].mean()))
    return out


def _car_standard_error(s: float, length: int, m: int, window_rm: np.ndarray, rm_mean: float,
                        sxx: float) -> float:
    """sd of the market-model CAR with the estimation error of alpha and beta: the covariance
    of the L prediction errors is s^2 (I + X* (X'X)^-1 X*'), X* = [1, r_m] over the window and X
    over the estimation window (Campbell, Lo and MacKinlay 1997, eq. 4.4.8); summed over the
    window. Computed here from the matrices, not from the closed form the SQL uses."""
    ones = np.ones(length)
    window_x = np.column_stack([ones, window_rm])
    # (X'X) from the estimation moments: [[M, M mean], [M mean, Sxx + M mean^2]]
    xtx = np.array([[m, m * rm_mean], [m * rm_mean, sxx + m * rm_mean**2]])
    cov = s**2 * (np.eye(length) + window_x @ np.linalg.solve(xtx, window_x.T))
    return math.sqrt(float(ones @ cov @ ones))


def _p_t(t: float, df: float) -> float:
    """Two-sided Student t p-value (scipy)."""
    return float(2.0 * stats.t.sf(abs(t), df)) if np.isfinite(t) and df >= 1 else math.nan


def _p_normal(z: float) -> float:
    """Two-sided standard normal p-value (scipy)."""
    return float(2.0 * stats.norm.sf(abs(z))) if np.isfinite(z) else math.nan


def _p_sign(k: int, n: int) -> float:
    """Two-sided exact binomial p-value of k of n with p = 1/2 (scipy)."""
    return float(stats.binomtest(k, n, 0.5).pvalue) if n >= 1 else math.nan




def _grank(pairs: list[tuple[pd.Series, float]]) -> tuple[float, float]:
    """(T, t) of the generalized rank test of Kolari and Pynnonen (2011), from its definitions.

    `pairs`: per included pair, its standardised estimation-window abnormal returns AR / s by
    relative day (NaN where missing) and its SCAR over the window. The SCARs are re-standardised
    by their cross-sectional sd and each joins its pair's SARs as one more observation; ranks
    within the pair are scaled to rank / (T_i + 1) - 1/2 (scipy's average ranks for ties)."""
    n = len(pairs)
    scars = np.array([scar for _, scar in pairs], dtype=float)
    if n < 2 or not scars.std(ddof=1) > 0:
        return math.nan, math.nan
    scar_sd = scars.std(ddof=1)
    columns = []
    for sar, scar in pairs:
        gsar = pd.concat([sar.dropna(), pd.Series([scar / scar_sd], index=["event"])])
        columns.append(pd.Series(stats.rankdata(gsar.to_numpy()) / (len(gsar) + 1) - 0.5,
                                 index=gsar.index))
    u = pd.concat(columns, axis=1)  # time points x pairs
    u_t, n_t = u.mean(axis=1), u.count(axis=1)
    time_points = len(u)
    s_u = math.sqrt(float(((n_t / n) * u_t**2).sum()) / time_points)
    if not s_u > 0:
        return time_points, math.nan
    z = float(u_t["event"]) / s_u
    return time_points, z * math.sqrt((time_points - 2) / (time_points - 1 - z**2))


def _dates(days: list[date]) -> str:
    return ", ".join(d.isoformat() for d in days)


def reference_event_study(prices: Prices, events: pd.DataFrame, benchmark: str,
                          exclude_other_events: bool | None = None,
                          beta_method: str | None = None,
                          dimson_lags: int | None = None,
                          exchange: str = XNYS) -> EventStudy:
    """The event-study marts from the bars. `exclude_other_events`: leave sessions near the
    ticker's other catalogued events out of the estimation window; `beta_method`: ols,
    scholes_williams or dimson (with `dimson_lags`); defaults: the settings'. `prices`, the
    events' day 0s and the relative days are on `exchange`'s sessions, `benchmark` trades there."""
    if exclude_other_events is None:
        exclude_other_events = VARS["estimation_exclude_other_events"]
    beta_method = beta_method or VARS["market_model_beta"]
    dimson_lags = dimson_lags or VARS["dimson_lags"]
    beta_rows = []
    all_sessions = sessions_between(date(2000, 1, 3), date(2027, 12, 31), exchange)
    global_position = {d: i for i, d in enumerate(all_sessions)}
    est_start, est_end = VARS["estimation_window_start"], VARS["estimation_window_end"]
    ev_start, ev_end = VARS["event_window_start"], VARS["event_window_end"]
    windows = [tuple(w) for w in VARS["summary_windows"]]
    catalog_days = events[events["origin"] == "catalog"]

    def series(ticker: str, days: list[date]) -> np.ndarray:
        if ticker not in prices.returns.columns:
            return np.full(len(days), np.nan)
        return prices.returns[ticker].reindex(days).to_numpy(dtype=float)

    def days_at(day0: date, ks: range) -> tuple[list[int], list[date]]:
        g0 = global_position[day0]
        pairs = [(k, all_sessions[g0 + k]) for k in ks]
        pairs = [(k, d) for k, d in pairs if d <= prices.last_session]
        return [k for k, _ in pairs], [d for _, d in pairs]

    def bars(ticker: str, days: list[date]) -> np.ndarray:
        if ticker not in prices.adj.columns:
            return np.zeros(len(days), dtype=bool)
        return prices.adj[ticker].reindex(days).notna().to_numpy()

    def bar_span(ticker: str) -> str:
        stored = prices.adj[ticker].dropna()
        return f"its bars run from {stored.index[0]} to {stored.index[-1]}"

    est_length = est_end - est_start + 1

    def near_other_events(event_id: str, ticker: str) -> set[date]:
        """Sessions within the exclusion window of the ticker's other catalogued events."""
        others = catalog_days[
            (catalog_days["ticker"] == ticker) & (catalog_days["event_id"] != event_id)
        ]
        return {
            all_sessions[global_position[day0] + k]
            for day0 in others["day0"]
            for k in range(VARS["estimation_exclusion_start"], VARS["estimation_exclusion_end"] + 1)
        }

    def pair_reason(ticker: str, est_days: list[date], m: int, beta: float, s: float,
                    excluded: int) -> str | None:
        """Why the pair's market model is not used, the first that applies (None: it is)."""
        if ticker == benchmark:
            return "ticker is the benchmark"
        if ticker not in prices.adj.columns:
            return "no prices for this ticker"
        if benchmark not in prices.adj.columns:
            return f"no prices for the benchmark {benchmark}"
        if len(est_days) < est_length:
            return "event after the last stored session"
        if not bars(ticker, est_days).any():
            return f"no prices for this ticker in the estimation window ({bar_span(ticker)})"
        if not bars(benchmark, est_days).any():
            return (f"no prices for the benchmark {benchmark} in the estimation window "
                    f"({bar_span(benchmark)})")
        if m < VARS["min_estimation_obs"]:
            note = f" ({excluded} sessions near other events excluded)" if excluded else ""
            return (f"{m} of {est_length} estimation returns{note}, "
                    f"minimum {VARS['min_estimation_obs']}")
        if not np.isfinite(beta):
            return "market model could not be fitted (constant benchmark return)"
        if not np.isfinite(s) or s == 0:
            return "zero residual variance"
        return None

    # Relative days with a row of int_event_windows: the estimation and the event window.
    window_days = set(range(est_start, est_end + 1)) | set(range(ev_start, ev_end + 1))

    def window_reason(ticker: str, day0: date, start: int, end: int, w: pd.DataFrame) -> str:
        """What an incomplete window of a pair with a market model lacks."""
        length = end - start + 1
        if day0 > prices.last_session:
            return "event after the last stored session"
        if len(w) < length:
            return (f"window ends after the last stored session ({len(w)} of {length} "
                    "sessions stored)")
        if start <= 0 <= end and not bars(ticker, [day0])[0]:
            return "day 0 falls on a missing bar"
        if start <= 0 <= end and not bars(benchmark, [day0])[0]:
            return f"day 0 falls on a missing bar of the benchmark {benchmark}"
        # the bars the window's returns need: the session before it to its end
        needed_ks, needed = days_at(day0, range(start - 1, end + 1))
        needed = [d for k, d in zip(needed_ks, needed, strict=True) if k in window_days]
        missing = [d for d, ok in zip(needed, bars(ticker, needed), strict=True) if not ok]
        missing_benchmark = [
            d for d, ok in zip(needed, bars(benchmark, needed), strict=True) if not ok
        ]
        parts = []
        if missing:
            parts.append(f"no bar on {_dates(missing)}")
        if missing_benchmark:
            parts.append(f"no {benchmark} bar on {_dates(missing_benchmark)}")
        reason = f"{int(w['ar_mm'].notna().sum())} of {length} abnormal returns"
        return reason + (": " + "; ".join(parts) if parts else "")

    daily_rows, car_rows, residuals, ranks, residual_sds = [], [], {}, {}, {}
    for ev in events.itertuples():
        _, est_days = days_at(ev.day0, range(est_start, est_end + 1))
        est_ks, _ = days_at(ev.day0, range(est_start, est_end + 1))
        r_est, rm_est = series(ev.ticker, est_days), series(benchmark, est_days)
        # sessions near the ticker's other catalogued events leave the estimation window
        near = near_other_events(ev.event_id, ev.ticker)
        excluded = np.array([d in near for d in est_days], dtype=bool)
        if not exclude_other_events:
            excluded[:] = False
        r_est = np.where(excluded, np.nan, r_est)
        m, alpha, beta, s, rm_mean, sxx = _market_model_fit(r_est, rm_est)
        # the benchmark's returns k sessions from each estimation session, for the thin-trading
        # betas (whatever the ticker's window holds)
        offsets = {
            k: series(benchmark, [all_sessions[global_position[d] + k] for d in est_days])
            for k in range(-max(dimson_lags, 1), max(dimson_lags, 1) + 1)
        }
        thin = _thin_trading_betas(r_est, offsets, dimson_lags)
        beta_rows.append({"event_id": ev.event_id, "ticker": ev.ticker, "estimation_obs": m,
                          "beta_ols": beta, "alpha_ols": alpha, **thin})
        if beta_method != "ols" and np.isfinite(beta):
            # the selected line, residuals around it over the same M sessions, M - 2 df
            alpha, beta = thin[f"alpha_{beta_method}"], thin[f"beta_{beta_method}"]
            ok = np.isfinite(r_est) & np.isfinite(rm_est)
            ssr = float(((r_est[ok] - alpha - beta * rm_est[ok]) ** 2).sum())
            s = math.sqrt(ssr / (m - 2)) if m > 2 else math.nan
        reason = pair_reason(ev.ticker, est_days, m, beta, s, int(excluded.sum()))
        included = reason is None
        if included:
            residuals[(ev.event_id, ev.ticker)] = pd.Series(
                r_est - (alpha + beta * rm_est), index=est_ks
            )
            residual_sds[(ev.event_id, ev.ticker)] = s
        ks, days = days_at(ev.day0, range(ev_start, ev_end + 1))
        r, rm = series(ev.ticker, days), series(benchmark, days)
        ar_ma = r - rm
        ar_mm = r - (alpha + beta * rm) if included else np.full(len(days), np.nan)
        others = catalog_days[
            (catalog_days["ticker"] == ev.ticker) & (catalog_days["event_id"] != ev.event_id)
        ]
        other_days = set(others["day0"])
        window_confounded = bool(days) and any(days[0] <= d <= days[-1] for d in other_days)
        frame = pd.DataFrame(
            {
                "event_id": ev.event_id,
                "ticker": ev.ticker,
                "relative_day": ks,
                "session_date": days,
                "stock_return": r,
                "benchmark_return": rm,
                "ar_ma": ar_ma,
                "ar_mm": ar_mm,
                "car_mm": np.cumsum(ar_mm),  # NaN from the first missing AR on
                # the AR over its prediction-error-corrected standard error (L = 1)
                "sar_mm": ar_mm / (s * np.sqrt(1 + 1 / m + (rm - rm_mean) ** 2 / sxx))
                if included else np.full(len(days), np.nan),
                "group_name": ev.group_name,
                "car_ma": np.cumsum(ar_ma),
                "is_other_event_day": [d in other_days for d in days],
                "has_confounding_event": window_confounded,
                "exclusion_reason": reason,
            }
        )
        daily_rows.append(frame)
        if included:
            # Corrado: ranks of the pair's ARs over its estimation and event windows, scaled to
            # rank / (T + 1) - 1/2
            combined = pd.concat(
                [residuals[(ev.event_id, ev.ticker)], pd.Series(ar_mm, index=ks)]
            ).dropna()
            ranks[(ev.event_id, ev.ticker)] = pd.Series(
                stats.rankdata(combined.to_numpy()) / (len(combined) + 1) - 0.5,
                index=combined.index,
            )
        for start, end in windows:
            length = end - start + 1
            w = frame[(frame["relative_day"] >= start) & (frame["relative_day"] <= end)]
            complete = len(w) == length and w["ar_mm"].notna().all()
            car = w["ar_mm"].sum() if complete else math.nan
            expected = alpha + beta * w["benchmark_return"]
            bhar = (
                float(np.prod(1 + w["stock_return"]) - np.prod(1 + expected))
                if complete else math.nan
            )
            se = (
                _car_standard_error(s, length, m, w["benchmark_return"].to_numpy(), rm_mean, sxx)
                if complete else math.nan
            )
            scar = car / se if complete else math.nan
            w_days = list(w["session_date"])
            if not included:
                row_reason = reason
            elif complete:
                row_reason = None
            else:
                row_reason = window_reason(ev.ticker, ev.day0, start, end, w)
            car_rows.append(
                {
                    "event_id": ev.event_id,
                    "ticker": ev.ticker,
                    "group_name": ev.group_name,
                    "window_label": _window_label(start, end),
                    "car": car,
                    "bhar": bhar,
                    "car_standard_error": se,
                    "scar": scar,
                    # the single-pair t statistic: CAR / its standard error, which is SCAR itself
                    "t_statistic": scar,
                    "degrees_of_freedom": m - 2 if complete else math.nan,
                    "estimation_obs": m,
                    "p_value": _p_t(scar, m - 2),
                    "is_included": bool(included and complete),
                    "exclusion_reason": row_reason,
                    "has_prices": ev.ticker in prices.adj.columns,
                    "has_confounding_event": bool(w_days)
                    and any(w_days[0] <= d <= w_days[-1] for d in other_days),
                }
            )
    daily = pd.concat(daily_rows, ignore_index=True)
    cars = pd.DataFrame(car_rows)

    correlation_cache: dict[str, pd.DataFrame] = {}

    def residual_correlations(event_id: str) -> pd.DataFrame:
        """Pearson correlations of the event's pairs' residuals, pairwise-complete, >= 3 days."""
        if event_id not in correlation_cache:
            frame = pd.DataFrame(
                {t: e for (ev, t), e in residuals.items() if ev == event_id}, dtype=float
            )
            correlation_cache[event_id] = frame.corr(min_periods=3)
        return correlation_cache[event_id]

    summary_rows = []
    label_bounds = {_window_label(start, end): (start, end) for start, end in windows}
    grouped = pd.concat([cars, cars.assign(group_name=cars["ticker"].map(_all_group))],
                        ignore_index=True)
    for (event_id, group, label), g in grouped.groupby(["event_id", "group_name", "window_label"]):
        inc = g[g["is_included"]]
        n = len(inc)
        caar = inc["car"].mean() if n else math.nan
        sd_car = inc["car"].std(ddof=1) if n >= 2 else math.nan
        sd_scar = inc["scar"].std(ddof=1) if n >= 2 else math.nan
        t_cs = math.sqrt(n) * caar / sd_car if n >= 2 and sd_car > 0 else math.nan
        t_bmp = math.sqrt(n) * inc["scar"].mean() / sd_scar if n >= 2 and sd_scar > 0 else math.nan
        tickers = sorted(inc["ticker"])
        matrix = residual_correlations(event_id).reindex(index=tickers, columns=tickers)
        upper = matrix.to_numpy()[np.triu_indices(len(tickers), k=1)]
        correlations = upper[np.isfinite(upper)]
        r_bar = float(np.mean(correlations)) if len(correlations) else math.nan
        t_kp = (
            t_bmp * math.sqrt((1 - r_bar) / (1 + (n - 1) * r_bar))
            if np.isfinite(r_bar) and 1 + (n - 1) * r_bar > 0 and r_bar < 1
            else math.nan
        )
        n_pos = int((inc["car"] > 0).sum())
        sign_z = (n_pos - 0.5 * n) / (0.5 * math.sqrt(n)) if n else math.nan
        # Patell: each SCAR is t(M - 2), variance (M - 2) / (M - 4)
        m_i = inc["estimation_obs"].to_numpy(dtype=float)
        patell = (
            inc["scar"].sum() / math.sqrt(((m_i - 2) / (m_i - 4)).sum())
            if n and (m_i > 4).all() else math.nan
        )
        kp_factor = (
            math.sqrt((1 - r_bar) / (1 + (n - 1) * r_bar))
            if np.isfinite(r_bar) and 1 + (n - 1) * r_bar > 0 and r_bar < 1 else math.nan
        )
        # Cowan: the expected share of positive returns from each pair's estimation residuals
        shares = [float((residuals[(event_id, t)].dropna() > 0).mean()) for t in inc["ticker"]]
        p_hat = float(np.mean(shares)) if shares else math.nan
        # Corrado rank test over the group's included pairs (Cowan's multi-day form)
        start, end = label_bounds[label]
        if n:
            u = pd.DataFrame({t: ranks[(event_id, t)] for t in inc["ticker"]})
            u_t, n_t = u.mean(axis=1), u.count(axis=1)
            s_u = math.sqrt(float(((n_t / n) * u_t**2).mean()))
            in_window = u_t[(u_t.index >= start) & (u_t.index <= end)]
            corrado = (
                float(in_window.sum()) / (math.sqrt(end - start + 1) * s_u)
                if s_u > 0 and len(in_window) == end - start + 1 else math.nan
            )
        else:
            corrado = math.nan
        grank_points, grank_t = _grank(
            [(residuals[(event_id, row.ticker)] / residual_sds[(event_id, row.ticker)], row.scar)
             for row in inc.itertuples()]
        )
        # Wilcoxon signed-rank of the CARs (scipy), W+ from scipy's average ranks
        nonzero = inc["car"][inc["car"] != 0].to_numpy()
        w_plus = (
            float(stats.rankdata(np.abs(nonzero))[nonzero > 0].sum()) if len(nonzero) else math.nan
        )
        p_wilcoxon = float(stats.wilcoxon(nonzero).pvalue) if len(nonzero) else math.nan
        gen_sign = (
            (n_pos - n * p_hat) / math.sqrt(n * p_hat * (1 - p_hat))
            if n and 0 < p_hat < 1 else math.nan
        )
        summary_rows.append(
            {
                "event_id": event_id,
                "summary_group": group,
                "window_label": label,
                "pairs_in_scope": len(g),
                "pairs_with_prices": int(g["has_prices"].sum()),
                "pairs_included": n,
                "caar": caar,
                "mean_residual_correlation": r_bar,
                "t_cross_sectional": t_cs,
                "is_small_sample": n < VARS["event_study_min_pairs"],
                "degrees_of_freedom": n - 1 if np.isfinite(t_cs) else math.nan,
                "p_cross_sectional": _p_t(t_cs, n - 1),
                "t_bmp": t_bmp,
                "p_bmp": _p_t(t_bmp, n - 1),
                "t_kolari_pynnonen": t_kp,
                "p_kolari_pynnonen": _p_t(t_kp, n - 1),
                "sign_test_z": sign_z,
                "p_sign_test": _p_sign(n_pos, n),
                "patell_z": patell,
                "p_patell": _p_normal(patell),
                "adjusted_patell_z": patell * kp_factor,
                "p_adjusted_patell": _p_normal(patell * kp_factor),
                "expected_positive_share": p_hat,
                "generalized_sign_z": gen_sign,
                "p_generalized_sign": _p_normal(gen_sign),
                "wilcoxon_pairs": len(nonzero),
                "wilcoxon_w_plus": w_plus,
                "p_wilcoxon": p_wilcoxon,
                "corrado_rank_z": corrado,
                "p_corrado_rank": _p_normal(corrado),
                "grank_time_points": grank_points,
                "grank_t": grank_t,
                "p_grank": _p_t(grank_t, grank_points - 2),
            }
        )
    return EventStudy(daily, cars, pd.DataFrame(summary_rows), residuals, pd.DataFrame(beta_rows))


def reference_study_of(built: Warehouse, **options) -> EventStudy:
    """The event study of `built`: the US listings' pairs on XNYS against the US benchmark, and
    the Hong Kong lines' pairs on XHKG against the Hong Kong benchmark, each by
    reference_event_study (`options` go to both), side by side."""
    events = reference_events_of(built)
    us = reference_event_study(reference_prices(built.bars), events[events["exchange"] == XNYS],
                               VARS["benchmark_ticker"], **options)
    home_events = events[events["exchange"] == XHKG]
    if home_events.empty or built.home_bars.empty:
        return us
    home = reference_event_study(reference_prices(built.home_bars, XHKG), home_events,
                                 VARS["hk_benchmark_ticker"], exchange=XHKG, **options)
    return EventStudy(
        pd.concat([us.daily, home.daily], ignore_index=True),
        pd.concat([us.cars, home.cars], ignore_index=True),
        pd.concat([us.summary, home.summary], ignore_index=True),
        {**us.residuals, **home.residuals},
        pd.concat([us.betas, home.betas], ignore_index=True),
    )


def reference_daily_summary(daily: pd.DataFrame) -> pd.DataFrame:
    """fct_event_study_daily by its YAML: per event, group and relative day, AAR / CAAR and the
    cross-sectional and BMP t with p-values from scipy's t(N - 1)."""
    rows = []
    grouped = pd.concat([daily, daily.assign(group_name=daily["ticker"].map(_all_group))],
                        ignore_index=True)
    for (event_id, group, day), g in grouped.groupby(["event_id", "group_name", "relative_day"]):
        ar, sar, car = g["ar_mm"].dropna(), g["sar_mm"].dropna(), g["car_mm"].dropna()
        n, k = len(ar), len(car)

        def t(x: pd.Series) -> float:
            sd = x.std(ddof=1) if len(x) >= 2 else math.nan
            return math.sqrt(len(x)) * x.mean() / sd if len(x) >= 2 and sd > 0 else math.nan

        t_cs, t_bmp, t_caar = t(ar), t(sar), t(car)
        rows.append({
            "event_id": event_id, "summary_group": group, "relative_day": day,
            "pairs_in_scope": len(g), "pairs_included": n,
            "pairs_positive": int((ar > 0).sum()),
            "is_small_sample": n < VARS["event_study_min_pairs"],
            "aar": ar.mean() if n else math.nan,
            "t_cross_sectional": t_cs, "p_cross_sectional": _p_t(t_cs, n - 1),
            "mean_sar": sar.mean() if n else math.nan,
            "t_bmp": t_bmp, "p_bmp": _p_t(t_bmp, n - 1),
            "pairs_with_car": k, "caar": car.mean() if k else math.nan,
            "t_caar_cross_sectional": t_caar, "p_caar_cross_sectional": _p_t(t_caar, k - 1),
        })
    return pd.DataFrame(rows)


def reference_baskets(prices: Prices) -> pd.DataFrame:
    """The basket indices by the conventions of fct_sector_relative_performance's YAML.

    Constituents have a close on or before the base within the sessions the model reads; one
    without a bar on a session is held at its last close (flat), and its move since that close
    counts when it trades again; both indices and the daily return are published only where the
    share of members with a bar reaches basket_min_coverage.
    """
    universe = _read_seed("universe")
    base = max(d for d in prices.sessions if d <= date.fromisoformat(VARS["basket_base_date"]))
    base_pos = prices.sessions.index(base)
    first_read = max(base_pos - (max(VARS["rolling_windows"]) - 1), 0)
    # the last close at or before each session, and before it, over the whole stored history
    last_close = prices.adj.ffill()
    previous_close = last_close.shift(1)

    def members(basket: str) -> list[str]:
        return sorted(
            t for t, g in zip(universe["ticker"], universe["group_name"], strict=True)
            if g == basket or t == basket.upper()
        )

    def basket(name: str) -> pd.DataFrame:
        tickers = members(name)
        adj = prices.adj.reindex(columns=tickers)
        base_close = adj.iloc[first_read: base_pos + 1].ffill().iloc[-1]
        constituents = [t for t in tickers if np.isfinite(base_close[t]) and base_close[t] > 0]
        adj = adj[constituents]
        has_bar = adj.notna()
        previous = previous_close.reindex(columns=constituents)
        held = previous.notna()
        move = (adj / previous - 1).where(has_bar, 0.0).where(held)
        daily = move.mean(axis=1)  # over the held constituents; NaN when none is held
        covered = has_bar.sum(axis=1) / len(tickers) >= VARS["basket_min_coverage"]
        rebased = last_close.reindex(columns=constituents) / base_close[constituents]
        buy_hold = 100 * rebased.mean(axis=1)
        steps = daily.copy()
        steps.iloc[: base_pos + 1] = 0.0
        rebalanced = pd.Series(100 * np.cumprod(1 + steps.to_numpy()), index=prices.sessions)
        return pd.DataFrame(
            {"daily": daily.where(covered), "buy_hold": buy_hold.where(covered),
             "rebalanced": rebalanced.where(covered), "priced": has_bar.sum(axis=1),
             "in_index": len(constituents), "coverage": has_bar.sum(axis=1) / len(tickers)},
            index=prices.sessions,
        )

    rows = []
    for a_name, b_name in VARS["basket_pairs"]:
        a, b = basket(a_name), basket(b_name)
        frame = pd.DataFrame(
            {
                "session_date": prices.sessions,
                "basket_pair": f"{a_name}_vs_{b_name}",
                "daily_return_a": a["daily"].to_numpy(),
                "daily_return_b": b["daily"].to_numpy(),
                "index_buy_hold_a": a["buy_hold"].to_numpy(),
                "index_buy_hold_b": b["buy_hold"].to_numpy(),
                "index_daily_rebalanced_a": a["rebalanced"].to_numpy(),
                "index_daily_rebalanced_b": b["rebalanced"].to_numpy(),
                "members_priced_a": a["priced"].to_numpy(),
                "members_priced_b": b["priced"].to_numpy(),
                "members_in_index_a": a["in_index"].to_numpy(),
                "coverage_a": a["coverage"].to_numpy(),
            }
        )
        frame["spread_buy_hold"] = (frame["index_buy_hold_a"] - frame["index_buy_hold_b"]) / 100
        frame["relative_strength_daily_rebalanced"] = (
            frame["index_daily_rebalanced_a"] / frame["index_daily_rebalanced_b"]
        )
        for n in VARS["rolling_windows"]:
            roll_a = frame["daily_return_a"].rolling(n, min_periods=n)
            frame[f"rolling_beta_{n}"] = (
                roll_a.cov(frame["daily_return_b"])
                / frame["daily_return_b"].rolling(n, min_periods=n).var()
            )
            frame[f"rolling_correlation_{n}"] = roll_a.corr(frame["daily_return_b"])
        rows.append(frame.iloc[base_pos:])
    return pd.concat(rows, ignore_index=True)


def reference_performance(prices: Prices) -> pd.DataFrame:
    n_vol = VARS["volatility_window"]
    rows = []
    for ticker in prices.adj.columns:
        adj = prices.adj[ticker]
        span = adj.notna()
        first, last = span.idxmax(), span[::-1].idxmax()
        adj = adj.loc[first:last]
        rets = prices.returns[ticker].loc[first:last]
        priced = adj.dropna()
        vol = rets.rolling(n_vol, min_periods=n_vol).std() * math.sqrt(
            VARS["trading_days_per_year"])
        frame = pd.DataFrame({"adj": adj, "ret": rets, "vol": vol,
                              "lag5": adj.shift(5), "high": adj.cummax()})
        frame = frame[frame["adj"].notna()]
        years = np.array([d.year for d in frame.index])
        frame["ytd_low"] = frame.groupby(years)["adj"].cummin()

        def last_on_or_before(day: date, _priced=priced) -> float:
            earlier = _priced[_priced.index <= day]
            return earlier.iloc[-1] if len(earlier) else math.nan

        frame["prior_year_end"] = [last_on_or_before(date(d.year - 1, 12, 31)) for d in frame.index]
        for months in (1, 3, 12):
            frame[f"close_{months}m_ago"] = [
                last_on_or_before((pd.Timestamp(d) - pd.DateOffset(months=months)).date())
                for d in frame.index
            ]
        # intraday variant: high and low scaled to the adjusted basis by the day's adj / close
        factor = frame["adj"] / prices.close[ticker].reindex(frame.index)
        adj_low = prices.low[ticker].reindex(frame.index) * factor
        adj_high = prices.high[ticker].reindex(frame.index) * factor
        frame["ytd_low_intraday"] = adj_low.groupby(years).cummin()
        frame["adj_high"] = adj_high
        rows.append(
            pd.DataFrame(
                {
                    "ticker": ticker,
                    "session_date": frame.index,
                    "return_1d": frame["ret"],
                    "return_1w": frame["adj"] / frame["lag5"] - 1,
                    "return_1m": frame["adj"] / frame["close_1m_ago"] - 1,
                    "return_3m": frame["adj"] / frame["close_3m_ago"] - 1,
                    "return_1y": frame["adj"] / frame["close_12m_ago"] - 1,
                    "return_ytd": frame["adj"] / frame["prior_year_end"] - 1,
                    "drawdown": frame["adj"] / frame["high"] - 1,
                    "gain_from_ytd_low": frame["adj"] / frame["ytd_low"] - 1,
                    "gain_from_ytd_low_intraday": frame["adj_high"] / frame["ytd_low_intraday"] - 1,
                    "volatility_annualized": frame["vol"],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


# --- comparison helpers --------------------------------------------------------------------------


def assert_frames_match(mart: pd.DataFrame, reference: pd.DataFrame, keys: list[str],
                        columns: list[str], what: str) -> None:
    """Same keys on both sides, and every value equal to TOLERANCE (relative above 1)."""
    mart = mart.copy()
    reference = reference.copy()
    for frame in (mart, reference):
        if "session_date" in keys:
            frame["session_date"] = pd.to_datetime(frame["session_date"]).dt.date
    merged = mart[keys + columns].merge(
        reference[keys + columns], on=keys, how="outer", suffixes=("_mart", "_ref"),
        indicator=True,
    )
    unmatched = merged[merged["_merge"] != "both"]
    assert unmatched.empty, (
        f"{what}: keys on one side only:\n{unmatched[keys + ['_merge']].head(20)}"
    )
    for column in columns:
        got = merged[f"{column}_mart"].astype(float).to_numpy()
        want = merged[f"{column}_ref"].astype(float).to_numpy()
        both_nan = np.isnan(got) & np.isnan(want)
        close = np.abs(got - want) <= TOLERANCE * np.maximum(1.0, np.abs(want))
        bad = ~(both_nan | close)
        assert not bad.any(), (
            f"{what}.{column}: {int(bad.sum())} of {len(bad)} differ, e.g.\n"
            f"{merged.loc[bad, keys + [f'{column}_mart', f'{column}_ref']].head(10)}"
        )


def assert_same_text(merged: pd.DataFrame, column: str, what: str) -> None:
    """`column` equal on both sides of a merge (suffixes _x: mart, _y: reference), nulls too."""
    got, want = merged[f"{column}_x"], merged[f"{column}_y"]
    bad = ~((got.isna() & want.isna()) | (got == want))
    assert not bad.any(), (
        f"{what}.{column}: {int(bad.sum())} of {len(bad)} differ, e.g.\n"
        + "\n".join(f"  mart {g!r}\n  reference {w!r}" for g, w in
                    list(zip(got[bad], want[bad], strict=True))[:5])
    )


# --- fixtures of the reference -----------------------------------------------------------------


@pytest.fixture(scope="session")
def prices(warehouse: Warehouse) -> Prices:
    return reference_prices(warehouse.bars)


@pytest.fixture(scope="session")
def study(warehouse: Warehouse) -> EventStudy:
    return reference_study_of(warehouse)


# --- the marts match the reference -------------------------------------------------------------


def test_events_and_day_zero_match_the_calendar_module(warehouse: Warehouse) -> None:
    reference = reference_events_of(warehouse)
    mart = warehouse.events.assign(day0=pd.to_datetime(warehouse.events["day_zero_date"]).dt.date)
    merged = mart.merge(reference, on=["event_id", "ticker"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert (merged["day0_x"] == merged["day0_y"]).all()
    assert (merged["group_name_x"] == merged["group_name_y"]).all()
    assert (merged["exchange_x"] == merged["exchange_y"]).all()


def test_event_window_returns_match_reference(warehouse: Warehouse, study: EventStudy) -> None:
    mart = warehouse.window_returns.rename(
        columns={
            "abnormal_return_market_adjusted": "ar_ma",
            "abnormal_return_market_model": "ar_mm",
            "car_market_model": "car_mm",
            "car_market_adjusted": "car_ma",
        }
    )
    assert_frames_match(
        mart, study.daily, ["event_id", "ticker", "relative_day"],
        ["stock_return", "benchmark_return", "ar_ma", "ar_mm", "car_mm", "car_ma"],
        "fct_event_window_returns",
    )
    flags = mart.merge(study.daily, on=["event_id", "ticker", "relative_day"])
    assert (flags["is_other_event_day_x"] == flags["is_other_event_day_y"]).all()
    assert (flags["has_confounding_event_x"] == flags["has_confounding_event_y"]).all()
    assert_same_text(flags, "exclusion_reason", "fct_event_window_returns")


def test_event_car_matches_reference(warehouse: Warehouse, study: EventStudy) -> None:
    assert_frames_match(
        warehouse.event_car, study.cars, ["event_id", "ticker", "window_label"],
        ["car", "bhar", "car_standard_error", "scar", "t_statistic", "degrees_of_freedom",
         "p_value"],
        "fct_event_car",
    )
    flags = warehouse.event_car.merge(study.cars, on=["event_id", "ticker", "window_label"])
    assert (flags["is_included_x"] == flags["is_included_y"]).all()
    assert (flags["has_confounding_event_x"] == flags["has_confounding_event_y"]).all()
    assert flags["is_included_x"].any(), "no included pair: nothing was compared"
    assert_same_text(flags, "exclusion_reason", "fct_event_car")
    assert (flags["exclusion_reason_x"].isna() == flags["is_included_x"]).all()


def test_event_study_summary_matches_reference(warehouse: Warehouse, study: EventStudy) -> None:
    columns = ["pairs_in_scope", "pairs_with_prices", "pairs_included", "caar",
               "mean_residual_correlation", "degrees_of_freedom", "t_cross_sectional",
               "p_cross_sectional", "t_bmp", "p_bmp", "t_kolari_pynnonen", "p_kolari_pynnonen",
               "sign_test_z", "p_sign_test", "patell_z", "p_patell", "adjusted_patell_z",
               "p_adjusted_patell", "expected_positive_share", "generalized_sign_z",
               "p_generalized_sign", "wilcoxon_pairs", "wilcoxon_w_plus", "p_wilcoxon",
               "corrado_rank_z", "p_corrado_rank", "grank_time_points", "grank_t", "p_grank"]
    assert_frames_match(
        warehouse.summary, study.summary, ["event_id", "summary_group", "window_label"], columns,
        "fct_event_study_summary",
    )
    flags = warehouse.summary.merge(study.summary, on=["event_id", "summary_group", "window_label"])
    assert (flags["is_small_sample_x"] == flags["is_small_sample_y"]).all()
    assert warehouse.summary["t_kolari_pynnonen"].notna().any()
    assert warehouse.summary["grank_t"].notna().any()


BETA_COLUMNS = ["estimation_obs", "beta_ols", "alpha_ols", "scholes_williams_obs",
                "benchmark_autocorrelation", "beta_scholes_williams", "alpha_scholes_williams",
                "dimson_obs", "beta_dimson", "alpha_dimson"]


def test_estimation_betas_match_numpy(warehouse: Warehouse, study: EventStudy) -> None:
    """int_estimation_betas (OLS, Scholes-Williams, Dimson side by side) against numpy: every
    pair with estimation rows, to 1e-9."""
    reference = study.betas[
        study.betas.set_index(["event_id", "ticker"]).index.isin(
            warehouse.betas.set_index(["event_id", "ticker"]).index)
    ]
    assert_frames_match(warehouse.betas, reference, ["event_id", "ticker"], BETA_COLUMNS,
                        "int_estimation_betas")
    assert warehouse.betas["beta_dimson"].notna().sum() >= 10
    assert (warehouse.betas["beta_method"] == VARS["market_model_beta"]).all()


def test_event_study_daily_matches_reference(warehouse: Warehouse, study: EventStudy) -> None:
    reference = reference_daily_summary(study.daily)
    columns = [c for c in reference.columns
               if c not in ("event_id", "summary_group", "relative_day", "is_small_sample")]
    keys = ["event_id", "summary_group", "relative_day"]
    assert_frames_match(warehouse.daily, reference, keys, columns, "fct_event_study_daily")
    flags = warehouse.daily.merge(reference, on=keys)
    assert (flags["is_small_sample_x"] == flags["is_small_sample_y"]).all()


def test_sector_relative_performance_matches_reference(warehouse: Warehouse,
                                                       prices: Prices) -> None:
    reference = reference_baskets(prices)
    columns = [c for c in reference.columns if c not in ("session_date", "basket_pair")]
    assert_frames_match(
        warehouse.sector, reference, ["session_date", "basket_pair"], columns,
        "fct_sector_relative_performance",
    )
    base = warehouse.sector[pd.to_datetime(warehouse.sector["session_date"]).dt.date
                            == pd.to_datetime(warehouse.sector["base_date"]).dt.date]
    assert not base.empty and np.allclose(base["index_buy_hold_a"], 100.0)


def test_ticker_performance_matches_reference(warehouse: Warehouse, prices: Prices) -> None:
    reference = reference_performance(prices)
    columns = [c for c in reference.columns if c not in ("ticker", "session_date")]
    assert_frames_match(
        warehouse.performance, reference, ["ticker", "session_date"], columns,
        "fct_ticker_performance",
    )


# --- the sample's truth ------------------------------------------------------------------------


def _injected_shocks() -> pd.DataFrame:
    path = SAMPLE_ARCHIVE / "injected_shocks.csv"
    if not path.exists():
        pytest.skip(f"{path} does not exist")
    shocks = pd.read_csv(path)
    shocks["session_date"] = pd.to_datetime(shocks["session_date"]).dt.date
    return shocks


def test_injected_shocks_land_on_day_zero(warehouse: Warehouse) -> None:
    shocks = _injected_shocks()
    events = warehouse.events.assign(
        session_date=pd.to_datetime(warehouse.events["day_zero_date"]).dt.date
    )
    merged = shocks.merge(events, on=["event_id", "ticker"], how="left")
    assert merged["day_zero_date"].notna().all(), "an injected pair is missing from int_events"
    assert (merged["session_date_x"] == merged["session_date_y"]).all()


def test_injected_abnormal_returns_are_recovered(warehouse: Warehouse, prices: Prices) -> None:
    """Day-0 market-model AR = injected AR + the error of the fitted line at that day's r_m.

    The simulator replaces the non-market part of the day's return with the shock, so the only gap
    left is the estimation error of alpha and beta: its standard error is
    s * sqrt(1/M + (r_m - mean r_m)^2 / Sxx). Allow 4 of those.
    """
    shocks = _injected_shocks()
    day0 = warehouse.window_returns[warehouse.window_returns["relative_day"] == 0]
    merged = shocks.merge(day0, on=["event_id", "ticker"], how="inner")
    merged = merged[merged["is_estimation_valid"]]
    assert len(merged) >= 0.8 * len(shocks), "most injected pairs should be estimable"
    benchmark = VARS["benchmark_ticker"]
    all_sessions = sessions_between(date(2000, 1, 3), date(2027, 12, 31))
    index = {d: i for i, d in enumerate(all_sessions)}
    errors = []
    for row in merged.itertuples():
        i0 = index[row.session_date_x]
        est_days = all_sessions[i0 + VARS["estimation_window_start"]:
                                i0 + VARS["estimation_window_end"] + 1]
        rm = prices.returns[benchmark].reindex(est_days).to_numpy()
        r = prices.returns[row.ticker].reindex(est_days).to_numpy()
        ok = np.isfinite(rm) & np.isfinite(r)
        x = rm[ok]
        se = row.residual_sd * math.sqrt(
            1 / ok.sum() + (row.benchmark_return - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum()
        )
        errors.append((row.abnormal_return_market_model - row.abnormal_return) / se)
    errors = np.array(errors)
    assert np.all(np.abs(errors) < 4), errors
    # and the shocks are visible: recovered and injected ARs agree in sign when large
    large = merged[np.abs(merged["abnormal_return"]) >= 0.02]
    recovered_sign = np.sign(large["abnormal_return_market_model"])
    assert (recovered_sign == np.sign(large["abnormal_return"])).all()


@pytest.fixture(scope="session")
def placebo_study(prices: Prices) -> EventStudy:
    """Placebo day 0s where nothing was injected: every 5th session of the second half of 2024
    (no catalogued event; each has >= 100 estimation sessions in the sample), every universe
    ticker but the benchmark, grouped by universe group as the real events are."""
    shocked_days = set(_injected_shocks()["session_date"])
    benchmark = VARS["benchmark_ticker"]
    universe = _read_seed("universe")
    group_of = dict(zip(universe["ticker"], universe["group_name"], strict=True))
    candidates = [d for d in prices.sessions if date(2024, 7, 1) <= d <= date(2024, 12, 20)]
    placebo_days = [d for d in candidates[::5] if d not in shocked_days]
    tickers = [t for t in prices.returns.columns if t != benchmark]
    events = pd.DataFrame(
        [(f"placebo_{d:%Y%m%d}", t, group_of[t], "placebo", d) for d in placebo_days
         for t in tickers],
        columns=["event_id", "ticker", "group_name", "origin", "day0"],
    )
    return reference_event_study(prices, events, benchmark)


def test_single_pair_test_rejects_at_about_nominal_rate_on_placebo_dates(
    placebo_study: EventStudy,
) -> None:
    """|t| > 1.96 for one pair on [0,0] should happen about 5% of the time. The statistic comes
    from the reference implementation, which the tests above hold equal to the marts."""
    day0 = placebo_study.cars[
        (placebo_study.cars["window_label"] == "[0,0]") & placebo_study.cars["is_included"]
    ]
    assert len(day0) >= 300
    rate = float((day0["p_value"] < 0.05).mean())
    # binomial sd at 5% with ~500 draws is ~1%; cross-correlation within a bloc widens it.
    assert 0.015 <= rate <= 0.10, rate


def test_kolari_pynnonen_restores_the_nominal_rate_that_bmp_misses(
    placebo_study: EventStudy,
) -> None:
    """Pairs of one event share their dates and a bloc factor, so plain BMP over-rejects on
    placebo dates; the Kolari-Pynnonen adjustment must bring the rate back near 5%."""
    groups = placebo_study.summary[
        placebo_study.summary["summary_group"].isin(["china_adr", "us_megacap"])
        & (placebo_study.summary["pairs_included"] >= 5)
    ]
    assert len(groups) >= 100
    assert (groups["mean_residual_correlation"] > 0).mean() > 0.9
    bmp_rate = float((groups["p_bmp"] < 0.05).mean())
    kp_rate = float((groups["p_kolari_pynnonen"] < 0.05).mean())
    assert kp_rate <= 0.15, kp_rate
    assert bmp_rate > kp_rate + 0.05, (bmp_rate, kp_rate)


def test_switching_the_estimation_exclusion_off_fits_on_every_session(
    warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """ADRPULSE_ESTIMATION_EXCLUDE_EVENTS=off (the var it sets): the marts match the reference
    fitted on every estimation session, and differ from the default build, which leaves the
    sessions near other catalogued events out."""
    path = build_sample_warehouse(
        tmp_path_factory.mktemp("estimation_exclusion_off"),
        dbt_args=["--vars", "{estimation_exclude_other_events: false}"],
    )
    built = read_warehouse(path)
    built_study = reference_study_of(built, exclude_other_events=False)
    test_event_car_matches_reference(built, built_study)
    test_event_study_summary_matches_reference(built, built_study)
    keys = ["event_id", "ticker", "window_label"]
    both = built.event_car.merge(warehouse.event_car, on=keys).dropna(subset=["scar_x", "scar_y"])
    assert (both["scar_x"] - both["scar_y"]).abs().max() > 1e-6


def test_a_dimson_market_model_with_two_lags_matches_the_reference(
    warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """ADRPULSE_MARKET_MODEL_BETA=dimson, ADRPULSE_DIMSON_LAGS=2 (the vars they set): the betas,
    the CARs and every test statistic match the reference fitted with the Dimson line, and the
    abnormal returns differ from the OLS build's."""
    path = build_sample_warehouse(
        tmp_path_factory.mktemp("dimson_two_lags"),
        dbt_args=["--vars", "{market_model_beta: dimson, dimson_lags: 2}"],
    )
    built = read_warehouse(path)
    built_study = reference_study_of(built, beta_method="dimson", dimson_lags=2)
    reference = built_study.betas[
        built_study.betas.set_index(["event_id", "ticker"]).index.isin(
            built.betas.set_index(["event_id", "ticker"]).index)
    ]
    assert_frames_match(built.betas, reference, ["event_id", "ticker"], BETA_COLUMNS,
                        "int_estimation_betas")
    assert (built.betas["beta_method"] == "dimson").all()
    assert (built.betas["dimson_lags"] == 2).all()
    test_event_window_returns_match_reference(built, built_study)
    test_event_car_matches_reference(built, built_study)
    test_event_study_summary_matches_reference(built, built_study)
    keys = ["event_id", "ticker", "window_label"]
    both = built.event_car.merge(warehouse.event_car, on=keys).dropna(subset=["car_x", "car_y"])
    assert (both["car_x"] - both["car_y"]).abs().max() > 1e-6


def test_reference_car_standard_error_is_the_textbook_closed_form() -> None:
    """The reference's matrix form against MacKinlay's closed form s^2 [L + L^2/M + (sum of
    (r_m - mean))^2 / Sxx], on made-up numbers, and the naive s^2 L it corrects."""
    rng = np.random.default_rng(1997)
    est = rng.normal(0.0005, 0.01, 30)
    window = rng.normal(0.0, 0.02, 11)
    mean, sxx = float(est.mean()), float(((est - est.mean()) ** 2).sum())
    s, m, length = 0.015, len(est), len(window)
    closed = s * math.sqrt(length + length**2 / m + float((window - mean).sum()) ** 2 / sxx)
    got = _car_standard_error(s, length, m, window, mean, sxx)
    assert abs(got - closed) <= 1e-12 * closed
    assert got / (s * math.sqrt(length)) >= math.sqrt(1 + length / m)  # 17% at M = 30, L = 11


def test_reference_grank_is_the_hand_computed_example() -> None:
    """The reference GRANK on the example the dbt unit test of int_event_grank computes by hand:
    two pairs, SCAR 1 and 3, three estimation SARs each; t = sqrt(4/7) on T = 4 points."""
    a = pd.Series([-1.0, 0.75, 2.0], index=[-13, -12, -11])
    b = pd.Series([0.0, 1.0, -2.0], index=[-13, -12, -11])
    points, t = _grank([(a, 1.0), (b, 3.0)])
    assert points == 4
    assert t == pytest.approx(math.sqrt(4 / 7), rel=1e-12)
    assert _p_t(t, points - 2) == pytest.approx(1 - math.sqrt(2) / 3, rel=1e-12)
    # a missing SAR drops that point for the pair only; a single pair cannot be tested
    points, _ = _grank([(a, 1.0), (pd.Series([0.0, np.nan, -2.0], index=[-13, -12, -11]), 3.0)])
    assert points == 4
    assert math.isnan(_grank([(a, 1.0)])[1])


def test_reference_p_values_are_scipy() -> None:
    assert _p_t(12.706204736174707, 1) == pytest.approx(0.05, rel=1e-12)
    assert _p_sign(3, 3) == 0.25


@pytest.mark.e2e
def test_pipeline_warehouse_marts_match_reference(sample_warehouse: Path) -> None:
    """The same comparisons on the warehouse the whole pipeline builds (`adrpulse demo`), where
    news items are loaded too, so news-derived events go through the reference as well."""
    built = read_warehouse(sample_warehouse, read_only=True)
    assert_marts_match_reference(built)
    test_injected_shocks_land_on_day_zero(built)


def assert_marts_match_reference(built: Warehouse) -> None:
    """Every mart of `built` against the reference recomputed from its own raw tables."""
    built_prices = reference_prices(built.bars)
    built_study = reference_study_of(built)
    test_events_and_day_zero_match_the_calendar_module(built)
    test_event_window_returns_match_reference(built, built_study)
    test_event_car_matches_reference(built, built_study)
    test_event_study_summary_matches_reference(built, built_study)
    test_event_study_daily_matches_reference(built, built_study)
    test_sector_relative_performance_matches_reference(built, built_prices)
    test_ticker_performance_matches_reference(built, built_prices)


# --- missing prices: the sample with bars deleted --------------------------------------------
# The sample has a bar for every ticker and session, so the gaps are made here: one bar of a
# member of the first basket (the one whose move over it and the next session is largest), the
# day-0 bar of a single-ticker catalogued event, and every bar of one universe ticker that
# catalogued events name.

GAP_BASKET = VARS["basket_pairs"][0][0]
DAY_ZERO_EVENT = "byd_gods_eye"
UNPRICED_TICKER = "TSLA"


@dataclass
class Gaps:
    member: str  # the basket member whose bar is deleted
    session: date  # the session of that bar
    day_zero_ticker: str
    day_zero: date
    built: Warehouse


def _basket_members(basket: str) -> list[str]:
    universe = _read_seed("universe")
    return sorted(universe.loc[universe["group_name"] == basket, "ticker"])


@pytest.fixture(scope="session")
def gaps(warehouse: Warehouse, prices: Prices, tmp_path_factory: pytest.TempPathFactory) -> Gaps:
    base = max(d for d in prices.sessions if d <= date.fromisoformat(VARS["basket_base_date"]))
    after = [d for d in prices.sessions if d > base][:-1]  # the next session must exist
    members = _basket_members(GAP_BASKET)
    returns = prices.returns.loc[:, members]
    two_day = ((1 + returns) * (1 + returns.shift(-1)) - 1).loc[after]
    session, member = two_day.abs().stack().idxmax()
    events = reference_events_of(warehouse)
    [(day_zero_ticker, day_zero)] = {
        (e.ticker, e.day0) for e in events.itertuples()
        if e.event_id == DAY_ZERO_EVENT and e.exchange == XNYS
    }
    assert UNPRICED_TICKER in set(events["ticker"]), "pick a ticker that events name"
    assert UNPRICED_TICKER not in members and day_zero_ticker not in members

    def delete_bars(con: duckdb.DuckDBPyConnection) -> None:
        deleted = con.execute(
            "delete from raw.daily_bars where (ticker = ? and session_date = ?) "
            "or (ticker = ? and session_date = ?) or ticker = ?",
            [member, session, day_zero_ticker, day_zero, UNPRICED_TICKER],
        ).fetchall()[0][0]
        assert deleted == 2 + int(prices.adj[UNPRICED_TICKER].notna().sum())

    workdir = tmp_path_factory.mktemp("sample_with_gaps")
    built = read_warehouse(build_sample_warehouse(workdir, edit_raw=delete_bars))
    return Gaps(member, session, day_zero_ticker, day_zero, built)


def test_marts_with_missing_prices_match_reference(gaps: Gaps) -> None:
    assert_marts_match_reference(gaps.built)


def test_a_deleted_bar_defers_the_members_move_instead_of_dropping_it(
    warehouse: Warehouse, prices: Prices, gaps: Gaps
) -> None:
    """The basket's daily-rebalanced index rejoins the full-data index after the gap, within
    that one session's rebalancing; the buy-and-hold index is exact again from the next session.

    With the member held at its last close on the gap session (return a = r1 / n less for the
    basket) and its two-session move counted on the next one, the level after it differs from
    the full data's by the factor (1 + F1 - a)(1 + F2 + a (1 + r2)) / ((1 + F1)(1 + F2)), F the
    full basket returns, r1, r2 the member's: second order in the returns. Dropping the member's
    move (the old convention) shifted the index by about (r1 + r2) / n for good.
    """
    def china(frame: pd.DataFrame) -> pd.DataFrame:
        pair = f"{GAP_BASKET}_vs_{VARS['basket_pairs'][0][1]}"
        rows = frame[frame["basket_pair"] == pair].copy()
        rows["session_date"] = pd.to_datetime(rows["session_date"]).dt.date
        return rows.set_index("session_date").sort_index()

    full, gapped = china(warehouse.sector), china(gaps.built.sector)
    after = full.index[full.index > gaps.session]
    following = after[0]
    n = int(full.loc[gaps.session, "members_in_index_a"])
    r1 = float(prices.returns.loc[gaps.session, gaps.member])
    r2 = float(prices.returns.loc[following, gaps.member])
    f1 = float(full.loc[gaps.session, "daily_return_a"])
    f2 = float(full.loc[following, "daily_return_a"])

    # on the gap session: one member short, still covered, the member held at its last close
    assert gapped.loc[gaps.session, "members_priced_a"] == n - 1
    assert gapped.loc[gaps.session, "coverage_a"] >= VARS["basket_min_coverage"]
    assert gapped.loc[gaps.session, "daily_return_a"] == pytest.approx(f1 - r1 / n, abs=1e-12)
    base = _as_date(full["base_date"].iloc[0])
    member = prices.adj[gaps.member]
    previous = prices.sessions[prices.sessions.index(gaps.session) - 1]
    unseen_move = 100 * (member[gaps.session] - member[previous]) / member[base] / n
    assert gapped.loc[gaps.session, "index_buy_hold_a"] == pytest.approx(
        full.loc[gaps.session, "index_buy_hold_a"] - unseen_move, rel=1e-12
    )

    rebalanced = "index_daily_rebalanced_a"
    ratio = gapped.loc[after, rebalanced] / full.loc[after, rebalanced]
    a = r1 / n
    expected = (1 + f1 - a) * (1 + f2 + a * (1 + r2)) / ((1 + f1) * (1 + f2))
    assert np.allclose(ratio.to_numpy(), expected, rtol=0, atol=1e-12), ratio.describe()
    old_shift = abs((1 + r1) * (1 + r2) - 1) / n
    assert abs(expected - 1) < old_shift / 5, (expected - 1, old_shift)
    assert np.allclose(
        gapped.loc[after, "index_buy_hold_a"], full.loc[after, "index_buy_hold_a"],
        rtol=1e-12, atol=0,
    )
    # the other sessions before the gap are untouched
    before = full.index[full.index < gaps.session]
    assert np.allclose(gapped.loc[before, "index_daily_rebalanced_a"],
                       full.loc[before, "index_daily_rebalanced_a"], rtol=1e-12, atol=0)


def test_exclusion_reasons_say_what_is_missing(gaps: Gaps) -> None:
    cars = gaps.built.event_car.set_index(["event_id", "ticker", "window_label"])
    reasons = cars["exclusion_reason"]
    # a ticker without any stored price
    unpriced = reasons.xs(UNPRICED_TICKER, level="ticker")
    assert len(unpriced) and (unpriced == "no prices for this ticker").all()
    # the day-0 bar of the event's only ticker
    day_zero = cars.xs((DAY_ZERO_EVENT, gaps.day_zero_ticker), level=["event_id", "ticker"])
    assert (day_zero["exclusion_reason"] == "day 0 falls on a missing bar").all()
    # a window of another event that holds that session lists it
    listed = reasons[reasons.str.contains(f"no bar on {gaps.day_zero}", na=False, regex=False)]
    assert len(listed) and listed.str.match(r"^\d+ of \d+ abnormal returns: no bar on ").all()
    # the events before the sample's first bar
    earliest = reasons[reasons.str.startswith("no prices for this ticker in the estimation window",
                                              na=False)]
    # the US listings' (the Hong Kong lines' bars have spans of their own)
    earliest = earliest[[exchange_of(t) == XNYS for t in earliest.index.get_level_values("ticker")]]
    first = min(pd.to_datetime(gaps.built.bars["session_date"])).date()
    assert len(earliest) and earliest.str.contains(f"its bars run from {first}").all()
    # the summaries tell tickers in scope from tickers with prices
    summary = gaps.built.summary
    named = summary[summary["event_id"].isin(unpriced.index.get_level_values("event_id"))
                    & (summary["summary_group"] == "all")]
    assert len(named) and (named["pairs_with_prices"] == named["pairs_in_scope"] - 1).all()
    assert (named["pairs_included"] <= named["pairs_with_prices"]).all()
