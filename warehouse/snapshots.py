"""Loading archived snapshots of Yahoo's per-ticker quote endpoints into the raw tables.

Two kinds (warehouse/archive.py SNAPSHOT_KINDS), each loaded once per fetch, in one transaction
with the fetch's id, so loading the same archive twice leaves the tables identical:

- `analyst`: yfinance's `Ticker.upgrades_downgrades` frames. Yahoo sends a ticker's whole history
  every time, so rows upsert on the natural key (ticker, graded_at, firm); within one file a
  repeated key keeps its last row.
- `valuation`: yfinance's `Ticker.info` dicts. The valuation fields are read with
  `clean_valuation_fields`: a field that is missing (from an info that has other valuation fields)
  or makes no sense (a string, a boolean, NaN, 'Infinity', a negative multiple, a recommendation
  outside 1..5) is stored as NULL and named in `invalid_fields`, which the
  raw/valuation_snapshots asset check reports as a WARN. One row per (ticker, session): a later
  snapshot of the same session replaces it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from warehouse.archive import ArchiveFileError, SnapshotFetchManifest, check_snapshot_data
from warehouse.rows import insert_rows
from warehouse.schema import RAW_SCHEMA, REBUILD_SCHEMA

# Yahoo's info key -> raw column, and what a sensible value is.
#   positive: > 0 (a multiple of a loss-maker is undefined, and Yahoo sends it negative)
#   non_negative: >= 0;  rating: 1..5;  count: a whole number >= 0
VALUATION_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("marketCap", "market_cap", "positive"),
    ("trailingPE", "trailing_pe", "positive"),
    ("forwardPE", "forward_pe", "positive"),
    ("priceToSalesTrailing12Months", "price_to_sales", "positive"),
    ("priceToBook", "price_to_book", "positive"),
    ("enterpriseToEbitda", "ev_to_ebitda", "positive"),
    ("dividendYield", "dividend_yield", "non_negative"),
    ("targetMeanPrice", "target_mean_price", "positive"),
    ("recommendationMean", "recommendation_mean", "rating"),
    ("numberOfAnalystOpinions", "analyst_count", "count"),
)

# raw.valuation_snapshots' columns, in the order the loader gives them.
VALUATION_SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "ticker",
    "session_date",
    "fetched_at",
    *(column for _, column, _ in VALUATION_FIELDS),
    "currency",
    "invalid_fields",
    "fetch_id",
)

# Columns of the archived analyst frame: yfinance's names (its index reset to a column).
ANALYST_SOURCE_COLUMNS: dict[str, tuple[str, str]] = {
    # raw column: (archived column, type)
    "to_grade": ("ToGrade", "varchar"),
    "from_grade": ("FromGrade", "varchar"),
    "action": ("Action", "varchar"),
    "price_target_action": ("priceTargetAction", "varchar"),
    "current_price_target": ("currentPriceTarget", "double"),
    "prior_price_target": ("priorPriceTarget", "double"),
}
ANALYST_KEY_COLUMNS = ("ticker", "GradeDate", "Firm")
# Yahoo leaves the dividend yield out for a company that pays none: NULL, but not reported.
SILENT_WHEN_MISSING = frozenset({"dividendYield"})


@dataclass(frozen=True)
class SnapshotLoadStats:
    fetch_id: str
    rows: int
    skipped: bool  # loaded earlier


def _schema(schema: str) -> str:
    if schema not in (RAW_SCHEMA, REBUILD_SCHEMA):
        raise ValueError(f"unknown raw schema {schema!r}")
    return schema


def loaded_snapshot_fetch_ids(
    con: duckdb.DuckDBPyConnection, kind: str, schema: str = RAW_SCHEMA
) -> set[str]:
    table = {"analyst": "analyst_fetches", "valuation": "valuation_fetches"}[kind]
    return {r[0] for r in con.execute(f"select fetch_id from {_schema(schema)}.{table}").fetchall()}


def clean_valuation_fields(info: dict[str, Any]) -> tuple[dict[str, float | int | None], list[str]]:
    """The valuation columns of one ticker's info, and '<key>: <why>' for each that is NULL.

    An info without any valuation key (an ETF, an index) has nothing to value: its columns are
    NULL and no field is reported missing, so the check warns about real gaps only; nor is a
    missing dividend yield (Yahoo leaves it out for a company that pays none)."""
    values: dict[str, float | int | None] = {}
    problems: list[str] = []
    if not any(key in info for key, _, _ in VALUATION_FIELDS):
        return {column: None for _, column, _ in VALUATION_FIELDS}, []
    for key, column, rule in VALUATION_FIELDS:
        value, why = _clean_number(info.get(key), rule)
        values[column] = value
        if why and not (why == "missing" and key in SILENT_WHEN_MISSING):
            problems.append(f"{key}: {why}")
    return values, problems


def _clean_number(raw: Any, rule: str) -> tuple[float | int | None, str | None]:
    if raw is None:
        return None, "missing"
    # bool is an int to Python; a True P/E is no P/E. Strings (even '12.5' or 'Infinity') are
    # refused too: Yahoo's numbers come as JSON numbers, a string means something went wrong.
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None, f"{raw!r} is not a number"
    value = float(raw)
    if not math.isfinite(value):
        return None, f"{raw!r} is not a finite number"
    if rule == "positive" and value <= 0:
        return None, f"{raw!r} is not positive (undefined)"
    if rule == "non_negative" and value < 0:
        return None, f"{raw!r} is negative"
    if rule == "rating" and not 1 <= value <= 5:
        return None, f"{raw!r} is outside 1..5"
    if rule == "count":
        if value < 0 or value != int(value):
            return None, f"{raw!r} is not a count"
        return int(value), None
    return value, None


def _record_fetch(
    con: duckdb.DuckDBPyConnection, table: str, manifest: SnapshotFetchManifest
) -> None:
    con.execute(
        f"insert into {table} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            manifest.fetch_id,
            manifest.source,
            manifest.fetched_at_dt,
            manifest.manifest_file,
            manifest.session_date,
            manifest.tickers,
            manifest.failed_tickers,
            manifest.rows,
            manifest.synthetic,
        ],
    )


def _already(con: duckdb.DuckDBPyConnection, table: str, fetch_id: str) -> bool:
    return bool(
        con.execute(f"select count(*) from {table} where fetch_id = ?", [fetch_id]).fetchall()[0][0]
    )


def stage_analyst_fetch(
    con: duckdb.DuckDBPyConnection, archive_root: Path, manifest: SnapshotFetchManifest
) -> int:
    """Check an archived analyst fetch against its manifest and stage its rows, in the raw
    table's shape, as the temp table `staged_actions`; return the file's row count."""
    path = check_snapshot_data(archive_root, manifest, "analyst")

    def bad(problem: str) -> ArchiveFileError:
        return ArchiveFileError(path, problem, fetch_id=manifest.fetch_id, kind="analyst")

    try:
        described = con.execute("describe select * from read_parquet(?)", [str(path)])
        present = {r[0] for r in described.fetchall()}
    except duckdb.Error as exc:
        raise bad(f"cannot be read as parquet: {exc}") from exc
    missing = [c for c in ANALYST_KEY_COLUMNS if c not in present]
    if missing and manifest.rows:
        raise bad(f"lacks the columns {missing} of yfinance's upgrades_downgrades frame")
    con.execute("drop table if exists staged_actions")
    if not manifest.rows:
        typed = ", ".join(f"{col} {typ}" for col, (_, typ) in ANALYST_SOURCE_COLUMNS.items())
        con.execute(
            "create temp table staged_actions "
            f"(ticker varchar, graded_at timestamptz, firm varchar, {typed})"
        )
        return 0
    # A column yfinance did not send (Yahoo drops price targets for some firms) is NULL.
    optional = ", ".join(
        f'try_cast("{src}" as {typ}) as {col}' if src in present else f"null::{typ} as {col}"
        for col, (src, typ) in ANALYST_SOURCE_COLUMNS.items()
    )
    rows = int(
        con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchall()[0][0]
    )
    if rows != manifest.rows:
        raise bad(
            f"has {rows:,} rows, its manifest {manifest.manifest_file} says {manifest.rows:,}: "
            "the file was truncated or changed after it was archived"
        )
    # GradeDate is naive UTC in yfinance's frame (pd.to_datetime of epoch seconds).
    con.execute(
        f"""
        create temp table staged_actions as
        select upper(trim(ticker::varchar)) as ticker,
               timezone('UTC', "GradeDate"::timestamp) as graded_at,
               trim("Firm"::varchar) as firm,
               {optional}
        from read_parquet(?, file_row_number = true)
        where "GradeDate" is not null and nullif(trim("Firm"::varchar), '') is not null
        qualify row_number() over (
            partition by upper(trim(ticker::varchar)), "GradeDate", trim("Firm"::varchar)
            order by file_row_number desc
        ) = 1
        """,
        [str(path)],
    )
    return rows


def load_analyst_fetch(
    con: duckdb.DuckDBPyConnection,
    archive_root: Path,
    manifest: SnapshotFetchManifest,
    schema: str = RAW_SCHEMA,
) -> SnapshotLoadStats:
    """Load one archived analyst fetch into `schema`'s tables, unless it was loaded before."""
    s = _schema(schema)
    if _already(con, f"{s}.analyst_fetches", manifest.fetch_id):
        return SnapshotLoadStats(manifest.fetch_id, 0, skipped=True)
    stage_analyst_fetch(con, archive_root, manifest)
    columns = "ticker, graded_at, firm, " + ", ".join(ANALYST_SOURCE_COLUMNS)
    con.execute("begin transaction")
    try:
        con.execute(
            f"insert or replace into {s}.analyst_actions ({columns}, fetch_id) "
            f"select {columns}, ? from staged_actions",
            [manifest.fetch_id],
        )
        _record_fetch(con, f"{s}.analyst_fetches", manifest)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    rows = int(con.execute("select count(*) from staged_actions").fetchall()[0][0])
    con.execute("drop table if exists staged_actions")
    return SnapshotLoadStats(manifest.fetch_id, rows, skipped=False)


