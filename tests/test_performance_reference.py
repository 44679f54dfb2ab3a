"""The performance marts against an independent implementation: quantstats (a test-only
dependency, the `dev` extra) for the tear-sheet figures, and numpy's percentile with empyrical's
published definition for the historical VaR and CVaR (empyrical-reloaded pins peewee below the
version yfinance needs here, so it cannot be installed beside the pipeline). Every figure of
every subject and period of the sample's build must agree to 1e-9, except where the mart's YAML
states a definitional difference, which is then applied here explicitly."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

qs = pytest.importorskip("quantstats")

ANNUAL = 252
TOLERANCE = {"rel_tol": 1e-9, "abs_tol": 1e-12}


def close(ours: float, theirs: float) -> bool:
    if ours is None or (isinstance(ours, float) and math.isnan(ours)):
        return theirs is None or math.isnan(theirs)
    return math.isclose(float(ours), float(theirs), **TOLERANCE)


@pytest.fixture(scope="module")
def marts(sample_dbt_warehouse: Path) -> tuple[pd.DataFrame, ...]:
    with duckdb.connect(str(sample_dbt_warehouse)) as con:  # dbt in-process holds it open
        summary = con.execute("select * from marts.fct_performance_summary").df()
        drawdowns = con.execute("select * from marts.fct_basket_drawdowns").df()
        monthly = con.execute("select * from marts.fct_monthly_returns").df()
        series = con.execute(
            "select subject, session_date, daily_return "
            "from intermediate.int_performance_returns order by subject, session_date"
        ).df()
    series["session_date"] = pd.to_datetime(series["session_date"])
    return summary, monthly, series, drawdowns


def period_returns(series: pd.DataFrame, subject: str, row: pd.Series) -> pd.Series:
    one = series[series["subject"] == subject].set_index("session_date")["daily_return"]
    start, end = pd.Timestamp(row["start_date"]), pd.Timestamp(row["as_of_date"])
    return one[(one.index > start) & (one.index <= end)]


def test_every_subject_and_period_matches_quantstats(marts) -> None:
    summary, _, series, _ = marts
    assert set(summary["period"]) == {"ytd", "1y", "since_inception", "since_event"}
    assert {"china_adr", "us_megacap", "BABA", "SPY"} <= set(summary["subject"])
    mismatches: list[str] = []
    for _, row in summary.iterrows():
        r = period_returns(series, row["subject"], row).dropna()
        assert len(r) == row["return_count"]
        b_all = period_returns(series, row["benchmark_ticker"], row)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = {
                "total_return": qs.stats.comp(r),
                "cagr": qs.stats.cagr(r),
                "volatility_annualized": qs.stats.volatility(r),
                "sharpe_ratio": qs.stats.sharpe(r),
                "sortino_ratio": qs.stats.sortino(r),
                "calmar_ratio": qs.stats.calmar(r),
                "max_drawdown": qs.stats.max_drawdown(r),
                "skewness": qs.stats.skew(r),
                "excess_kurtosis": qs.stats.kurtosis(r),
                "best_session_return": qs.stats.best(r),
                "worst_session_return": qs.stats.worst(r),
            }
            paired = pd.concat([r, b_all], axis=1, join="inner").dropna()
            if len(paired) > 2:
                greeks = qs.stats.greeks(paired.iloc[:, 0], paired.iloc[:, 1])
                expected["beta"] = greeks["beta"]
                expected["alpha_annualized"] = greeks["alpha"]
            if isinstance(row["comparison_basket"], str):
                c = period_returns(series, row["comparison_basket"], row)
                active = pd.concat([r, c], axis=1, join="inner").dropna()
                # quantstats does not annualise the information ratio; the mart does (YAML)
                expected["information_ratio"] = qs.stats.information_ratio(
                    active.iloc[:, 0], active.iloc[:, 1]
                ) * math.sqrt(ANNUAL)
        # quantstats' win_rate leaves out returns of exactly 0; the mart counts them (YAML)
        expected["share_positive_sessions"] = (r > 0).sum() / len(r)
        if not (r == 0).any():
            assert close(expected["share_positive_sessions"], qs.stats.win_rate(r))
        # historical VaR and CVaR by empyrical's published definition
        values = r.to_numpy()
        expected["var_95"] = np.percentile(values, 5)
        cutoff = int((len(values) - 1) * 0.05)
        expected["cvar_95"] = np.mean(np.partition(values, cutoff)[: cutoff + 1])
        for column, theirs in expected.items():
            if not close(row[column], theirs):
                mismatches.append(
                    f"{row['subject']} {row['period']} {column}: {row[column]!r} vs {theirs!r}"
                )
    assert not mismatches, "\n".join(mismatches[:40])


def test_drawdown_dates_match_quantstats_drawdown_details(marts) -> None:
    """quantstats lists every drawdown: its valley is our trough, its start (the first session
    below the high) the session after our peak date, and its end (the last session below the
    high) the session before our recovery date."""
    summary, _, series, _ = marts
    checked = 0
    for _, row in summary[summary["max_drawdown"] < 0].iterrows():
        r = period_returns(series, row["subject"], row).dropna()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            drawdown = qs.stats.to_drawdown_series(r)
            details = qs.stats.drawdown_details(drawdown)
        recoveries = drawdown[drawdown == 0].index
        if recoveries.empty or drawdown.idxmin() < recoveries.min():
            # The deepest drawdown starts from the base close, on the first session, which
            # drawdown_details does not list (its start test needs a session before); the series
            # itself gives the trough and the recovery.
            assert pd.Timestamp(row["max_drawdown_peak_date"]) == pd.Timestamp(row["start_date"])
            assert drawdown.idxmin() == pd.Timestamp(row["max_drawdown_trough_date"])
            recovered = recoveries[recoveries > drawdown.idxmin()]
            expected = recovered.min() if not recovered.empty else pd.NaT
            if pd.isna(expected):
                assert pd.isna(row["max_drawdown_recovery_date"])
            else:
                assert expected == pd.Timestamp(row["max_drawdown_recovery_date"])
            checked += 1
            continue
        deepest = details.loc[details["max drawdown"].idxmin()]
        assert pd.Timestamp(deepest["valley"]) == pd.Timestamp(row["max_drawdown_trough_date"])
        assert deepest["max drawdown"] / 100 == pytest.approx(row["max_drawdown"], rel=1e-9)
        sessions = list(r.index)
        start = sessions.index(pd.Timestamp(deepest["start"]))
        peak = sessions[start - 1] if start > 0 else pd.Timestamp(row["start_date"])
        assert peak == pd.Timestamp(row["max_drawdown_peak_date"]), row["subject"]
        end = sessions.index(pd.Timestamp(deepest["end"]))
        if pd.isna(row["max_drawdown_recovery_date"]):
            assert end == len(sessions) - 1
            assert qs.stats.to_drawdown_series(r).iloc[-1] < 0
        else:
            assert sessions[end + 1] == pd.Timestamp(row["max_drawdown_recovery_date"])
        checked += 1
    assert checked >= 20


def test_monthly_returns_match_quantstats_and_flag_the_partial_months(marts) -> None:
    _, monthly, series, _ = marts
    for subject in ("BABA", "SPY", "china_adr", "us_megacap"):
        r = series[series["subject"] == subject].set_index("session_date")["daily_return"]
        table = qs.stats.monthly_returns(r.dropna(), eoy=False, compounded=True)
        ours = monthly[monthly["subject"] == subject]
        assert len(ours) > 0
        for _, row in ours.iterrows():
            theirs = table.loc[str(row["calendar_year"]), table.columns[row["calendar_month"] - 1]]
            assert close(row["monthly_return"], theirs), (subject, row["month_start"])
        # the sample's history starts on its first session: only the first month is partial
        first = ours.sort_values("month_start").iloc[0]
        assert first["starts_mid_month"] and first["is_partial_month"]
        assert not ours.sort_values("month_start").iloc[1:]["starts_mid_month"].any()


def test_basket_drawdown_series_matches_quantstats(marts) -> None:
    summary, _, series, drawdowns = marts
    assert set(drawdowns["basket"]) == {"china_adr", "us_megacap"}
    for basket, ours in drawdowns.groupby("basket"):
        r = series[series["subject"] == basket].set_index("session_date")["daily_return"]
        theirs = qs.stats.to_drawdown_series(r.dropna())
        ours = ours.set_index(pd.to_datetime(ours["session_date"]))["drawdown"]
        joined = pd.concat([ours, theirs], axis=1, join="inner")
        assert len(joined) == len(theirs)
        assert np.allclose(joined.iloc[:, 0], joined.iloc[:, 1], rtol=1e-9, atol=1e-12)
        inception = summary[(summary["subject"] == basket)
                            & (summary["period"] == "since_inception")].iloc[0]
        assert close(ours.min(), inception["max_drawdown"])
