"""The factor models of the event study (int_factor_model_fit, int_factor_abnormal_returns)
against numpy's least squares, on the bundled sample's prices with daily factors generated here
for every session: each pair's OLS of r - rf on the factors over its estimation window, and the
abnormal returns r - rf - (alpha + sum beta_k f_k) of its event window, to 1e-9. The default
setting (market_model) fits no factor model.

With ff3 selected the factor model drives the event study end to end: the marts' CARs, their
standard errors (the prediction-error term from the explicit matrix form s^2 (L + 1' X_w
(X'X)^-1 X_w' 1) with an intercept column, checked against the centered form s^2 (L + L^2/M +
d' S^-1 d) the SQL uses), the SCARs, the cross-sectional, BMP and Patell statistics of the summary
and the daily BMP t are recomputed with numpy, to 1e-9. Switching back to market_model gives the
marts of the default build again."""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.support.dbt import SAMPLE_ARCHIVE, invoke_dbt, load_archive_prices
from tests.test_marts_reference import VARS

TOLERANCE = 1e-9
FF5 = ["mkt_rf", "smb", "hml", "rmw", "cma"]
MODELS = "stg_factors__daily int_factor_model_fit int_factor_abnormal_returns"
# Everything the setting changes in the event study, from the factor fit to the marts.
EVENT_STUDY = (
    "int_factor_model_fit int_factor_abnormal_returns int_event_window_returns "
    "int_event_abnormal_ranks int_event_car int_event_grank fct_event_window_returns "
    "fct_event_car fct_event_study_daily fct_event_study_summary"
)
MARTS = {
    "fct_event_window_returns": ["event_id", "ticker", "relative_day"],
    "fct_event_car": ["event_id", "ticker", "window_label"],
    "fct_event_study_summary": ["event_id", "summary_group", "window_label"],
    "fct_event_study_daily": ["event_id", "summary_group", "exchange", "relative_day"],
}


@pytest.fixture(scope="module")
def factor_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's prices and generated five-factor data for every date that has a bar."""
    workdir = tmp_path_factory.mktemp("factors")
    warehouse = workdir / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        assert load_archive_prices(con, SAMPLE_ARCHIVE) > 0
        dates = [r[0] for r in con.execute(
            "select distinct session_date from raw.daily_bars order by 1"
        ).fetchall()]
        rng = np.random.default_rng(15)
        values = rng.normal(0.0, 0.01, size=(len(dates), 5))
        rf = rng.uniform(0.00005, 0.0002, size=len(dates))
        frame = pd.DataFrame(values, columns=FF5).assign(factor_date=dates, rf=rf, fetch_id="test")
        con.register("frame", frame)
        con.execute(
            "insert into raw.daily_factors (factor_date, mkt_rf, smb, hml, rmw, cma, rf, fetch_id) "
            "select factor_date, mkt_rf, smb, hml, rmw, cma, rf, fetch_id from frame"
        )
    # seeds and models upstream of the factor models and of the event-study marts, not their
    # tests (the sample's own build), with the default setting (market_model)
    result = invoke_dbt(
        ["build", "--select", "+int_factor_abnormal_returns", *(f"+{m}" for m in MARTS),
         "--exclude", "resource_type:test", "resource_type:unit_test"],
        warehouse, workdir,
    )
    assert result.success, result.exception
    return warehouse


@pytest.fixture(scope="module")
def default_marts(factor_warehouse: Path) -> dict[str, pd.DataFrame]:
    """The event-study marts of the default build, before any other setting is built."""
    return {m: _read(factor_warehouse, f"select * from marts.{m}") for m in MARTS}


def _build(warehouse: Path, model: str) -> None:
    workdir = warehouse.parent / model
    result = invoke_dbt(
        ["run", "--select", MODELS, "--vars", f"{{expected_return_model: {model}}}"],
        warehouse, workdir,
    )
    assert result.success, result.exception


