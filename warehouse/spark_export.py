"""The raw tables as Parquet for the dbt `spark` target (`adrpulse build --target spark`).

Spark reads the same raw data the DuckDB models read: every table of the warehouse's `raw` schema
(prices, news, the loaded reference files) is written to `<raw_dir>/<table>/part-0.parquet`, one
folder per table because a Spark table's location is a folder. The dbt hook
register_spark_raw_tables (dbt_project/macros/cross_db/) registers each folder as raw.<table>.
The archive itself keeps the vendors' CSV and JSON bodies, so the warehouse's loaded raw tables,
not the archive, are the export's source.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

RAW_SCHEMA = "raw"


@dataclass(frozen=True)
class ExportedRawTable:
    name: str
    rows: int
    path: Path


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def raw_table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = ? order by 1",
            [RAW_SCHEMA],
        ).fetchall()
    ]


def export_raw_tables(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    progress: Callable[[str], object] | None = None,
) -> list[ExportedRawTable]:
    """Write every raw table to `raw_dir` from one snapshot of the warehouse. The export goes to
    a sibling folder first and replaces `raw_dir` only when every table is written, so a failed
    export leaves the previous one whole."""
    names = raw_table_names(con)
    if not names:
        raise ValueError(
            f"the warehouse has no {RAW_SCHEMA} tables: run `adrpulse demo` or `adrpulse run` "
            "first, then build the spark target"
        )
    raw_dir = Path(raw_dir)
    staging = raw_dir.with_name(raw_dir.name + ".incoming")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    exported: list[ExportedRawTable] = []
    con.execute("begin transaction").fetchall()
    try:
        for name in names:
            source = f"{_quote(RAW_SCHEMA)}.{_quote(name)}"
            (staging / name).mkdir()
            target = staging / name / "part-0.parquet"
            con.execute(
                f"copy (select * from {source}) to {_literal(target.as_posix())} (format parquet)"
            ).fetchall()
            rows = int(con.execute(f"select count(*) from {source}").fetchall()[0][0])
            exported.append(ExportedRawTable(name, rows, raw_dir / name))
            if progress is not None:
                progress(f"exported raw.{name}: {rows:,} rows")
    except BaseException:
        con.execute("rollback").fetchall()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    con.execute("commit").fetchall()
    previous = raw_dir.with_name(raw_dir.name + ".previous")
    shutil.rmtree(previous, ignore_errors=True)
    if raw_dir.exists():
        raw_dir.rename(previous)
    staging.rename(raw_dir)
    shutil.rmtree(previous, ignore_errors=True)
    return exported
