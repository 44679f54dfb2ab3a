"""The publish harness: it publishes a real warehouse into scratch folders and leaves the home's
published builds alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.tools.benchmark.publish_cost import main, measure_publish


def _warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create schema reference")
    con.execute("create table marts.fct_example as select range as id, 2 as v from range(5)")
    con.execute("create table reference.universe as select 'BABA' as ticker")
    con.close()
    return path


def test_each_round_publishes_every_table_and_column(tmp_path: Path) -> None:
    cost = measure_publish(_warehouse(tmp_path / "w.duckdb"), rounds=2)
    assert (cost.tables, cost.columns, len(cost.seconds)) == (2, 3, 2)
    assert all(s > 0 for s in cost.seconds)
    # scratch folders only: nothing written beside the warehouse, which was opened read-only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def test_the_table_names_the_warehouse_and_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb")
    assert main(["--warehouse", str(warehouse), "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert f"Publishing {warehouse}: 2 tables, 3 columns (median of 1 rounds" in out
    assert "publish s, median" in out


def test_a_missing_warehouse_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere.duckdb"):
        measure_publish(tmp_path / "nowhere.duckdb", rounds=1)


def test_a_missing_or_busy_warehouse_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--warehouse", str(tmp_path / "nowhere.duckdb"), "--rounds", "1"]) == 2
    assert "nowhere.duckdb does not exist yet" in capsys.readouterr().err
    warehouse = _warehouse(tmp_path / "w.duckdb")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('held', flush=True); time.sleep(60)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert main(["--warehouse", str(warehouse), "--rounds", "1"]) == 2
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert err.startswith(f"publish_cost: the warehouse {warehouse} is in use by another process")
    assert "Traceback" not in err


def test_zero_rounds_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--warehouse", str(tmp_path / "w.duckdb"), "--rounds", "0"])
    assert "--rounds 0: give 1 or more" in capsys.readouterr().err