def test_factor_models_pass_their_tests(factor_warehouse: Path,
                                        default_marts: dict[str, pd.DataFrame]) -> None:
    """The models' data tests and the hand-computed unit test, on the ff3 build."""
    _build(factor_warehouse, "ff3")
    result = invoke_dbt(
        ["test", "--select", MODELS, "--vars", "{expected_return_model: ff3}"],
        factor_warehouse, factor_warehouse.parent / "tests",
    )
    ran = [r.node.unique_id for r in result.result.results]
    # "success" is a hook's or model's outcome (the on-run-start hook of the spark target runs,
    # and does nothing, on DuckDB too); tests pass.
    failed = [(r.node.unique_id, str(r.status), r.message) for r in result.result.results
              if str(r.status) not in ("pass", "success")]
    assert not failed, failed
    for unit_test in ("int_factor_model_fit.int_factor_model_fit_three_factors_by_hand",
                      "int_factor_model_fit.int_factor_model_fit_constant_mean_by_hand"):
        assert f"unit_test.adrpulse.{unit_test}" in ran


def test_event_car_unit_tests_pass_under_both_models(
    factor_warehouse: Path, default_marts: dict[str, pd.DataFrame]
) -> None:
    """int_event_car's unit tests, the market model's (default vars) and the factor model's
    hand-computed CAR variance (its own override, ff3), against the built tables' columns."""
    _build_event_study(factor_warehouse, "market_model")
    result = invoke_dbt(
        ["test", "--select", "int_event_car"],
        factor_warehouse, factor_warehouse.parent / "unit_tests",
    )
    ran = [r.node.unique_id for r in result.result.results]
    failed = [(r.node.unique_id, str(r.status), r.message) for r in result.result.results
              if str(r.status) not in ("pass", "success")]
    assert not failed, failed
    for unit_test in ("int_event_car_window_statistics",
                      "int_event_car_factor_model_variance_by_hand"):
        assert f"unit_test.adrpulse.int_event_car.{unit_test}" in ran


def _read(warehouse: Path, sql: str) -> pd.DataFrame:
    # not read-only: dbt, run in this process, may still hold the file open read-write
    with duckdb.connect(str(warehouse)) as con:
        return con.execute(sql).df()


def test_default_fits_no_factor_model(factor_warehouse: Path,
                                      default_marts: dict[str, pd.DataFrame]) -> None:
    _build(factor_warehouse, "market_model")
    assert _read(factor_warehouse, "select count(*) as n from staging.stg_factors__daily")["n"][0]
    for model in ("int_factor_model_fit", "int_factor_abnormal_returns"):
        assert _read(factor_warehouse, f"select * from intermediate.{model}").empty


@pytest.mark.parametrize("model", ["ff3", "ff5"])
def test_abnormal_returns_match_numpy_lstsq(factor_warehouse: Path, model: str,
                                            default_marts: dict[str, pd.DataFrame]) -> None:
    _build(factor_warehouse, model)
    factors = FF5[:3] if model == "ff3" else FF5
    estimation = _read(
        factor_warehouse,
        "select e.event_id, e.ticker, e.stock_return, e.is_excluded, f.* "
        "from intermediate.int_estimation_windows e "
        "left join staging.stg_factors__daily f on f.factor_date = e.session_date",
    )
    event_days = _read(
        factor_warehouse,
        "select w.event_id, w.ticker, w.relative_day, w.stock_return, f.* "
        "from intermediate.int_event_windows w "
        "left join staging.stg_factors__daily f on f.factor_date = w.session_date "
        "where w.window_part = 'event'",
    )
    fits = _read(factor_warehouse, "select * from intermediate.int_factor_model_fit")
    ars = _read(factor_warehouse, "select * from intermediate.int_factor_abnormal_returns")
    assert set(fits["factor_model"]) == {model}
    included = fits[fits["is_included"]]
    assert len(included) >= 10, "the sample should give many fitted pairs"
    checked = 0
    for fit in included.itertuples():
        of_pair = (estimation["event_id"] == fit.event_id) & (estimation["ticker"] == fit.ticker)
        est = estimation[of_pair & ~estimation["is_excluded"].astype(bool)]
        est = est.dropna(subset=["stock_return", *factors, "rf"])
        assert len(est) == fit.factor_model_obs
        design = np.column_stack([np.ones(len(est)), est[factors].to_numpy()])
        y = (est["stock_return"] - est["rf"]).to_numpy()
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        resid = y - design @ coef
        assert fit.alpha == pytest.approx(coef[0], abs=TOLERANCE)
        for k, name in enumerate(factors, start=1):
            assert getattr(fit, f"beta_{name}") == pytest.approx(coef[k], abs=TOLERANCE)
        sd = np.sqrt(resid @ resid / (len(est) - len(factors) - 1))
        assert fit.residual_sd == pytest.approx(sd, abs=TOLERANCE)

        of_pair = (event_days["event_id"] == fit.event_id) & (event_days["ticker"] == fit.ticker)
        event = event_days[of_pair].dropna(subset=["stock_return", "rf"])
        got = ars[(ars["event_id"] == fit.event_id) & (ars["ticker"] == fit.ticker)]
        got = got.set_index("relative_day")["abnormal_return"]
        for day in event.itertuples():
            expected = day.stock_return - day.rf - (
                coef[0] + sum(coef[k] * getattr(day, f) for k, f in enumerate(factors, start=1))
            )
            assert got[day.relative_day] == pytest.approx(expected, abs=TOLERANCE)
            checked += 1
    assert checked > 100


