"""The bench's targets (issue 19): each printed with its verdict at the size it is set for."""

from __future__ import annotations

from pathlib import Path

from orchestration.tools.benchmark.harness import DBT_STARTUP_STAGE, BenchResult, StageRow
from orchestration.tools.benchmark.report import (
    ratio_table,
    ratios,
    save_result,
    saved_update_seconds,
)
from orchestration.tools.benchmark.spec import BenchSpec

# stage -> (wall seconds, peak RSS MB): the full build is 1.8x the floor and 0.9x pandas.
WALL = {
    "generate archive": (5.0, 500.0),
    "load archive": (3.0, 300.0),
    "load floor (read_parquet)": (2.0, 200.0),
    "dbt build (full)": (18.0, 1000.0),
    "floor SQL (uncapped)": (9.0, 500.0),
    "floor SQL": (10.0, 500.0),
    "pandas baseline": (16.2, 3000.0),
    "price checks": (4.0, 300.0),
    "update: load": (1.0, 150.0),
    "update: price checks": (2.0, 200.0),
    "update: dbt build": (12.0, 600.0),
    "update: total": (15.0, 600.0),
    DBT_STARTUP_STAGE: (9.0, 200.0),
}


def bench_result(tickers: int, years: int) -> BenchResult:
    spec = BenchSpec(tickers, years, 1, 250, "2015-07-01", "2025-06-30", "2025-07-01", 10, 1, 1, [])
    stages = [StageRow(name, 10, wall, rss) for name, (wall, rss) in WALL.items()]
    return BenchResult(tickers=tickers, years=years, spec=spec, stages=stages)


def verdicts(result: BenchResult, one_year: float | None = None) -> dict[tuple[str, str], object]:
    return {(r.name, r.target): r.met for r in ratios(result, one_year)}


def test_the_small_size_is_judged_by_its_own_targets() -> None:
    got = verdicts(bench_result(500, 10))
    assert got[("dbt build / floor SQL (wall)", "<= 2")] is True  # 1.8x
    assert got[("dbt build / floor SQL (wall)", "<= 1.3")] is None  # a 5,000 x 20 target
    assert got[("pandas / dbt build (wall)", ">= 1")] is False  # 0.9: slower than pandas
    assert got[("pandas / dbt build (wall)", ">= 3.5")] is None
    # 15 s of update against 9 s of bare start-up: 6 s over, the target allows 5.
    assert got[("update total - dbt bare start-up (s)", "<= 5")] is False
    assert got[("pipeline peak RSS (max stage, MB)", "< 4096")] is True


def test_the_large_size_is_judged_by_its_own_targets() -> None:
    got = verdicts(bench_result(5000, 20))
    assert got[("dbt build / floor SQL (wall)", "<= 2")] is None
    assert got[("dbt build / floor SQL (wall)", "<= 1.3")] is False
    assert got[("pandas / dbt build (peak RSS)", ">= 2.5")] is True  # 3000 / 1000
    assert got[("update total - dbt bare start-up (s)", "<= 5")] is None
    # Without a saved 1-year run there is no update-growth figure at all.
    assert not any(name.startswith("update at 20 y") for name, _ in got)


def test_the_20_year_update_is_set_against_the_saved_1_year_run(tmp_path: Path) -> None:
    one_year = bench_result(5000, 1)
    save_result(one_year, tmp_path, "2026-12-02")
    seconds = saved_update_seconds(tmp_path, 5000, 1)
    assert seconds == 15.0
    assert saved_update_seconds(tmp_path, 500, 1) is None  # another size: nothing to compare
    got = verdicts(bench_result(5000, 20), seconds)
    assert got[("update at 20 y / update at 1 y (5000 tickers)", "<= 1.3")] is True  # 1.0x
    table = ratio_table(bench_result(5000, 20), seconds)
    assert "target at" in table.splitlines()[0]
    assert "5000x20" in table and "500x10" in table


def test_a_damaged_saved_run_gives_no_comparison(tmp_path: Path) -> None:
    (tmp_path / "bench-5000x1.json").write_text("{not json")
    assert saved_update_seconds(tmp_path, 5000, 1) is None


def test_a_run_whose_dbt_build_failed_meets_no_target() -> None:
    # The 5,000 x 20 round of 2026-12-02: two marts failed in the update, yet its peak RSS and
    # memory ratio would have read "yes". A figure timed on unfinished work meets nothing.
    result = bench_result(5000, 20)
    assert verdicts(result)[("pandas / dbt build (peak RSS)", ">= 2.5")] is True
    result.dbt_failures.append(
        "update: model.adrpulse.fct_performance_summary error: Out of Memory Error"
    )
    got = verdicts(result)
    assert got[("pandas / dbt build (peak RSS)", ">= 2.5")] is False
    assert got[("pipeline peak RSS (max stage, MB)", "< 4096")] is False
    assert got[("dbt build / floor SQL (wall)", "<= 2")] is None  # still no verdict off-size
    table = ratio_table(result)
    assert "NO (dbt failed)" in table


def test_a_failed_node_is_reported_with_the_database_message(tmp_path: Path) -> None:
    import json

    from orchestration.tools.benchmark.dbt_runner import node_timings
    from orchestration.tools.benchmark.harness import _dbt_failures

    run_results = tmp_path / "run_results.json"
    run_results.write_text(json.dumps({"results": [
        {"unique_id": "model.adrpulse.fct_a", "status": "success", "execution_time": 2.0},
        {"unique_id": "model.adrpulse.fct_b", "status": "error", "execution_time": 9.0,
         "message": "Out of Memory Error: failed to allocate\n  data chunk (3.0 GiB/3.0 GiB used)"},
        {"unique_id": "test.adrpulse.t_b", "status": "skipped", "execution_time": 0.0},
    ]}))
    assert _dbt_failures(node_timings(run_results), "update") == [
        "update: model.adrpulse.fct_b error: Out of Memory Error: failed to allocate data chunk "
        "(3.0 GiB/3.0 GiB used)",
        "update: test.adrpulse.t_b skipped",
    ]
