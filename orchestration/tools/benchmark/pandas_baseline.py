"""The baseline: the marts (see core_spec) in straightforward pandas.

What a user would write without the warehouse: read the archived Parquet files, compute with
groupby, a wide pivot for the rolling beta, merges for the event windows, merge_asof for the period
returns' anchors and grouped cummax / cummin / rolling for the other ticker figures, and write the
results as Parquet files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.tools.benchmark.core_spec import (
    BASKET_BASE_DATE,
    BENCHMARK_TICKER,
    ESTIMATION_WINDOW,
    EVENT_WINDOW,
    MIN_ESTIMATION_OBS,
    ROLLING_WINDOW,
    TRADING_DAYS_PER_YEAR,
    VOLATILITY_WINDOW,
)

PERIODS = {"1m": 1, "3m": 3, "1y": 12}


def daily_returns(bars: pd.DataFrame) -> pd.DataFrame:
    frame = bars.sort_values(["ticker", "session_date"], ignore_index=True)
    frame["daily_return"] = frame["adj_close"] / frame.groupby("ticker")["adj_close"].shift() - 1
    sessions = np.sort(frame["session_date"].unique())
    frame["session_index"] = np.searchsorted(sessions, frame["session_date"].to_numpy()) + 1
    benchmark = frame.loc[frame["ticker"] == BENCHMARK_TICKER, ["session_date", "daily_return"]]
    frame = frame.merge(
        benchmark.rename(columns={"daily_return": "benchmark_return"}),
        on="session_date",
        how="left",
    )
    market_mean = frame.groupby("session_date")["daily_return"].mean().rename("market_mean_return")
    return frame.merge(market_mean, left_on="session_date", right_index=True, how="left")


def rolling_beta(returns: pd.DataFrame) -> pd.DataFrame:
    wide = returns.pivot(index="session_date", columns="ticker", values="daily_return")
    market = wide[BENCHMARK_TICKER]
    window = wide.rolling(ROLLING_WINDOW, min_periods=ROLLING_WINDOW)
    beta = window.cov(market).div(market.rolling(ROLLING_WINDOW).var(), axis=0)
    out = beta.stack(future_stack=True).rename("beta").reset_index()
    return out.loc[:, ["ticker", "session_date", "beta"]]


def event_rows(returns: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    index_of = returns.drop_duplicates("session_date").set_index("session_date")["session_index"]
    events = events.assign(day_zero_index=events["day_zero_date"].map(index_of))
    events = events.dropna(subset=["day_zero_index"])
    days = np.arange(ESTIMATION_WINDOW[0], EVENT_WINDOW[1] + 1)
    rows = events.loc[events.index.repeat(len(days)), ["event_id", "ticker", "day_zero_index"]]
    rows["relative_day"] = np.tile(days, len(events))
    rows["session_index"] = rows["day_zero_index"].astype("int64") + rows["relative_day"]
    return rows.merge(
        returns.loc[:, ["ticker", "session_index", "daily_return", "benchmark_return"]],
        on=["ticker", "session_index"],
    )


def event_fits(rows: pd.DataFrame) -> pd.DataFrame:
    lo, hi = ESTIMATION_WINDOW
    est = rows.loc[rows["relative_day"].between(lo, hi)].dropna(
        subset=["daily_return", "benchmark_return"]
    )
    keys = ["event_id", "ticker"]
    grouped = est.groupby(keys)
    x_mean = grouped["benchmark_return"].transform("mean")
    y_mean = grouped["daily_return"].transform("mean")
    est = est.assign(
        sxy=(est["benchmark_return"] - x_mean) * (est["daily_return"] - y_mean),
        sxx=(est["benchmark_return"] - x_mean) ** 2,
        x_mean=x_mean,
        y_mean=y_mean,
    )
    fits = est.groupby(keys).agg(
        estimation_obs=("sxy", "size"),
        sxy=("sxy", "sum"),
        sxx=("sxx", "sum"),
        x_mean=("x_mean", "first"),
        y_mean=("y_mean", "first"),
    )
    fits["beta"] = fits["sxy"] / fits["sxx"]
    fits["alpha"] = fits["y_mean"] - fits["beta"] * fits["x_mean"]
    fits = fits.loc[fits["estimation_obs"] >= MIN_ESTIMATION_OBS]
    return fits.reset_index().loc[:, [*keys, "estimation_obs", "alpha", "beta"]]


def event_abnormal_returns(rows: pd.DataFrame, fits: pd.DataFrame) -> pd.DataFrame:
    lo, hi = EVENT_WINDOW
    window = rows.loc[rows["relative_day"].between(lo, hi)].merge(fits, on=["event_id", "ticker"])
    window["abnormal_return"] = window["daily_return"] - (
        window["alpha"] + window["beta"] * window["benchmark_return"]
    )
    return window.loc[:, ["event_id", "ticker", "relative_day", "abnormal_return"]]


def basket_index(returns: pd.DataFrame, universe: pd.DataFrame) -> pd.DataFrame:
    members = returns.merge(universe.loc[:, ["ticker", "group_name"]], on="ticker")
    days = (
        members.groupby(["group_name", "session_date"])["daily_return"]
        .mean()
        .rename("basket_return")
        .reset_index()
        .rename(columns={"group_name": "basket"})
    )
    base = returns.loc[returns["session_date"] <= pd.Timestamp(BASKET_BASE_DATE), "session_date"]
    base_date = base.max()
    days = days.loc[days["session_date"] >= base_date].sort_values(["basket", "session_date"])
    step = days["basket_return"].where(days["session_date"] > base_date, 0.0)
    days["index_daily_rebalanced"] = 100 * (1 + step).groupby(days["basket"]).cumprod()
    return days.reset_index(drop=True)


def _close_on_or_before(frame: pd.DataFrame, anchor: pd.Series) -> pd.Series:
    """Each row's ticker's last adj_close on or before its anchor date (NaN before its first
    bar): merge_asof by ticker."""
    anchor = anchor.astype(frame["session_date"].dtype)
    left = pd.DataFrame({"ticker": frame["ticker"], "anchor": anchor, "row": frame.index})
    right = frame.loc[:, ["ticker", "session_date", "adj_close"]]
    matched = pd.merge_asof(
        left.sort_values("anchor"),
        right.sort_values("session_date"),
        left_on="anchor",
        right_on="session_date",
        by="ticker",
        direction="backward",
    )
    return matched.set_index("row")["adj_close"].reindex(frame.index)


def ticker_performance(returns: pd.DataFrame) -> pd.DataFrame:
    frame = returns.loc[
        :, ["ticker", "session_date", "adj_close", "close", "high", "low", "daily_return"]
    ].sort_values(["ticker", "session_date"], ignore_index=True)
    by_ticker = frame.groupby("ticker")
    year = frame["session_date"].dt.year
    out = frame.loc[:, ["ticker", "session_date"]].copy()
    out["return_1w"] = frame["adj_close"] / by_ticker["adj_close"].shift(5) - 1
    for name, months in PERIODS.items():
        anchor = frame["session_date"] - pd.DateOffset(months=months)
        out[f"return_{name}"] = frame["adj_close"] / _close_on_or_before(frame, anchor) - 1
    prior_year_end = pd.to_datetime(pd.DataFrame({"year": year - 1, "month": 12, "day": 31}))
    out["return_ytd"] = frame["adj_close"] / _close_on_or_before(frame, prior_year_end) - 1
    out["drawdown"] = frame["adj_close"] / by_ticker["adj_close"].cummax() - 1
    ticker_year = [frame["ticker"], year]
    ytd_low = frame["adj_close"].groupby(ticker_year).cummin()
    out["gain_from_ytd_low"] = frame["adj_close"] / ytd_low - 1
    scale = frame["adj_close"] / frame["close"]
    adj_low_min = (frame["low"] * scale).groupby(ticker_year).cummin()
    out["gain_from_ytd_low_intraday"] = frame["high"] * scale / adj_low_min - 1
    rolling_sd = (
        by_ticker["daily_return"]
        .rolling(VOLATILITY_WINDOW, min_periods=VOLATILITY_WINDOW)
        .std()
        .reset_index(level=0, drop=True)
    )
    out["volatility_annualized"] = rolling_sd * np.sqrt(TRADING_DAYS_PER_YEAR)
    return out


def run_pandas_baseline(
    parquet_files: Sequence[Path], universe_csv: Path, events_parquet: Path, out_dir: Path
) -> int:
    """Compute everything and write it as Parquet under out_dir; return the bars read."""
    bars = pd.concat(
        [
            pd.read_parquet(
                f, columns=["ticker", "session_date", "adj_close", "close", "high", "low"]
            )
            for f in parquet_files
        ],
        ignore_index=True,
    )
    bars["session_date"] = pd.to_datetime(bars["session_date"])
    events = pd.read_parquet(events_parquet)
    events["day_zero_date"] = pd.to_datetime(events["day_zero_date"])
    universe = pd.read_csv(universe_csv)

    returns = daily_returns(bars)
    rows = event_rows(returns, events)
    fits = event_fits(rows)
    abnormal = event_abnormal_returns(rows, fits)
    car = (
        abnormal.groupby(["event_id", "ticker"])["abnormal_return"]
        .agg(car="sum", ar_count="count")
        .reset_index()
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {
        "returns": returns,
        "rolling_beta": rolling_beta(returns),
        "event_fits": fits,
        "event_ar": abnormal,
        "event_car": car,
        "basket_index": basket_index(returns, universe),
        "ticker_performance": ticker_performance(returns),
    }
    for name, frame in outputs.items():
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
    return len(bars)