# --- the factor model through the event study -----------------------------------------------


def _build_event_study(warehouse: Path, model: str) -> None:
    workdir = warehouse.parent / f"event_study_{model}"
    result = invoke_dbt(
        ["run", "--select", EVENT_STUDY, "--vars", f"{{expected_return_model: {model}}}"],
        warehouse, workdir,
    )
    assert result.success, result.exception


def _assert_close(got: pd.Series, want: pd.Series, what: str) -> None:
    """Equal to TOLERANCE (relative above 1), NaN where the other is NaN."""
    got, want = got.astype(float).to_numpy(), want.astype(float).to_numpy()
    both_nan = np.isnan(got) & np.isnan(want)
    close = np.abs(got - want) <= TOLERANCE * np.maximum(1.0, np.abs(want))
    bad = ~(both_nan | close)
    assert not bad.any(), f"{what}: {int(bad.sum())} of {len(bad)} differ, e.g. " \
        f"{list(zip(got[bad][:5], want[bad][:5], strict=True))}"


def _t(x: pd.Series) -> float:
    x = x.dropna()
    sd = x.std(ddof=1) if len(x) >= 2 else math.nan
    return math.sqrt(len(x)) * x.mean() / sd if len(x) >= 2 and sd > 0 else math.nan


@dataclass
class FactorStudy:
    cars: pd.DataFrame  # event x ticker x window
    daily: pd.DataFrame  # event x ticker x relative day
    summary: pd.DataFrame  # event x group x window


def _factor_study(warehouse: Path, factors: list[str]) -> FactorStudy:
    """See _model_study: the factor models (r - rf on the factors), US listings only."""
    return _model_study(warehouse, factors)


