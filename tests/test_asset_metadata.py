"""The table metadata Dagster shows on warehouse assets: the column schema carries each column's
description and unit (the `unit` tag) when dbt documents them."""

from __future__ import annotations

import dagster as dg

from assets.metadata import UNIT_TAG, table_metadata
from warehouse.introspect import ColumnDoc, TableDescription


def _description() -> TableDescription:
    return TableDescription(
        schema="marts",
        name="fct_example",
        rows=2,
        columns=[("session_date", "DATE"), ("CAR", "DOUBLE"), ("note", "VARCHAR")],
        latest_date="2025-03-31",
        preview_columns=["session_date", "CAR", "note"],
        preview_rows=[("2025-03-31", 0.5, "x")],
    )


def test_column_schema_carries_descriptions_and_units() -> None:
    docs = {
        "session_date": ColumnDoc("The session.", "date"),
        "car": ColumnDoc("Cumulative abnormal return.", "fraction"),
        "note": ColumnDoc("A remark.", None),
    }
    metadata = table_metadata(_description(), docs)
    schema = metadata["dagster/column_schema"]
    assert isinstance(schema, dg.TableSchema)
    columns = {c.name: c for c in schema.columns}
    assert [c.name for c in schema.columns] == ["session_date", "CAR", "note"]
    assert (columns["CAR"].type, columns["CAR"].description) == (
        "DOUBLE", "Cumulative abnormal return."
    )
    assert columns["CAR"].tags == {UNIT_TAG: "fraction"}  # matched case-insensitively
    assert columns["session_date"].tags == {UNIT_TAG: "date"}
    assert columns["note"].description == "A remark." and columns["note"].tags == {}
    assert metadata["dagster/row_count"] == 2
    assert metadata["last_session_loaded"] == "2025-03-31"


def test_undocumented_columns_keep_name_and_type_only() -> None:
    schema = table_metadata(_description())["dagster/column_schema"]
    assert [(c.name, c.type, c.description, c.tags) for c in schema.columns] == [
        ("session_date", "DATE", None, {}),
        ("CAR", "DOUBLE", None, {}),
        ("note", "VARCHAR", None, {}),
    ]
