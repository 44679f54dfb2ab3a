"""Describing a warehouse table for people: row count, columns, latest date, a preview, and what
each column means and in which unit (from dbt's manifest)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
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


@dataclass(frozen=True)
class ColumnDoc:
    """What a column means and its unit (one of the vocabulary in dbt_project/README.md, "Units of
    the mart columns"; only mart columns are required to have one)."""

    description: str | None
    unit: str | None


# (schema, table) -> column name -> its documentation
ColumnDocs = dict[tuple[str, str], dict[str, ColumnDoc]]


def column_docs_from_manifest(manifest: Mapping[str, Any]) -> ColumnDocs:
    """The documented columns of every model, seed, snapshot and source of a dbt manifest, keyed
    by the relation they build: descriptions from the YAML, units from `config.meta.unit`."""
    docs: ColumnDocs = {}
    nodes = list(manifest.get("nodes", {}).values()) + list(manifest.get("sources", {}).values())
    for node in nodes:
        kind = node.get("resource_type")
        if kind not in ("model", "seed", "snapshot", "source"):
            continue
        table = node.get("identifier") if kind == "source" else node.get("alias")
        columns = node_column_docs(node)
        if columns:
            docs[(str(node.get("schema")), str(table or node.get("name")))] = columns
    return docs


def node_column_docs(node: Mapping[str, Any]) -> dict[str, ColumnDoc]:
    """The documented columns of one manifest node, by lower-case name."""
    columns: dict[str, ColumnDoc] = {}
    for name, column in (node.get("columns") or {}).items():
        # dbt >= 1.10 keeps `config.meta` and mirrors it to `meta`; read either
        meta = column.get("meta") or (column.get("config") or {}).get("meta") or {}
        description = (column.get("description") or "").strip() or None
        unit = meta.get("unit")
        columns[name.lower()] = ColumnDoc(description, str(unit) if unit else None)
    return columns


def read_column_docs(manifest_path: Path) -> ColumnDocs:
    """column_docs_from_manifest of a manifest.json; empty when the file does not exist (dbt has
    not parsed the project yet), so that describing or publishing never fails for want of it."""
    try:
        text = Path(manifest_path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    return column_docs_from_manifest(json.loads(text))
