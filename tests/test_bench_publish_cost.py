"""The publish harness: it publishes a real warehouse into scratch folders and leaves the home's
published builds alone."""

from __future__ import annotations

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
    assert not (tmp_path / "published").exists()  # scratch folders only


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


def test_zero_rounds_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--warehouse", str(tmp_path / "w.duckdb"), "--rounds", "0"])
    assert "--rounds 0: give 1 or more" in capsys.readouterr().err
