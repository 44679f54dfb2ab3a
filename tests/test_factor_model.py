"""The factor models of the event study (int_factor_model_fit, int_factor_abnormal_returns)
against numpy's least squares, on the bundled sample's prices with daily factors generated here
for every session: each pair's OLS of r - rf on the factors over its estimation window, and the
abnormal returns r - rf - (alpha + sum beta_k f_k) of its event window, to 1e-9. The default
setting (market_model) fits no factor model."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.support.dbt import SAMPLE_ARCHIVE, invoke_dbt, load_archive_prices

TOLERANCE = 1e-9
FF5 = ["mkt_rf", "smb", "hml", "rmw", "cma"]
MODELS = "stg_factors__daily int_factor_model_fit int_factor_abnormal_returns"


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
    # seeds and models upstream of the factor models, not their tests (the sample's own build)
    result = invoke_dbt(
        ["build", "--select", "+int_factor_abnormal_returns", "--exclude", "resource_type:test",
         "resource_type:unit_test"],
        warehouse, workdir,
    )
    assert result.success, result.exception
    return warehouse


def _build(warehouse: Path, model: str) -> None:
    workdir = warehouse.parent / model
    result = invoke_dbt(
        ["run", "--select", MODELS, "--vars", f"{{expected_return_model: {model}}}"],
        warehouse, workdir,
    )
    assert result.success, result.exception


def test_factor_models_pass_their_tests(factor_warehouse: Path) -> None:
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
    unit_test = "int_factor_model_fit.int_factor_model_fit_three_factors_by_hand"
    assert f"unit_test.adrpulse.{unit_test}" in ran


def _read(warehouse: Path, sql: str) -> pd.DataFrame:
    # not read-only: dbt, run in this process, may still hold the file open read-write
    with duckdb.connect(str(warehouse)) as con:
        return con.execute(sql).df()


def test_default_fits_no_factor_model(factor_warehouse: Path) -> None:
    _build(factor_warehouse, "market_model")
    assert _read(factor_warehouse, "select count(*) as n from staging.stg_factors__daily")["n"][0]
    for model in ("int_factor_model_fit", "int_factor_abnormal_returns"):
        assert _read(factor_warehouse, f"select * from intermediate.{model}").empty


@pytest.mark.parametrize("model", ["ff3", "ff5"])
def test_abnormal_returns_match_numpy_lstsq(factor_warehouse: Path, model: str) -> None:
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
