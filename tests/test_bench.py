"""The benchmark harness (orchestration/tools/benchmark): deterministic generator, floor SQL and
pandas baseline agreeing on the same data, the document's sections, and the whole `adrpulse bench`
end to end on a tiny size. No timings are asserted: only that each stage ran and reported positive
numbers."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.tools.benchmark.archive import append_update, generate_archive
from orchestration.tools.benchmark.dbt_runner import prepare_project, run_dbt
from orchestration.tools.benchmark.floor_sql import run_floor
from orchestration.tools.benchmark.harness import (
    DBT_STARTUP_STAGE,
    NODE_FLOOR_FULL_STAGE,
    NODE_FLOOR_UPDATE_STAGE,
    growth_stage_names,
)
from orchestration.tools.benchmark.pandas_baseline import run_pandas_baseline
from orchestration.tools.benchmark.report import update_document
from orchestration.tools.benchmark.spec import BenchSpec
from orchestration.tools.benchmark.stages import load_archive
from orchestration.tools.benchmark.workdir import BenchPaths
from tests.support.cli import isolated_env

REPO = Path(__file__).resolve().parent.parent
STAGES = (
    "generate archive",
    "load archive",
    "load floor (read_parquet)",
    "dbt build (full)",
    "floor SQL (uncapped)",
    "floor SQL",
    "pandas baseline",
    "price checks",
    "update: load",
    "update: price checks",
    "update: dbt build",
    "update: total",
    NODE_FLOOR_FULL_STAGE,
    NODE_FLOOR_UPDATE_STAGE,
)


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_generator_is_deterministic(tmp_path: Path) -> None:
    a, b = BenchPaths(tmp_path / "a"), BenchPaths(tmp_path / "b")
    spec_a = generate_archive(a, 8, 1, seed=11, chunk_tickers=3)
    spec_b = generate_archive(b, 8, 1, seed=11, chunk_tickers=3)
    assert spec_a == spec_b
    assert _digest(a.root) == _digest(b.root)
    assert spec_a.history_rows == 8 * 252 and spec_a.update_rows == 8
    assert len(spec_a.history_files) == 3  # one fetch per chunk of 3 tickers
    other = BenchPaths(tmp_path / "c")
    generate_archive(other, 8, 1, seed=12, chunk_tickers=3)
    assert _digest(other.root) != _digest(a.root)


def test_held_back_sessions_are_one_daily_update_each(tmp_path: Path) -> None:
    paths = BenchPaths(tmp_path / "w")
    spec = generate_archive(paths, 6, 1, seed=2, chunk_tickers=4, update_sessions=3)
    # the three XNYS sessions after the history (2025-07-04 is a holiday)
    assert spec.update_sessions == ["2025-07-01", "2025-07-02", "2025-07-03"]
    assert spec.update_session == "2025-07-01" and spec.update_rows == 6
    history = pd.concat(pd.read_parquet(paths.archive / f) for f in spec.history_files)
    assert history["session_date"].max().isoformat() == spec.last_history_session
    held = pd.read_parquet(paths.root / "update_bars.parquet")
    assert (held["dividends"] == 0).all()  # an ex-date there would restate the history
    for number, session in enumerate(spec.update_sessions):
        bars = pd.read_parquet(paths.archive / append_update(paths, spec, number))
        assert {d.isoformat() for d in bars["session_date"]} == {session}
        assert sorted(bars["ticker"]) == sorted(held["ticker"].unique())
    # a spec of one held-back session still names it
    one = generate_archive(BenchPaths(tmp_path / "one"), 6, 1, seed=2, chunk_tickers=4)
    assert one.update_session_at(0) == "2025-07-01" and one.update_sessions == ["2025-07-01"]


def test_generator_realism(tmp_path: Path) -> None:
    paths = BenchPaths(tmp_path / "w")
    spec = generate_archive(paths, 40, 2, seed=5)
    bars = pd.concat(pd.read_parquet(paths.archive / f) for f in spec.history_files)
    universe = pd.read_csv(paths.universe_csv)
    assert {"SPY", "QQQ", "KWEB"} <= set(universe["ticker"])
    assert {"china_adr", "us_megacap"} <= set(universe["group_name"])
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["close"] > 0).all() and (bars["volume"] > 0).all()
    assert (bars["dividends"] > 0).any()  # some tickers pay, so adj_close differs from close
    wide = bars.pivot(index="session_date", columns="ticker", values="close").pct_change()
    china = universe.loc[universe["group_name"] == "china_adr", "ticker"]
    # The bloc factor makes China ADRs move together more than with an unrelated US name.
    corr = wide[list(china)].corr().to_numpy()
    assert np.nanmean(corr[np.triu_indices_from(corr, 1)]) > 0.3
    catalog = pd.read_csv(paths.event_catalog_csv)
    assert len(catalog) == spec.events == 2 * 39 * 2
    assert catalog["event_id"].is_unique and set(catalog["scope"]) <= set(universe["ticker"])


@pytest.fixture(scope="module")
def floor_and_pandas(tmp_path_factory: pytest.TempPathFactory) -> BenchPaths:
    paths = BenchPaths(tmp_path_factory.mktemp("bench") / "w")
    spec = generate_archive(paths, 6, 2, seed=3)
    assert load_archive(paths)["rows"] == spec.history_rows
    run_floor(paths.warehouse, paths.floor_db, paths.universe_csv, paths.events_parquet)
    files = [paths.archive / f for f in spec.history_files]
    run_pandas_baseline(files, paths.universe_csv, paths.events_parquet, paths.pandas_out)
    return paths


def _floor(paths: BenchPaths, table: str) -> pd.DataFrame:
    con = duckdb.connect(str(paths.floor_db), read_only=True)
    try:
        return con.execute(f"select * from {table}").df()
    finally:
        con.close()


def _both(paths: BenchPaths, name: str, keys: list[str]) -> pd.DataFrame:
    floor = _floor(paths, f"floor_{name}")
    base = pd.read_parquet(paths.pandas_out / f"{name}.parquet")
    for frame in (floor, base):
        if "session_date" in frame:
            frame["session_date"] = pd.to_datetime(frame["session_date"])
    assert len(floor) == len(base) > 0
    return floor.merge(base, on=keys, suffixes=("_floor", "_pandas"), validate="one_to_one")


def test_floor_and_pandas_agree_on_rolling_beta(floor_and_pandas: BenchPaths) -> None:
    both = _both(floor_and_pandas, "rolling_beta", ["ticker", "session_date"])
    assert both["beta_floor"].notna().sum() == both["beta_pandas"].notna().sum() > 0
    assert (both["beta_floor"].isna() == both["beta_pandas"].isna()).all()
    np.testing.assert_allclose(both["beta_floor"], both["beta_pandas"], rtol=0, atol=1e-9)
    spy = both.loc[both["ticker"] == "SPY", "beta_floor"].dropna()
    np.testing.assert_allclose(spy, 1.0, atol=1e-12)


def test_floor_and_pandas_agree_on_returns_and_market(floor_and_pandas: BenchPaths) -> None:
    both = _both(floor_and_pandas, "returns", ["ticker", "session_date"])
    for column in ("daily_return", "benchmark_return", "market_mean_return"):
        np.testing.assert_allclose(
            both[f"{column}_floor"], both[f"{column}_pandas"], rtol=0, atol=1e-12
        )


def test_floor_and_pandas_agree_on_event_study(floor_and_pandas: BenchPaths) -> None:
    fits = _both(floor_and_pandas, "event_fits", ["event_id", "ticker"])
    assert (fits["estimation_obs_floor"] == fits["estimation_obs_pandas"]).all()
    for column in ("alpha", "beta"):
        np.testing.assert_allclose(fits[f"{column}_floor"], fits[f"{column}_pandas"], atol=1e-9)
    ar = _both(floor_and_pandas, "event_ar", ["event_id", "ticker", "relative_day"])
    np.testing.assert_allclose(ar["abnormal_return_floor"], ar["abnormal_return_pandas"], atol=1e-9)
    car = _both(floor_and_pandas, "event_car", ["event_id", "ticker"])
    np.testing.assert_allclose(car["car_floor"], car["car_pandas"], atol=1e-9)
    # The injected day-0 shocks show up as abnormal returns of the right size.
    day0 = ar.loc[ar["relative_day"] == 0, "abnormal_return_floor"].abs()
    assert day0.median() > 0.02


def test_floor_and_pandas_agree_on_basket_index(floor_and_pandas: BenchPaths) -> None:
    both = _both(floor_and_pandas, "basket_index", ["basket", "session_date"])
    np.testing.assert_allclose(
        both["index_daily_rebalanced_floor"], both["index_daily_rebalanced_pandas"], atol=1e-9
    )
    first = both.sort_values("session_date").groupby("basket").head(1)
    assert (first["index_daily_rebalanced_floor"] == 100).all()


PERFORMANCE_COLUMNS = (
    "return_1w",
    "return_1m",
    "return_3m",
    "return_ytd",
    "return_1y",
    "drawdown",
    "gain_from_ytd_low",
    "gain_from_ytd_low_intraday",
    "volatility_annualized",
)


def test_floor_and_pandas_agree_on_ticker_performance(floor_and_pandas: BenchPaths) -> None:
    both = _both(floor_and_pandas, "ticker_performance", ["ticker", "session_date"])
    for column in PERFORMANCE_COLUMNS:
        floor, base = both[f"{column}_floor"], both[f"{column}_pandas"]
        assert (floor.isna() == base.isna()).all(), column
        assert floor.notna().any(), column
        np.testing.assert_allclose(floor, base, rtol=0, atol=1e-9, err_msg=column)
    # Two years of history: the 1Y return exists only in the second year.
    first = both.groupby("ticker")["session_date"].transform("min")
    first_year = both["session_date"] < first + pd.DateOffset(years=1)
    assert both.loc[first_year, "return_1y_floor"].isna().all()
    assert both.loc[~first_year, "return_1y_floor"].notna().all()


@pytest.mark.e2e
def test_floor_ticker_performance_matches_the_dbt_mart(floor_and_pandas: BenchPaths) -> None:
    """The floor computes what fct_ticker_performance holds: the bench compares like with like."""
    paths = floor_and_pandas
    prepare_project(REPO / "dbt_project", paths)
    measured = run_dbt(paths, "ticker_performance", "build", "--select", "+fct_ticker_performance")
    assert measured.returncode == 0, (paths.logs / "dbt_ticker_performance.log").read_text()[-3000:]
    con = duckdb.connect(str(paths.floor_db), read_only=True)
    try:
        con.execute(f"attach '{paths.warehouse.as_posix()}' as wh (read_only)")
        both = con.execute(
            "select * from floor_ticker_performance as f "
            "full join wh.marts.fct_ticker_performance as d using (ticker, session_date)"
        ).df()
    finally:
        con.close()
    assert len(both) == len(_floor(paths, "floor_returns")) > 0
    for column in PERFORMANCE_COLUMNS:
        floor, mart = both[column], both[f"{column}_1"]
        assert (floor.isna() == mart.isna()).all(), column
        np.testing.assert_allclose(floor, mart, rtol=0, atol=1e-12, err_msg=column)


def test_update_document_replaces_only_its_section(tmp_path: Path) -> None:
    doc = tmp_path / "BENCH.md"
    doc.write_text("# Benchmarks\n\nhand-written analysis\n")
    update_document(doc, "5x1", "first 5x1")
    update_document(doc, "500x10", "the 500x10 run")
    update_document(doc, "5x1", "second 5x1")
    text = doc.read_text()
    assert "hand-written analysis" in text and "the 500x10 run" in text
    assert "second 5x1" in text and "first 5x1" not in text
    assert text.count("<!-- bench:5x1:start -->") == 1


def _table_row(output: str, stage: str) -> list[float]:
    for line in output.splitlines():
        if line.startswith(stage + "  "):
            return [float(c.replace(",", "")) for c in line[len(stage) :].split()]
    raise AssertionError(f"no row for stage {stage!r} in:\n{output}")


@pytest.mark.e2e
def test_bench_end_to_end_tiny(tmp_path: Path) -> None:
    doc = tmp_path / "BENCHMARKS.md"
    work = tmp_path / "work"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "bench",
            "--tickers",
            "5",
            "--years",
            "2",
            "--growth-rounds",
            "1",
            "--out",
            str(work),
            "--doc",
            str(doc),
        ],
        cwd=REPO,
        env=isolated_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    saved = json.loads((tmp_path / "home" / "bench" / "bench-5x2.json").read_text())
    assert {s["stage"] for s in saved["stages"]} >= set(STAGES)
    for stage in STAGES:
        rows, wall, rate, rss = _table_row(result.stdout, stage)
        assert rows > 0 and wall > 0 and rate > 0 and rss > 0, stage
    assert _table_row(result.stdout, "load archive")[0] == 5 * 504
    assert _table_row(result.stdout, "update: load")[0] == 5
    assert "dbt build / floor SQL (wall)" in result.stdout
    # the update's longest chain ends at the last node dbt finished: one of the event-study marts
    chain = result.stdout.split("the update's longest chain: ", 1)[1]
    assert "model fct_" in chain.split("\n\n", 1)[0]
    assert _table_row(result.stdout, DBT_STARTUP_STAGE)[1] > 0  # measured, in seconds
    assert not work.exists()  # cleaned without --keep
    text = doc.read_text()
    assert "### 5 tickers x 2 years" in text and "dbt build (full)" in text
    assert "The update's longest chain" in text
    assert "adrpulse bench --tickers 5 --years 2 --growth-rounds 1" in text
    # what was measured: the code's commit, named in the JSON and the section alike
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short=7", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert saved["measured_on"]["commit"].startswith(head)
    assert f"commit {saved['measured_on']['commit']}, started " in text
    # The update growth: one round of a daily update on each side, their totals and the ratio.
    base, run = growth_stage_names(2)
    for stage in (base, run):
        rows, wall, _, rss = _table_row(result.stdout, stage)
        assert rows == 5 and wall > 0 and rss > 0, stage
    assert [r["number"] for r in saved["growth_rounds"]] == [1]
    assert saved["growth_rounds"][0]["base_first"] is True
    assert "update 2 y / update 1 y (medians of 1 rounds)" in result.stdout
    assert "[10/10] update growth" in result.stdout


def test_bench_help_lists_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "bench", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    for option in (
        "--tickers", "--years", "--out", "--keep", "--spark", "--demo-cost", "--rounds",
        "--growth-rounds",
    ):
        assert option in result.stdout
    help_text = " ".join(result.stdout.split())
    assert "adrpulse build --target spark" in help_text and "skipped" in help_text


def test_growth_rounds_are_refused_at_1_year_and_outside_their_range(tmp_path: Path) -> None:
    for argv, said in (
        (["--years", "1", "--growth-rounds", "2"], "give --years 2 or more"),
        (["--years", "20", "--growth-rounds", "10"], "--growth-rounds must be between 0 and 9"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "bench", *argv, "--doc", "-"],
            cwd=REPO, env=isolated_env(tmp_path / "home"), capture_output=True, text=True,
            timeout=120,
        )
        assert result.returncode != 0 and said in result.stderr + result.stdout, result
        assert "generating" not in result.stdout  # refused before any work


def test_spec_round_trips(tmp_path: Path) -> None:
    paths = BenchPaths(tmp_path / "w")
    spec = generate_archive(paths, 5, 1, seed=1)
    assert BenchSpec.read(paths.spec_json) == spec
