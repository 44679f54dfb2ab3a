"""Run the project's real dbt models at bench scale: a copy of dbt_project/ against the bench
warehouse, whose raw reference tables hold the bench universe and event catalog.

The copy keeps every model, macro, test and seed of the project; the bench's universe.csv and
event_catalog.csv (with an empty feed list and alias table: the bench has no news) are validated
and loaded into raw.universe, raw.event_catalog, raw.news_feeds and raw.news_aliases by the
pipeline's own loader (assets/reference.py). dbt runs there as a subprocess exactly as the
pipeline runs it (`dbt build`), against the bench warehouse.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.dbt_project import dbt_executable, dbt_quiet_env, stock_dbt_executable, vars_args
from assets.settings import Settings
from orchestration.tools.benchmark.measure import Measured, run_measured
from orchestration.tools.benchmark.workdir import BenchPaths

# A selector that matches no node: dbt starts, parses, connects and has nothing to run.
NOTHING_SELECTOR = "tag:bench_selects_nothing"
# Build artefacts of the source project that must not leak into the bench copy.
_SKIP = ("target", "logs", "dbt_packages", ".user.yml")


@dataclass(frozen=True)
class NodeTiming:
    unique_id: str
    status: str
    seconds: float
    # dbt's message for the node: on an error, what the database said (e.g. out of memory).
    message: str = ""


def copy_project(source: Path, target: Path) -> Path:
    """A clean copy of a dbt project (no target/, logs/ or packages)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*_SKIP))
    return target


def load_bench_reference(paths: BenchPaths) -> dict[str, int]:
    """The bench universe and event catalog (no feeds, no aliases) into the raw reference
    tables of the bench warehouse, as the pipeline's raw/reference assets load them."""
    from assets.news.feeds import FEED_COLUMNS
    from assets.news.tagging import ALIAS_COLUMNS
    from assets.reference import ReferenceFiles, load_reference_files
    from warehouse.schema import create_raw_schema

    feeds = paths.universe_csv.with_name("news_feeds.csv")
    aliases = paths.universe_csv.with_name("news_aliases.csv")
    feeds.write_text(",".join(FEED_COLUMNS) + "\n")
    aliases.write_text(",".join(ALIAS_COLUMNS) + "\n")
    files = ReferenceFiles(paths.universe_csv, paths.event_catalog_csv, feeds, aliases)
    con = duckdb.connect(str(paths.warehouse))
    try:
        create_raw_schema(con)
        return load_reference_files(con, files)
    finally:
        con.close()


def prepare_project(source: Path, paths: BenchPaths) -> Path:
    """Copy the dbt project into the work folder and load the bench reference files."""
    target = copy_project(source, paths.dbt_project)
    load_bench_reference(paths)
    return target


def dbt_argv(warehouse: Path, *args: str, stock: bool = False) -> list[str]:
    """`dbt <args>` against `warehouse`, with the profile's vars as the pipeline passes them
    (the memory cap from ADRPULSE_DUCKDB_MEMORY_LIMIT, as in a pipeline build), run as the
    pipeline runs dbt (assets/dbt_launcher.py); stock: with dbt's own `dbt` script, for the
    yardsticks of dbt's start-up, which hold the tool's cost, not ours."""
    settings = Settings.from_env({**os.environ, "ADRPULSE_WAREHOUSE": str(warehouse)})
    executable = stock_dbt_executable() if stock else dbt_executable()
    return [executable, *args, "--profiles-dir", ".", *vars_args(settings.dbt_vars())]


def bench_settings(paths: BenchPaths, *, spark: bool = False) -> Settings:
    """The settings a pipeline would run with on the bench warehouse; with spark, its home is
    the spark stages' own folder (paths.spark_home)."""
    environ = {**os.environ, "ADRPULSE_WAREHOUSE": str(paths.warehouse)}
    if spark:
        environ["ADRPULSE_HOME"] = str(paths.spark_home)
    return Settings.from_env(environ)


def spark_dbt_argv(paths: BenchPaths) -> list[str]:
    """What `adrpulse build --target spark` runs (assets/spark_target.spark_dbt_command), in
    the bench project copy: its own target and log folders, so the DuckDB build's compiled SQL
    (read by the profile of the slowest model) is kept."""
    from assets.spark_target import SPARK_BUILD_ARGS

    return [
        dbt_executable(),
        *SPARK_BUILD_ARGS,
        *vars_args(bench_settings(paths, spark=True).spark_dbt_vars()),
        "--profiles-dir", ".",
        "--target-path", "target_spark",
        "--log-path", "logs_spark",
    ]


def run_spark_dbt(paths: BenchPaths) -> Measured:
    """The spark build in the bench project; run_results.json kept as dbt_spark_run_results."""
    measured = run_measured(
        spark_dbt_argv(paths), paths.logs / "dbt_spark.log", env=dbt_quiet_env(),
        cwd=paths.dbt_project,
    )
    results = paths.dbt_project / "target_spark" / "run_results.json"
    if results.exists():
        paths.results.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(results, paths.results / "dbt_spark_run_results.json")
    return measured


def run_dbt(paths: BenchPaths, label: str, *args: str, stock: bool = False) -> Measured:
    """`dbt <args> --profiles-dir .` in the bench project; run_results.json kept as <label>."""
    measured = run_measured(
        dbt_argv(paths.warehouse, *args, stock=stock),
        paths.logs / f"dbt_{label}.log",
        env=dbt_quiet_env(),
        cwd=paths.dbt_project,
    )
    results = paths.dbt_project / "target" / "run_results.json"
    if results.exists():
        paths.results.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(results, paths.results / f"dbt_{label}_run_results.json")
    return measured


def node_timings(run_results: Path) -> list[NodeTiming]:
    """Per node (model, seed, test) execution time from a run_results.json, slowest first."""
    payload = json.loads(run_results.read_text())
    timings = [
        NodeTiming(
            r["unique_id"],
            r["status"],
            float(r.get("execution_time") or 0.0),
            " ".join(str(r.get("message") or "").split()),
        )
        for r in payload.get("results", [])
    ]
    return sorted(timings, key=lambda t: t.seconds, reverse=True)


def compiled_sql(paths: BenchPaths, model: str) -> str | None:
    """The compiled SQL of a model (target/compiled/...), or None if dbt did not compile it."""
    matches = list((paths.dbt_project / "target" / "compiled").rglob(f"{model}.sql"))
    return matches[0].read_text() if matches else None
