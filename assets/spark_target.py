"""The dbt `spark` target: `adrpulse build --target spark` (docs/scaling.md).

The models tagged `spark` (those made portable with the macros of dbt_project/macros/cross_db/)
are built by dbt-spark's session method in a local Spark, from the warehouse's raw tables exported
as Parquet (warehouse/spark_export.py), into Parquet tables under ADRPULSE_HOME/spark/warehouse.
The DuckDB warehouse is only read. Spark is an optional extra: `spark_unavailable` says what is
missing before anything starts.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assets.dbt_project import dbt_executable, dbt_project, prepare_dbt_manifest, vars_args
from assets.settings import DBT_PROJECT_DIR, Settings
from warehouse.connection import warehouse_connection
from warehouse.spark_export import ExportedRawTable, export_raw_tables

SPARK_TAG = "spark"
# What the spark build runs: the portable models, the seeds they read and the data tests of those
# models. Cautious indirect selection keeps out a test that also reads a model not built on Spark
# (a relationships test to a DuckDB-only mart). dbt's unit tests run on DuckDB only; the parity
# test compares the Spark tables with DuckDB's.
SPARK_BUILD_ARGS = (
    "build",
    "--target", "spark",
    "--select", f"tag:{SPARK_TAG}",
    "--indirect-selection", "cautious",
    "--exclude-resource-type", "unit_test",
)


def spark_unavailable() -> str | None:
    """Why the spark target cannot run here (None: it can), with the next step."""
    missing = [
        package
        for package, module in (("pyspark", "pyspark"), ("dbt-spark", "dbt.adapters.spark"))
        if _find_spec(module) is None
    ]
    if missing:
        return (
            f"the Spark extra is not installed ({', '.join(missing)} missing): run "
            "`make setup-spark` (or `pip install -r requirements-spark.lock`), then try again"
        )
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and Path(java_home, "bin", "java").exists()):
        return (
            "no Java runtime found (PySpark starts a JVM): install Java 17 (Debian: "
            "`apt-get install openjdk-17-jre-headless`) or set JAVA_HOME, then try again"
        )
    return None


def _find_spec(module: str) -> object | None:
    try:
        return importlib.util.find_spec(module)
    except ModuleNotFoundError:  # a parent package (dbt.adapters) is missing
        return None


@dataclass(frozen=True)
class PortableModels:
    """The project's models and those tagged `spark` (unique ids, sorted)."""

    tagged: tuple[str, ...]
    total: int


def portable_models(manifest_path: Path) -> PortableModels:
    nodes = json.loads(Path(manifest_path).read_text())["nodes"].values()
    models = [n for n in nodes if n["resource_type"] == "model"]
    tagged = sorted(n["unique_id"] for n in models if SPARK_TAG in n["tags"])
    return PortableModels(tuple(tagged), len(models))


def spark_dbt_command(settings: Settings) -> list[str]:
    target = settings.dbt_target_dir / "spark"
    return [
        dbt_executable(),
        *SPARK_BUILD_ARGS,
        *vars_args(settings.spark_dbt_vars()),
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target / "target"),
        "--log-path", str(target / "logs"),
    ]


@dataclass(frozen=True)
class SparkBuild:
    returncode: int
    exported: tuple[ExportedRawTable, ...]
    models: PortableModels
    spark_log: Path


def build_on_spark(settings: Settings, say: Callable[[str], object]) -> SparkBuild:
    """Export the raw tables, then `dbt build` the portable models on the spark target. dbt's
    progress lines go to `say` as they come; Spark's own log (JVM warnings) goes to
    ADRPULSE_HOME/spark/spark.log."""
    prepare_dbt_manifest(settings)
    models = portable_models(Path(dbt_project().manifest_path))
    with warehouse_connection(settings.warehouse_path, read_only=True) as con:
        exported = export_raw_tables(con, settings.spark_dir / "raw", progress=say)
    settings.spark_dir.mkdir(parents=True, exist_ok=True)
    spark_log = settings.spark_dir / "spark.log"
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    with spark_log.open("w") as log:
        process = subprocess.Popen(
            spark_dbt_command(settings),
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
            cwd=settings.spark_dir,  # anything Spark writes to its working folder stays here
        )
        assert process.stdout is not None
        for line in process.stdout:
            say(line.rstrip("\n"))
        returncode = process.wait()
    return SparkBuild(returncode, tuple(exported), models, spark_log)
