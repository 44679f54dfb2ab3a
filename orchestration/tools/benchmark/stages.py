"""The stages that run in their own child process:
`python -m orchestration.tools.benchmark.stages STAGE ROOT`.

Each writes results/STAGE.json with what it processed ({"rows": ...}); the harness times the
process from outside (orchestration.tools.benchmark.measure), so nothing here measures itself.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from orchestration.tools.benchmark.spec import BenchSpec
from orchestration.tools.benchmark.workdir import BenchPaths

# Each stage imports what it needs inside it, so a child pays only for its own imports (the
# load floor, for one, needs nothing but duckdb).


def load_archive(paths: BenchPaths) -> dict[str, Any]:
    """warehouse.load over every archived fetch not loaded yet, as the pipeline replays it."""
    from warehouse.archive import list_price_fetches
    from warehouse.load import load_price_fetch
    from warehouse.schema import create_raw_schema

    con = duckdb.connect(str(paths.warehouse))
    try:
        create_raw_schema(con)
        rows = fetches = 0
        for manifest in list_price_fetches(paths.archive):
            stats = load_price_fetch(con, paths.archive, manifest)
            if not stats.skipped:
                rows += stats.rows
                fetches += 1
    finally:
        con.close()
    return {"rows": rows, "fetches": fetches}


def load_floor(paths: BenchPaths) -> dict[str, Any]:
    """A bare read_parquet of the same archived history files into a table."""
    spec = BenchSpec.read(paths.spec_json)
    files = [(paths.archive / f).as_posix() for f in spec.history_files]
    paths.load_floor_db.unlink(missing_ok=True)
    con = duckdb.connect(str(paths.load_floor_db))
    try:
        con.execute("create table daily_bars as select * from read_parquet(?)", [files]).fetchall()
        rows = con.execute("select count(*) from daily_bars").fetchall()[0][0]
    finally:
        con.close()
    return {"rows": int(rows)}


def price_checks(paths: BenchPaths) -> dict[str, Any]:
    """The price checks of the first run over the loaded history: every bar. The same call
    as the daily_bars_checks asset check (assets/prices/checks.py), watermark included."""
    from assets.prices.checks import run_price_checks
    from assets.universe import universe_tickers

    spec = BenchSpec.read(paths.spec_json)
    con = duckdb.connect(str(paths.warehouse))
    try:
        rows = con.execute("select count(*), max(session_date) from raw.daily_bars").fetchall()[0]
        run = run_price_checks(con, universe_tickers(paths.universe_csv), rows[1])
    finally:
        con.close()
    return {
        "rows": int(rows[0]),
        "as_of": date.isoformat(rows[1]),
        "history_end": spec.last_history_session,
        "checks": _check_figures(run),
    }


def _check_figures(run: Any) -> dict[str, Any]:
    return {
        o.result.name: {
            "passed": o.result.passed,
            "severity": o.result.severity,
            "failing_rows": o.result.failing_rows,
        }
        for o in run.outcomes
    }


def price_checks_after_update(paths: BenchPaths) -> dict[str, Any]:
    """The daily run's price checks: the same call as the asset check, which once the history
    has passed reads only the update fetch's bars (assets/prices/check_scope.py)."""
    from assets.prices.checks import run_price_checks
    from assets.universe import universe_tickers

    con = duckdb.connect(str(paths.warehouse))
    try:
        as_of = con.execute("select max(session_date) from raw.daily_bars").fetchall()[0][0]
        run = run_price_checks(con, universe_tickers(paths.universe_csv), as_of)
    finally:
        con.close()
    return {
        "rows": int(run.scope.get("rows_in_scope", 0)),
        "scope": run.scope["scope"],
        "checks": _check_figures(run),
    }


def _floor(paths: BenchPaths, memory_limit: str | None) -> dict[str, Any]:
    from orchestration.tools.benchmark.floor_sql import run_floor

    rows = run_floor(
        paths.warehouse, paths.floor_db, paths.universe_csv, paths.events_parquet, memory_limit
    )
    return {"rows": rows, "memory_limit": memory_limit}


def floor(paths: BenchPaths) -> dict[str, Any]:
    """The floor under the dbt build's DuckDB memory cap (ADRPULSE_DUCKDB_MEMORY_LIMIT), the
    like-for-like reference: the cap is what keeps the build under its 4 GB peak."""
    from assets.settings import Settings

    return _floor(paths, Settings.from_env().duckdb_memory_limit)


def floor_uncapped(paths: BenchPaths) -> dict[str, Any]:
    """The same floor with DuckDB's default memory limit (80% of RAM), for reference."""
    return _floor(paths, None)


def pandas_baseline(paths: BenchPaths) -> dict[str, Any]:
    from orchestration.tools.benchmark.pandas_baseline import run_pandas_baseline

    spec = BenchSpec.read(paths.spec_json)
    files = [paths.archive / f for f in spec.history_files]
    rows = run_pandas_baseline(files, paths.universe_csv, paths.events_parquet, paths.pandas_out)
    return {"rows": rows}


def spark_export(paths: BenchPaths) -> dict[str, Any]:
    """The raw tables of the bench warehouse as Parquet for the spark target, as
    `adrpulse build --target spark` exports them first (warehouse/spark_export.py)."""
    from orchestration.tools.benchmark.dbt_runner import bench_settings
    from warehouse.spark_export import export_raw_tables

    raw_dir = bench_settings(paths, spark=True).spark_dir / "raw"
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        exported = export_raw_tables(con, raw_dir)
    finally:
        con.close()
    return {"rows": sum(t.rows for t in exported), "tables": {t.name: t.rows for t in exported}}


STAGES: dict[str, Callable[[BenchPaths], dict[str, Any]]] = {
    "load": load_archive,
    "load_floor": load_floor,
    "checks": price_checks,
    "checks_update": price_checks_after_update,
    "floor": floor,
    "floor_uncapped": floor_uncapped,
    "pandas": pandas_baseline,
    "spark_export": spark_export,
}


def result_path(paths: BenchPaths, stage: str) -> Path:
    return paths.results / f"{stage}.json"


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in STAGES:
        print(
            f"usage: python -m orchestration.tools.benchmark.stages {{{','.join(STAGES)}}} ROOT",
            file=sys.stderr,
        )
        return 2
    stage, paths = argv[1], BenchPaths(Path(argv[2]))
    result = STAGES[stage](paths)
    paths.results.mkdir(parents=True, exist_ok=True)
    result_path(paths, stage).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
