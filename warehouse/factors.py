"""Loading imported daily factor files (archive kind `factors`) into raw.daily_factors.

The file is parsed above this layer (assets/factors/fama_french.py); this module stores what the
parser returned, once per import and in one transaction with the import's id, so loading the
same archive twice leaves the tables identical. A later import replaces the dates it holds
(a newer download of the library restates recent days) and leaves the others as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from warehouse.archive import FactorImportManifest
from warehouse.rows import insert_rows
from warehouse.schema import RAW_SCHEMA, REBUILD_SCHEMA

# The order of a row handed to load_factor_import, as in raw.daily_factors without fetch_id.
FACTOR_ROW_COLUMNS: tuple[str, ...] = ("factor_date", "mkt_rf", "smb", "hml", "rmw", "cma", "rf")


@dataclass(frozen=True)
class FactorLoadStats:
    fetch_id: str
    rows: int
    skipped: bool  # loaded earlier


def _schema(schema: str) -> str:
    if schema not in (RAW_SCHEMA, REBUILD_SCHEMA):
        raise ValueError(f"unknown raw schema {schema!r}")
    return schema


def loaded_factor_import_ids(
    con: duckdb.DuckDBPyConnection, schema: str = RAW_SCHEMA
) -> set[str]:
    return {
        r[0]
        for r in con.execute(f"select fetch_id from {_schema(schema)}.factor_imports").fetchall()
    }


def load_factor_import(
    con: duckdb.DuckDBPyConnection,
    manifest: FactorImportManifest,
    rows: Sequence[tuple[object, ...]],
    schema: str = RAW_SCHEMA,
) -> FactorLoadStats:
    """Store one import's rows (FACTOR_ROW_COLUMNS order) and record the import, all or nothing."""
    schema = _schema(schema)
    if manifest.fetch_id in loaded_factor_import_ids(con, schema):
        return FactorLoadStats(manifest.fetch_id, len(rows), skipped=True)
    columns = ", ".join(FACTOR_ROW_COLUMNS)
    con.execute("begin transaction")
    try:
        con.execute(
            "create or replace temp table staged_factors as "
            f"select * from {schema}.daily_factors limit 0"
        )
        insert_rows(
            con,
            f"insert into staged_factors ({columns}, fetch_id)",
            [(*row, manifest.fetch_id) for row in rows],
        )
        con.execute(
            f"delete from {schema}.daily_factors where factor_date in "
            "(select factor_date from staged_factors)"
        )
        con.execute(f"insert into {schema}.daily_factors select * from staged_factors")
        con.execute(
            f"insert into {schema}.factor_imports values (?, ?, ?, ?, ?, ?, ?)",
            [
                manifest.fetch_id,
                manifest.fetched_at_dt,
                manifest.manifest_file,
                manifest.model,
                manifest.rows,
                manifest.first_date,
                manifest.last_date,
            ],
        )
        con.execute("drop table staged_factors")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return FactorLoadStats(manifest.fetch_id, len(rows), skipped=False)