def read_valuation_fetch(
    archive_root: Path, manifest: SnapshotFetchManifest
) -> dict[str, dict[str, Any]]:
    """The archived {ticker: info} object, once it matches its manifest."""
    path = check_snapshot_data(archive_root, manifest, "valuation")

    def bad(problem: str) -> ArchiveFileError:
        return ArchiveFileError(path, problem, fetch_id=manifest.fetch_id, kind="valuation")

    try:
        payload = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad(f"is not valid JSON ({exc})") from exc
    if not isinstance(payload, dict) or not all(isinstance(v, dict) for v in payload.values()):
        raise bad("is not a JSON object of {ticker: info}")
    if len(payload) != manifest.rows:
        raise bad(
            f"holds {len(payload)} tickers, its manifest {manifest.manifest_file} says "
            f"{manifest.rows}"
        )
    if manifest.session_date is None:
        raise bad(f"its manifest {manifest.manifest_file} names no session_date")
    return payload


def load_valuation_fetch(
    con: duckdb.DuckDBPyConnection,
    archive_root: Path,
    manifest: SnapshotFetchManifest,
    schema: str = RAW_SCHEMA,
) -> SnapshotLoadStats:
    """Load one archived valuation fetch into `schema`'s tables, unless it was loaded before."""
    s = _schema(schema)
    if _already(con, f"{s}.valuation_fetches", manifest.fetch_id):
        return SnapshotLoadStats(manifest.fetch_id, 0, skipped=True)
    payload = read_valuation_fetch(archive_root, manifest)
    columns = [column for _, column, _ in VALUATION_FIELDS]
    rows = []
    for ticker, info in sorted(payload.items()):
        values, problems = clean_valuation_fields(info)
        currency = info.get("currency")
        rows.append(
            [
                ticker.strip().upper(),
                manifest.session_date,
                manifest.fetched_at_dt,
                *(values[c] for c in columns),
                currency if isinstance(currency, str) else None,
                problems,
                manifest.fetch_id,
            ]
        )
    names = ", ".join(VALUATION_SNAPSHOT_COLUMNS)
    con.execute("begin transaction")
    try:
        # One row per ticker: the fetch asked each normalised ticker once (assets/analysts/fetch.py)
        insert_rows(con, f"insert or replace into {s}.valuation_snapshots ({names})", rows)
        _record_fetch(con, f"{s}.valuation_fetches", manifest)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return SnapshotLoadStats(manifest.fetch_id, len(rows), skipped=False)


def load_snapshot_fetch(
    con: duckdb.DuckDBPyConnection,
    archive_root: Path,
    kind: str,
    manifest: SnapshotFetchManifest,
    schema: str = RAW_SCHEMA,
) -> SnapshotLoadStats:
    if kind == "analyst":
        return load_analyst_fetch(con, archive_root, manifest, schema)
    if kind == "valuation":
        return load_valuation_fetch(con, archive_root, manifest, schema)
    raise ValueError(f"unknown snapshot kind {kind!r}")
