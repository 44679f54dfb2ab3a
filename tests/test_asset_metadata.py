"""The table metadata Dagster shows on warehouse assets: the column schema carries each column's
description and unit (the `unit` tag) when dbt documents them."""

from __future__ import annotations

import dagster as dg
import duckdb

from assets.mart_headlines import ADR_PREMIUM, MART_HEADLINES
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


def _premium_mart(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_adr_premium (adr_ticker varchar, home_ticker varchar, "
        "session_date date, adr_close double, home_close_same_day double, hkd_per_usd double, "
        "shares_per_ads double, premium_same_day double, premium_next_session double, "
        "premium_zscore double, lead_lag_beta double)"
    )
    if rows:
        con.executemany(
            "insert into marts.fct_adr_premium values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
    return con


def test_the_premium_mart_shows_each_pairs_latest_premium_in_the_ui() -> None:
    """The metadata MART_HEADLINES attaches to marts.fct_adr_premium after a build: one row per
    pair from its latest session with a premium (144 / (128 x 8 / 8) - 1 = +12.5%), an unusual
    z named."""
    con = _premium_mart([
        ("BABA", "9988.HK", "2025-03-27", 130.0, 120.0, 7.8, 8, -0.1, None, None, None),
        ("BABA", "9988.HK", "2025-03-28", 144.0, 128.0, 8.0, 8, 0.125, 0.5, 2.5, 0.9),
        ("BABA", "9988.HK", "2025-03-31", 140.0, None, 8.0, 8, None, None, None, None),
        ("JD", "9618.HK", "2025-03-31", 40.0, 155.0, 7.75, 2, 0.0, None, -0.5, None),
    ])
    metadata = MART_HEADLINES[ADR_PREMIUM](con)

    assert metadata["latest_premium_session"] == "2025-03-31"
    assert metadata["pairs_with_premium"] == 2
    assert metadata["unusual_premiums"].value == ["BABA"]
    table = metadata["latest_premiums"]
    assert isinstance(table, dg.MarkdownMetadataValue)
    assert table.value.splitlines()[2:] == [
        "| BABA | 9988.HK | 2025-03-28 | 144.00 | 128.00 | 8.0000 | 8 | +12.50% | +2.50 "
        "| +50.00% |",
        "| JD | 9618.HK | 2025-03-31 | 40.00 | 155.00 | 7.7500 | 2 | +0.00% | -0.50 |  |",
    ]


def test_the_premium_metadata_says_why_it_is_empty() -> None:
    metadata = MART_HEADLINES[ADR_PREMIUM](_premium_mart([]))
    assert metadata == {"latest_premiums": "no pair has prices for both lines and HKD=X yet"}
