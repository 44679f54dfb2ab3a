"""`adrpulse bench --spark`: the dbt build on the spark target timed after the DuckDB stages, set
beside DuckDB's time for the same nodes; skipped with its reason where Spark or Java is missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.tools.benchmark.dbt_runner import NodeTiming
from orchestration.tools.benchmark.harness import (
    SPARK_BUILD_STAGE,
    SPARK_EXPORT_STAGE,
    BenchResult,
    StageRow,
    _spark_stages,
)
from orchestration.tools.benchmark.report import (
    SPARK_PEAK_NOTE,
    markdown_section,
    save_result,
    spark_figures,
    spark_table,
    text_report,
)
from orchestration.tools.benchmark.spec import BenchSpec
from orchestration.tools.benchmark.workdir import BenchPaths
from tests.support.cli import isolated_env

REPO = Path(__file__).resolve().parent.parent


def _result(spark: bool = True) -> BenchResult:
    spec = BenchSpec(20, 1, 1, 5040, "2025-01-02", "2025-12-31", "2026-01-02", 20, 1, 1, [])
    result = BenchResult(tickers=20, years=1, spec=spec, spark_requested=spark)
    result.stages = [
        StageRow("dbt build (full)", 5040, 20.0, 260.0),
        StageRow(SPARK_EXPORT_STAGE, 5122, 3.0, 200.0),
        StageRow(SPARK_BUILD_STAGE, 5060, 180.0, 1500.0),
    ]
    result.full_build_models = [
        NodeTiming("model.adrpulse.fct_duckdb_only", "success", 4.0),
        NodeTiming("model.adrpulse.fct_portable", "success", 2.5),
        NodeTiming("model.adrpulse.stg_portable", "success", 1.0),
        NodeTiming("seed.adrpulse.calendar", "success", 0.5),
        NodeTiming("test.adrpulse.not_null_fct_portable", "pass", 0.25),
        NodeTiming("test.adrpulse.only_on_duckdb", "pass", 3.0),
    ]
    result.spark_build_models = [
        NodeTiming("model.adrpulse.fct_portable", "success", 30.0),
        NodeTiming("model.adrpulse.stg_portable", "success", 10.0),
        NodeTiming("seed.adrpulse.calendar", "success", 5.0),
        NodeTiming("test.adrpulse.not_null_fct_portable", "pass", 2.0),
    ]
    return result


def test_the_duckdb_time_is_that_of_the_nodes_the_spark_build_ran() -> None:
    figures = spark_figures(_result())
    assert figures["duckdb_same_node_seconds"] == 2.5 + 1.0 + 0.5 + 0.25
    assert figures["duckdb_same_models"] == figures["spark_models_built"] == 2
    assert figures["duckdb_same_nodes"] == figures["spark_nodes"] == 4
    assert figures["duckdb_models_built"] == 3 and figures["duckdb_nodes"] == 6
    assert figures["spark_node_seconds"] == 47.0
    assert figures["spark_wall_seconds"] == 180.0 and figures["spark_peak_rss_mb"] == 1500.0


def test_a_failed_spark_model_is_not_counted_as_built() -> None:
    result = _result()
    result.spark_build_models[1] = NodeTiming("model.adrpulse.stg_portable", "error", 1.0, "boom")
    assert spark_figures(result)["spark_models_built"] == 1


def test_the_spark_table_is_aligned_and_in_the_report() -> None:
    result = _result()
    lines = spark_table(result).splitlines()
    assert len(lines) == 5
    # Numbers are right-aligned: every column ends where its rule ends (the DuckDB row of the
    # same nodes has no wall time, so it ends one column earlier).
    rule_ends = _word_ends(lines[1])
    assert _word_ends(lines[2])[-4:] == _word_ends(lines[4])[-4:] == rule_ends[-4:], lines
    assert lines[3].rstrip().endswith("4.25") and _word_ends(lines[3])[-1] == rule_ends[-2]
    assert lines[4].startswith(SPARK_BUILD_STAGE) and lines[4].split()[-1] == "180.0"
    report = text_report_without_ratios(result)
    assert spark_table(result) in report and SPARK_PEAK_NOTE in report


def _word_ends(line: str) -> list[int]:
    return [i + 1 for i, c in enumerate(line) if c != " " and line[i + 1 : i + 2] in (" ", "")]


def text_report_without_ratios(result: BenchResult) -> str:
    # text_report needs every stage for its ratios; those it cannot compute it leaves out.
    result.full_build_models.sort(key=lambda t: t.seconds, reverse=True)
    return text_report(result)


def test_the_saved_run_holds_the_spark_figures(tmp_path: Path) -> None:
    path = save_result(_result(), tmp_path, "2026-12-02")
    saved = json.loads(path.read_text())
    assert saved["spark"]["spark_models_built"] == 2
    assert saved["spark"]["duckdb_same_node_seconds"] == 4.25
    assert SPARK_BUILD_STAGE in {s["stage"] for s in saved["stages"]}
    without = save_result(_result(spark=False), tmp_path / "b", "2026-12-02")
    assert "spark" not in json.loads(without.read_text())


def test_without_java_the_spark_stages_are_skipped_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no `java` on it
    monkeypatch.delenv("JAVA_HOME", raising=False)
    result = _result()
    result.stages = result.stages[:1]
    result.spark_build_models = []
    said: list[str] = []
    _spark_stages(result, BenchPaths(tmp_path / "work"), said.append)
    assert [row.stage for row in result.stages] == ["dbt build (full)"]
    assert "Spark stages skipped: no Java runtime found" in result.spark_skipped
    assert said == [result.spark_skipped]
    assert result.spark_skipped in text_report_without_ratios(result)
    section = markdown_section(result, "adrpulse bench --spark", "2026-12-02", {})
    assert "Spark stages skipped: no Java runtime found" in section
    saved = json.loads(save_result(result, tmp_path, "2026-12-02").read_text())
    assert saved["spark"] == {"skipped": result.spark_skipped}


def test_bench_spark_end_to_end_tiny(tmp_path: Path) -> None:
    work = tmp_path / "work"
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "bench", "--tickers", "20", "--years", "1",
         "--spark", "--doc", "-", "--keep", "--out", str(work)],
        cwd=REPO,
        env=isolated_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    saved = json.loads((tmp_path / "home" / "bench" / "bench-20x1.json").read_text())
    stages = {s["stage"]: s for s in saved["stages"]}
    assert stages[SPARK_EXPORT_STAGE]["rows"] > 20 * 252  # daily_bars and the reference tables
    spark = saved["spark"]
    assert spark["spark_failures"] == []
    assert spark["spark_models_built"] == spark["duckdb_same_models"] > 0
    assert spark["spark_nodes"] == spark["duckdb_same_nodes"]
    # every model is portable now: the spark build runs the DuckDB build's nodes, all of them
    assert spark["duckdb_same_models"] == spark["duckdb_models_built"]
    assert 0 < spark["duckdb_same_node_seconds"] <= spark["duckdb_node_seconds"]
    # The JVM, not only dbt's Python, is in the peak: a JVM of a local Spark holds far more than
    # the ~300 MB of the dbt process of a DuckDB build.
    assert spark["spark_peak_rss_mb"] > 2 * stages["dbt build (full)"]["peak_rss_mb"]
    # The spark build kept the DuckDB build's compiled SQL (the slowest model's profile reads it).
    assert (work / "dbt_project" / "target_spark" / "run_results.json").exists()
    assert SPARK_BUILD_STAGE in result.stdout and SPARK_PEAK_NOTE in result.stdout
