"""Replacing the raw reference tables (raw.universe, raw.event_catalog, raw.news_feeds,
raw.news_aliases) with the rows of the files the user points to.

All four are replaced in one transaction: a dbt build never sees the universe of one file and the
event catalog of another, and a failure leaves the previous rows as they were. The rows arrive
validated (assets/reference.py); this module only stores them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb
import pandas as pd

from warehouse.schema import REFERENCE_TABLES


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'raw' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def replace_reference_tables(
    con: duckdb.DuckDBPyConnection, rows: Mapping[str, Sequence[Sequence[object]]]
) -> dict[str, int]:
    """Replace each named raw reference table's rows (tuples in the table's column order);
    return the row count per table."""
    unknown = sorted(set(rows) - set(REFERENCE_TABLES))
    if unknown:
        raise ValueError(f"not reference tables: {unknown}")
    frames = {}
    for table in REFERENCE_TABLES:
        if table in rows:
            columns = _columns(con, table)
            frames[table] = pd.DataFrame(list(rows[table]), columns=columns, dtype=object)
    counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        for table, frame in frames.items():
            con.execute(f"delete from raw.{table}")
            con.register("reference_rows", frame)
            try:
                # By name: the frame holds Python objects; DuckDB casts each to the column type.
                con.execute(f"insert into raw.{table} by name select * from reference_rows")
            finally:
                con.unregister("reference_rows")
            counts[table] = len(frame)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return counts