def _model_study(warehouse: Path, factors: list[str]) -> FactorStudy:
    """The event study under the factor model, from numpy: per pair, OLS of r - rf on a constant
    and the factors (np.linalg.lstsq on the design matrix X); per window, CAR and its standard
    error s sqrt(L + 1' X_w (X'X)^-1 X_w' 1) (X_w the window's design rows: the covariance of
    the L prediction errors is s^2 (I + X_w (X'X)^-1 X_w'), Campbell, Lo and MacKinlay 1997,
    4.4.8); per day, the SAR with the one-day form. The pairs are those the market model includes
    (int_estimation_stats, checked against numpy by test_marts_reference) whose factor fit has
    at least min_estimation_obs sessions.

    With no factor (constant_mean) the same regression on a constant alone, of the raw return r
    (no risk-free rate): alpha is the estimation window's mean return, and the standard error
    s sqrt(L + L^2/M); every pair, the Hong Kong lines' too, as no factor file is needed."""
    k = len(factors)
    raw = k == 0
    estimation = _read(
        warehouse,
        "select e.event_id, e.ticker, e.relative_day, e.stock_return, e.is_excluded, f.* "
        "from intermediate.int_estimation_windows e "
        "left join staging.stg_factors__daily f on f.factor_date = e.session_date",
    )
    event_days = _read(
        warehouse,
        "select w.event_id, w.ticker, w.relative_day, w.stock_return, f.* "
        "from intermediate.int_event_windows w "
        "left join staging.stg_factors__daily f on f.factor_date = w.session_date "
        "where w.window_part = 'event'",
    )
    pairs = _read(
        warehouse,
        "select s.event_id, s.ticker, s.is_included, e.group_name "
        "from intermediate.int_estimation_stats s "
        "join intermediate.int_events e using (event_id, ticker) "
        # the factor file prices US stocks: the Hong Kong lines get no factor fit
        + ("" if raw else "where e.exchange = 'XNYS'"),
    )
    if raw:  # r itself: no risk-free rate, no factors needed
        estimation["rf"] = 0.0
        event_days["rf"] = 0.0
    min_obs = VARS["min_estimation_obs"]
    windows = [tuple(w) for w in VARS["summary_windows"]]
    estimation = estimation[~estimation["is_excluded"].astype(bool)]
    estimation = estimation.dropna(subset=["stock_return", "rf", *factors])
    est_groups = dict(list(estimation.groupby(["event_id", "ticker"])))
    day_groups = dict(list(event_days.groupby(["event_id", "ticker"])))
    car_rows, day_rows = [], []
    for pair in pairs.itertuples():
        key = (pair.event_id, pair.ticker)
        est = est_groups.get(key)
        if not pair.is_included or est is None or len(est) < min_obs:
            continue
        m = len(est)
        x = np.column_stack([np.ones(m), est[factors].to_numpy()])
        y = (est["stock_return"] - est["rf"]).to_numpy()
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        resid = y - x @ coef
        s = math.sqrt(resid @ resid / (m - k - 1))
        if not s > 0:
            continue
        xtx_inv = np.linalg.inv(x.T @ x)
        # the centered form the SQL computes, for the checks below
        mean_x = x[:, 1:].mean(axis=0)
        centered = x[:, 1:] - mean_x
        s_inv = np.linalg.inv(centered.T @ centered)
        if key not in day_groups:  # no event-window session stored yet
            continue
        days = day_groups[key].set_index("relative_day").sort_index()
        ok = days[["stock_return", "rf", *factors]].notna().all(axis=1)
        x_days = np.column_stack([np.ones(len(days)), days[factors].to_numpy()])
        ar = pd.Series(
            np.where(ok, (days["stock_return"] - days["rf"]).to_numpy() - x_days @ coef, np.nan),
            index=days.index,
        )
        one_day = np.einsum("ij,jk,ik->i", x_days, xtx_inv, x_days)  # x_t' (X'X)^-1 x_t
        sar = ar / (s * np.sqrt(1 + one_day))
        for day, value, standardized in zip(days.index, ar, sar, strict=True):
            day_rows.append({"event_id": pair.event_id, "ticker": pair.ticker,
                             "group_name": pair.group_name, "relative_day": day,
                             "ar": value, "sar": standardized})
        for start, end in windows:
            length = end - start + 1
            in_window = (days.index >= start) & (days.index <= end)
            if in_window.sum() < length or not ok[in_window].all():
                continue
            window_x = x_days[in_window]
            ones = np.ones(length)
            se = s * math.sqrt(length + ones @ window_x @ xtx_inv @ window_x.T @ ones)
            d = (window_x[:, 1:] - mean_x).sum(axis=0)
            centered_se = s * math.sqrt(length + length**2 / m + d @ s_inv @ d)
            assert abs(se - centered_se) <= 1e-12 * se, (key, start, end, se, centered_se)
            car = float(ar[in_window].sum())
            car_rows.append({"event_id": pair.event_id, "ticker": pair.ticker,
                             "group_name": pair.group_name,
                             "window_label": _window_label(start, end),
                             "car": car, "car_standard_error": se, "scar": car / se,
                             "degrees_of_freedom": m - k - 1, "estimation_obs": m,
                             "residual_sd": s})
    cars, daily = pd.DataFrame(car_rows), pd.DataFrame(day_rows)
    summary_rows = []
    grouped = pd.concat([cars, cars.assign(group_name="all")], ignore_index=True)
    for (event_id, group, label), g in grouped.groupby(["event_id", "group_name", "window_label"]):
        df = g["degrees_of_freedom"].to_numpy(dtype=float)
        summary_rows.append({
            "event_id": event_id, "summary_group": group, "window_label": label,
            "pairs_included": len(g), "caar": g["car"].mean(),
            "t_cross_sectional": _t(g["car"]), "t_bmp": _t(g["scar"]),
            "patell_z": g["scar"].sum() / math.sqrt((df / (df - 2)).sum()),
        })
    return FactorStudy(cars, daily, pd.DataFrame(summary_rows))


