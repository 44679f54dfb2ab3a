"""Publishing marts for readers: a consistent build, swapped atomically, old builds pruned."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from warehouse.introspect import ColumnDoc, read_column_docs
from warehouse.publish import CATALOG_NAME, DBT_MANIFEST, KEEP_BUILDS, open_published, publish


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


def test_published_columns_carry_their_unit_and_description(tmp_path: Path) -> None:
    con = make_warehouse(tmp_path / "w.duckdb", 1)
    docs = {("marts", "fct_example"): {"v": ColumnDoc("The value, as counted.", "count")}}
    result = publish(con, tmp_path / "published", column_docs=docs)
    con.close()
    by_name = {(c.table, c.name): c for c in result.columns}
    assert set(by_name) == {("fct_example", "id"), ("fct_example", "v"), ("universe", "ticker")}
    assert (by_name["fct_example", "v"].unit, by_name["fct_example", "v"].description) == (
        "count", "The value, as counted."
    )
    assert by_name["fct_example", "id"].unit is None  # undocumented: published with nulls
    assert by_name["fct_example", "id"].data_type == "bigint"

    # readers get them as a table (adrpulse sql, open_published) ...
    reader = open_published(tmp_path / "published")
    rows = reader.execute(
        "select table_name, column_name, ordinal_position, data_type, unit, description "
        "from published_columns order by 1, 3"
    ).fetchall()
    reader.close()
    assert rows == [
        ("fct_example", "id", 1, "bigint", None, None),
        ("fct_example", "v", 2, "integer", "count", "The value, as counted."),
        ("universe", "ticker", 1, "varchar", None, None),
    ]
    # ... and tools that open the catalog file see them as column comments
    catalog = duckdb.connect(str(tmp_path / "published" / CATALOG_NAME), read_only=True)
    comments = dict(catalog.execute(
        "select column_name, comment from duckdb_columns() "
        "where schema_name = 'marts' and table_name = 'fct_example'"
    ).fetchall())
    stored = catalog.execute("select count(*) from main.published_columns").fetchall()[0][0]
    catalog.close()
    assert comments == {"id": None, "v": "The value, as counted. (unit: count)"}
    assert stored == 3


def test_column_docs_are_read_from_a_dbt_manifest(tmp_path: Path) -> None:
    manifest = {
        "nodes": {
            "model.p.fct_example": {
                "resource_type": "model", "schema": "marts", "alias": "fct_example",
                "name": "fct_example",
                "columns": {
                    # dbt >= 1.10 writes config.meta (and mirrors it to meta)
                    "v": {"description": " The value. ", "config": {"meta": {"unit": "count"}}},
                    "id": {"description": "", "meta": {}},
                },
            },
            "test.p.not_null": {"resource_type": "test", "schema": "marts", "columns": {}},
        },
        "sources": {
            "source.p.raw.fetches": {
                "resource_type": "source", "schema": "raw", "identifier": "price_fetches",
                "name": "price_fetches",
                "columns": {"fetch_id": {"description": "The fetch.", "meta": {}}},
            }
        },
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    docs = read_column_docs(path)
    assert docs == {
        ("marts", "fct_example"): {
            "v": ColumnDoc("The value.", "count"),
            "id": ColumnDoc(None, None),
        },
        ("raw", "price_fetches"): {"fetch_id": ColumnDoc("The fetch.", None)},
    }
    assert read_column_docs(tmp_path / "missing.json") == {}
    # publish reads the project's manifest by default: it names the dbt project's target folder
    assert DBT_MANIFEST.parts[-3:] == ("dbt_project", "target", "manifest.json")
