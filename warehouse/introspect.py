"""Describing a warehouse table for people: row count, columns, latest date, a preview."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

DATE_COLUMNS = ("session_date", "date", "day_zero", "as_of_date")


@dataclass(frozen=True)
class TableDescription:
    schema: str
    name: str
    rows: int
    columns: list[tuple[str, str]]  # (name, DuckDB type)
    latest_date: str | None
    preview_columns: list[str]
    preview_rows: list[tuple[Any, ...]]


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def describe_table(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, preview: int = 5
) -> TableDescription | None:
    """None when the relation does not exist (e.g. a model dbt skipped)."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? and table_catalog = current_database() "
        "order by ordinal_position",
        [schema, name],
    ).fetchall()
    if not columns:
        return None
    relation = f"{_q(schema)}.{_q(name)}"
    rows = int(con.execute(f"select count(*) from {relation}").fetchall()[0][0])
    names = [c[0] for c in columns]
    latest = None
    for candidate in DATE_COLUMNS:
        if candidate in names:
            value = con.execute(f"select max({_q(candidate)}) from {relation}").fetchall()[0][0]
            latest = None if value is None else str(value)
            break
    shown = names[:8]
    sample = con.execute(
        f"select {', '.join(_q(c) for c in shown)} from {relation} limit {int(preview)}"
    ).fetchall()
    return TableDescription(
        schema, name, rows, [(c[0], c[1]) for c in columns], latest, shown, sample
    )


def markdown_preview(desc: TableDescription) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.6g}"
        return "" if v is None else str(v).replace("|", "\\|")[:40]

    head = "| " + " | ".join(desc.preview_columns) + " |"
    rule = "| " + " | ".join("---" for _ in desc.preview_columns) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in desc.preview_rows]
    more = len(desc.columns) - len(desc.preview_columns)
    note = f"\n\n{desc.rows:,} rows" + (f"; {more} more columns not shown" if more > 0 else "")
    return "\n".join([head, rule, *body]) + note