def _window_label(start: int, end: int) -> str:
    def fmt(k: int) -> str:
        return "0" if k == 0 else f"{k:+d}"

    return f"[{fmt(start)},{fmt(end)}]"


def test_ff3_drives_the_event_study_marts(factor_warehouse: Path,
                                          default_marts: dict[str, pd.DataFrame]) -> None:
    _build_event_study(factor_warehouse, "ff3")
    factors = FF5[:3]
    reference = _factor_study(factor_warehouse, factors)
    marts = {m: _read(factor_warehouse, f"select * from marts.{m}") for m in MARTS}
    for name, mart in marts.items():
        assert set(mart["expected_return_model"]) == {"ff3"}, name

    # fct_event_car: the included rows are exactly the reference's, with its figures
    cars = marts["fct_event_car"]
    keys = ["event_id", "ticker", "window_label"]
    included = cars[cars["is_included"]]
    merged = included.merge(reference.cars, on=keys, how="outer", suffixes=("", "_ref"),
                            indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", keys]
    assert len(merged) >= 100, "the sample should give many included windows"
    for column in ("car", "car_standard_error", "scar", "t_statistic", "degrees_of_freedom",
                   "estimation_obs", "residual_sd"):
        want = merged["scar_ref"] if column == "t_statistic" else merged[f"{column}_ref"]
        _assert_close(merged[column], want, f"fct_event_car.{column}")
    # the Hong Kong lines are in the mart, none included, each saying why
    home_lines = cars[cars["ticker"].str.endswith(".HK")]
    assert len(home_lines) > 0
    assert not home_lines["is_included"].any()
    reasons = home_lines["exclusion_reason"]
    assert reasons.notna().all()
    # the market model's own reason (no prices in the window, say) comes first where it has one
    fitted_by_the_market_model = ~reasons.str.startswith("no prices")
    assert fitted_by_the_market_model.sum() > 0
    assert reasons[fitted_by_the_market_model].str.contains("factors price US stocks only").all()
    # the correction only ever enlarges the standard error beyond s sqrt(L)
    lengths = merged["window_length"].astype(float)
    assert (merged["car_standard_error"] > merged["residual_sd"] * np.sqrt(lengths)).all()

    # fct_event_study_summary: N, CAAR, cross-sectional, BMP and Patell over the same pairs
    summary = marts["fct_event_study_summary"]
    summary = summary[summary["pairs_included"] > 0]
    keys = ["event_id", "summary_group", "window_label"]
    merged = summary.merge(reference.summary, on=keys, how="outer", suffixes=("", "_ref"),
                           indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", keys]
    for column in ("pairs_included", "caar", "t_cross_sectional", "t_bmp", "patell_z"):
        _assert_close(merged[column], merged[f"{column}_ref"], f"fct_event_study_summary.{column}")
    assert merged["t_bmp"].notna().sum() >= 20

    # fct_event_study_daily: the AAR and the BMP t of the day with the one-day SAR
    daily = reference.daily
    grouped = pd.concat([daily, daily.assign(group_name="all")], ignore_index=True)
    want = grouped.groupby(["event_id", "group_name", "relative_day"]).agg(
        pairs_included=("ar", "count"), aar=("ar", "mean"),
        t_bmp=("sar", _t)).reset_index().rename(columns={"group_name": "summary_group"})
    keys = ["event_id", "summary_group", "relative_day"]
    got = marts["fct_event_study_daily"]
    got = got[got["pairs_included"] > 0]
    want = want[want["pairs_included"] > 0]
    merged = got.merge(want, on=keys, how="outer", suffixes=("", "_ref"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", keys]
    for column in ("pairs_included", "aar", "t_bmp"):
        _assert_close(merged[column], merged[f"{column}_ref"], f"fct_event_study_daily.{column}")

    # fct_event_window_returns: the selected columns are the factor model's, the market model's
    # stay as in the default build
    returns = marts["fct_event_window_returns"].merge(
        default_marts["fct_event_window_returns"], on=MARTS["fct_event_window_returns"],
        suffixes=("", "_default"))
    _assert_close(returns["abnormal_return_market_model"],
                  returns["abnormal_return_market_model_default"], "market-model AR")
    ar = returns.merge(daily, on=["event_id", "ticker", "relative_day"], how="left")
    _assert_close(ar["abnormal_return_selected_model"], ar["ar"], "factor-model AR")
    differs = (ar["abnormal_return_selected_model"] - ar["abnormal_return_market_model"]).abs()
    assert differs.max() > 1e-4


def test_switching_back_to_market_model_gives_the_default_marts(
    factor_warehouse: Path, default_marts: dict[str, pd.DataFrame]
) -> None:
    """ff3, then market_model again: every column of every event-study mart as the default build
    made it (DuckDB's parallel sums may differ in the last bit: 1e-12), and the selected columns
    are the market model's."""
    _build_event_study(factor_warehouse, "ff3")
    _build_event_study(factor_warehouse, "market_model")
    for name, keys in MARTS.items():
        before = default_marts[name].sort_values(keys).reset_index(drop=True)
        after = _read(factor_warehouse, f"select * from marts.{name}")
        after = after.sort_values(keys).reset_index(drop=True)
        assert list(after.columns) == list(before.columns), name
        assert len(after) == len(before), name
        assert set(after["expected_return_model"]) == {"market_model"}, name
        for column in before.columns:
            if pd.api.types.is_float_dtype(before[column]):
                got, want = after[column].to_numpy(), before[column].to_numpy()
                same = (np.isnan(got) & np.isnan(want)) | (
                    np.abs(got - want) <= 1e-12 * np.maximum(1.0, np.abs(want)))
                assert same.all(), (name, column)
            else:
                assert after[column].astype(str).equals(before[column].astype(str)), (name, column)
    returns = default_marts["fct_event_window_returns"]
    for part in ("expected_return", "abnormal_return", "car"):
        market = returns[f"{part}_market_model"]
        selected = returns[f"{part}_selected_model"]
        assert ((market == selected) | (market.isna() & selected.isna())).all(), part


def test_centered_prediction_error_term_reduces_to_the_market_models_for_one_factor() -> None:
    """With K = 1 and x = r_m, d' S^-1 d = (sum over the window of (r_m - mean r_m))^2 / Sxx,
    MacKinlay's term; and for K = 3 the centered form L^2/M + d' S^-1 d equals 1' X_w (X'X)^-1
    X_w' 1 with the intercept column, on made-up numbers (the identity the SQL relies on)."""
    rng = np.random.default_rng(1993)
    est, window = rng.normal(0.0005, 0.01, (60, 3)), rng.normal(0.0, 0.02, (5, 3))
    m, length = len(est), len(window)
    x = np.column_stack([np.ones(m), est])
    xw = np.column_stack([np.ones(length), window])
    ones = np.ones(length)
    explicit = ones @ xw @ np.linalg.inv(x.T @ x) @ xw.T @ ones
    centered = est - est.mean(axis=0)
    chol = np.linalg.cholesky(centered.T @ centered)
    d = (window - est.mean(axis=0)).sum(axis=0)
    z = np.linalg.solve(chol, d)  # forward substitution, as the macro does
    assert explicit == pytest.approx(length**2 / m + z @ z, rel=1e-12)
    # K = 1, x = r_m: the same identity is MacKinlay's closed form L^2/M + (sum (r_m - mean))^2
    # / Sxx, and the macro's one-step forward substitution is d / sqrt(Sxx)
    rm, rm_window = est[:, 0], window[:, 0]
    x1 = np.column_stack([np.ones(m), rm])
    xw1 = np.column_stack([np.ones(length), rm_window])
    explicit_1 = ones @ xw1 @ np.linalg.inv(x1.T @ x1) @ xw1.T @ ones
    sxx = float(((rm - rm.mean()) ** 2).sum())
    z1 = (rm_window - rm.mean()).sum() / math.sqrt(sxx)
    assert explicit_1 == pytest.approx(length**2 / m + z1**2, rel=1e-12)


def test_constant_mean_drives_the_event_study_marts(factor_warehouse: Path,
                                                    default_marts: dict[str, pd.DataFrame],
                                                    tmp_path: Path) -> None:
    """expected_return_model constant_mean: AR = r - the estimation window's mean return, the CAR
    variance s^2 (L + L^2/M) with s^2 = SSR / (M - 1) (MacKinlay 1997), for the US listings and the
    Hong Kong lines alike, against numpy to 1e-9; the summary's US groups from the same pairs.
    On a copy of the warehouse with no factor imported, as a user who never ran import-factors
    has it: the model must need none."""
    with duckdb.connect(str(factor_warehouse)) as con:
        con.execute("checkpoint")
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(factor_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw.daily_factors")
    _build_event_study(warehouse, "constant_mean")
    assert _read(warehouse, "select count(*) as n from staging.stg_factors__daily")["n"][0] == 0
    reference = _model_study(warehouse, [])
    marts = {m: _read(warehouse, f"select * from marts.{m}") for m in MARTS}
    for name, mart in marts.items():
        assert set(mart["expected_return_model"]) == {"constant_mean"}, name

    cars = marts["fct_event_car"]
    keys = ["event_id", "ticker", "window_label"]
    merged = cars[cars["is_included"]].merge(reference.cars, on=keys, how="outer",
                                             suffixes=("", "_ref"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", keys]
    assert merged["ticker"].str.endswith(".HK").any(), "the Hong Kong lines are studied too"
    for column in ("car", "car_standard_error", "scar", "degrees_of_freedom", "estimation_obs",
                   "residual_sd"):
        _assert_close(merged[column], merged[f"{column}_ref"], f"fct_event_car.{column}")
    # the closed form: no slope, so the prediction error is the mean's alone
    lengths, m = merged["window_length"].astype(float), merged["estimation_obs"].astype(float)
    _assert_close(merged["car_standard_error"],
                  merged["residual_sd"] * np.sqrt(lengths + lengths**2 / m), "s sqrt(L + L^2/M)")
    assert (merged["degrees_of_freedom"] == merged["estimation_obs"] - 1).all()

    # the day's ARs in fct_event_window_returns
    returns = marts["fct_event_window_returns"].merge(
        reference.daily, on=["event_id", "ticker", "relative_day"], how="inner")
    assert len(returns) > 0
    _assert_close(returns["abnormal_return_selected_model"], returns["ar"], "constant-mean AR")
    # the expected return is alpha itself (no rf is added back: BHAR reads it)
    _assert_close(returns["expected_return_selected_model"],
                  returns["stock_return"] - returns["ar"], "constant-mean expected return")
    # the rank tests read the same ARs (int_event_abnormal_ranks), with no rf taken off
    ranks = _read(warehouse, "select event_id, ticker, relative_day, abnormal_return "
                  "from intermediate.int_event_abnormal_ranks where window_part = 'event'")
    ranked = ranks.merge(reference.daily.dropna(subset=["ar"]),
                         on=["event_id", "ticker", "relative_day"], how="outer", indicator=True)
    assert (ranked["_merge"] == "both").all()
    _assert_close(ranked["abnormal_return"], ranked["ar"], "the rank tests' ARs")

    # the summary's US groups: N, CAAR and the cross-sectional and BMP t over the same pairs
    us = reference.cars[~reference.cars["ticker"].str.endswith(".HK")]
    grouped = pd.concat([us, us.assign(group_name="all")], ignore_index=True)
    want = grouped.groupby(["event_id", "group_name", "window_label"]).agg(
        pairs_included=("car", "count"), caar=("car", "mean"),
        t_cross_sectional=("car", _t), t_bmp=("scar", _t),
    ).reset_index().rename(columns={"group_name": "summary_group"})
    summary = marts["fct_event_study_summary"]
    summary = summary[(summary["pairs_included"] > 0)
                      & ~summary["summary_group"].str.endswith("xhkg")]
    keys = ["event_id", "summary_group", "window_label"]
    got = summary.merge(want, on=keys, how="outer", suffixes=("", "_ref"), indicator=True)
    assert (got["_merge"] == "both").all(), got.loc[got["_merge"] != "both", keys]
    for column in ("pairs_included", "caar", "t_cross_sectional", "t_bmp"):
        _assert_close(got[column], got[f"{column}_ref"], f"fct_event_study_summary.{column}")
