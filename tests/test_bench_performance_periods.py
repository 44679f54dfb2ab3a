"""The performance_periods harness on the sample's dbt build: the variant it times without
since_inception is the model's own SQL less exactly that period's rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.tools.benchmark import performance_periods
from orchestration.tools.benchmark.workdir import BenchPaths
from tests.support.dbt import copy_of_warehouse


def _bench_root(sample_dbt_warehouse: Path, root: Path) -> BenchPaths:
    """A work folder laid out as `adrpulse bench --keep` leaves it: the warehouse, and dbt's
    compiled SQL under dbt_project/target."""
    paths = BenchPaths(root)
    copy_of_warehouse(sample_dbt_warehouse, root)
    shutil.copytree(
        sample_dbt_warehouse.parent / "target" / "compiled",
        paths.dbt_project / "target" / "compiled",
    )
    return paths


def test_the_harness_times_the_model_with_and_without_since_inception(
    sample_dbt_warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _bench_root(sample_dbt_warehouse, tmp_path)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        stored = dict(con.execute(
            "select period = 'since_inception', count(*) "
            "from marts.fct_performance_summary group by all"
        ).fetchall())

    timings = performance_periods.time_periods(paths, rounds=2, memory_limit="1GB")

    assert stored[True] > 0
    assert timings.rows_with == stored[True] + stored[False]
    assert timings.rows_without == stored[False]
    assert len(timings.seconds_with) == len(timings.seconds_without) == 2

    assert performance_periods.main([str(paths.root), "--rounds", "1"]) == 0
    printed = capsys.readouterr().out
    assert f"as built                    {timings.rows_with:>6}" in printed
    assert f"without since_inception     {timings.rows_without:>6}" in printed
    assert "since_inception's share of the model:" in printed


def test_the_harness_refuses_sql_without_the_condition_it_removes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no longer has the since_inception condition"):
        performance_periods.without_inception("select 1 where period_anchors.period = 'ytd'")
    with pytest.raises(SystemExit) as refused:
        performance_periods.main([str(tmp_path)])
    assert refused.value.code == 2  # no warehouse in the folder: argparse's usage error
