"""Publishing marts for readers: a consistent build, swapped atomically, old builds pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from warehouse.publish import CATALOG_NAME, KEEP_BUILDS, open_published, publish


def make_warehouse(path: Path, value: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    con.execute("create schema if not exists reference")
    con.execute(
        "create or replace table marts.fct_example as select range as id, ? as v from range(5)",
        [value],
    )
    con.execute("create or replace table reference.universe as select 'BABA' as ticker")
    con.execute("create schema if not exists staging")
    con.execute("create or replace table staging.not_published as select 1 as x")
    return con


def test_publish_exposes_marts_and_reference_only(tmp_path: Path) -> None:
    con = make_warehouse(tmp_path / "w.duckdb", 1)
    result = publish(con, tmp_path / "published")
    con.close()
    assert {(t.schema, t.name, t.rows) for t in result.tables} == {
        ("marts", "fct_example", 5),
        ("reference", "universe", 1),
    }
    reader = open_published(tmp_path / "published")
    assert reader.execute("select sum(v) from marts.fct_example").fetchall() == [(5,)]
    with pytest.raises(duckdb.Error):
        reader.execute("select * from staging.not_published").fetchall()
    reader.close()


def test_a_reader_keeps_its_build_while_a_new_one_is_published(tmp_path: Path) -> None:
    con = make_warehouse(tmp_path / "w.duckdb", 1)
    publish(con, tmp_path / "published", now=datetime(2025, 1, 1, tzinfo=UTC))
    reader = open_published(tmp_path / "published")
    con.execute("update marts.fct_example set v = 2")
    publish(con, tmp_path / "published", now=datetime(2025, 1, 2, tzinfo=UTC))
    # The open reader still sees the build it opened; a new reader sees the new one.
    assert reader.execute("select distinct v from marts.fct_example").fetchall() == [(1,)]
    fresh = open_published(tmp_path / "published")
    assert fresh.execute("select distinct v from marts.fct_example").fetchall() == [(2,)]
    reader.close()
    fresh.close()
    con.close()


def test_old_builds_are_pruned(tmp_path: Path) -> None:
    con = make_warehouse(tmp_path / "w.duckdb", 1)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(KEEP_BUILDS + 2):
        publish(con, tmp_path / "published", now=start + timedelta(hours=i))
    con.close()
    builds = sorted(p.name for p in (tmp_path / "published" / "builds").iterdir())
    assert len(builds) == KEEP_BUILDS
    assert (tmp_path / "published" / CATALOG_NAME).exists()


def test_nothing_published_yet_names_the_next_step(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="adrpulse demo"):
        open_published(tmp_path / "published")
