"""Building a warehouse with dbt in the test process: the sample's prices loaded by the pipeline's
own loader, the reference files loaded into their raw tables as the pipeline loads them, then
`dbt build` run in-process (dbtRunner) with its artifacts in a temp folder."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import yaml

from assets.dbt_project import vars_args
from assets.reference import ReferenceFiles
from assets.reference import load_reference_files as _load_reference_files
from assets.settings import DBT_PROJECT_DIR, SAMPLE_ARCHIVE_DIR, SEEDS_DIR, Settings
from warehouse.archive import list_price_fetches
from warehouse.load import load_price_fetches
from warehouse.schema import create_raw_schema

DBT_DIR = DBT_PROJECT_DIR
SAMPLE_ARCHIVE = SAMPLE_ARCHIVE_DIR
__all__ = [
    "DBT_DIR",
    "SAMPLE_ARCHIVE",
    "SEEDS_DIR",
    "build_sample_warehouse",
    "default_reference_files",
    "invoke_dbt",
    "load_reference_files",
    "run_dbt_build",
    "unit_vocabulary",
]


def default_reference_files(**overrides: Path) -> ReferenceFiles:
    """The reference files the settings default to (the CSVs in dbt_project/seeds), with any of
    universe=, event_catalog=, news_feeds=, news_aliases= replaced."""
    defaults = {
        "universe": SEEDS_DIR / "universe.csv",
        "event_catalog": SEEDS_DIR / "event_catalog.csv",
        "news_feeds": SEEDS_DIR / "news_feeds.csv",
        "news_aliases": SEEDS_DIR / "news_aliases.csv",
    }
    return ReferenceFiles(**{**defaults, **overrides})


def load_reference_files(
    con: duckdb.DuckDBPyConnection, files: ReferenceFiles | None = None
) -> dict[str, int]:
    """What the raw reference assets do in every marts run: validate the universe, event
    catalog, feed list and alias table and load them into raw.universe, raw.event_catalog,
    raw.news_feeds and raw.news_aliases, which dbt reads. Defaults: the shipped CSVs."""
    create_raw_schema(con)
    return _load_reference_files(con, files or default_reference_files())


def load_archive_prices(con: duckdb.DuckDBPyConnection, archive_root: Path) -> int:
    """Replay the archive's price fetches into raw tables with the pipeline's own loader, and
    load the default reference files (dbt cannot build without them)."""
    create_raw_schema(con)
    load_price_fetches(con, archive_root, list_price_fetches(archive_root))
    load_reference_files(con)
    return con.execute("select count(*) from raw.daily_bars").fetchall()[0][0]


def dbt_vars_for(warehouse: Path) -> dict[str, str]:
    """The profile's vars for `warehouse`, as the pipeline computes them."""
    return Settings.from_env({"ADRPULSE_WAREHOUSE": str(warehouse)}).dbt_vars()


def invoke_dbt(args: list[str], warehouse: Path, workdir: Path):
    """Run one dbt command in-process against `warehouse`; target and logs go under `workdir`
    (never the shared dbt_project/target, which other runs may be using). A `--vars` in `args`
    is merged with the profile's vars."""
    from dbt.cli.main import dbtRunner

    args = list(args)
    dbt_vars: dict = dbt_vars_for(warehouse)
    if "--vars" in args:
        i = args.index("--vars")
        dbt_vars = {**dbt_vars, **yaml.safe_load(args[i + 1])}
        del args[i : i + 2]
    os.environ["DO_NOT_TRACK"] = "1"
    return dbtRunner().invoke(
        [
            *args,
            *vars_args(dbt_vars),
            "--project-dir", str(DBT_DIR),
            "--profiles-dir", str(DBT_DIR),
            "--target-path", str(workdir / "target"),
            "--log-path", str(workdir / "logs"),
            "--quiet",
        ]
    )


def run_dbt_build(warehouse: Path, workdir: Path, extra: list[str] | None = None) -> None:
    result = invoke_dbt(["build", *(extra or [])], warehouse, workdir)
    if not result.success:
        failures = []
        for node in getattr(result.result, "results", None) or []:
            if str(node.status) not in ("success", "pass"):
                failures.append(f"{node.node.unique_id}: {node.status} {node.message}")
        pytest.fail(f"dbt build failed: {result.exception}\n" + "\n".join(failures))


def build_sample_warehouse(
    workdir: Path,
    edit_raw: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    dbt_args: list[str] | None = None,
) -> Path:
    """Raw tables from the sample archive's price fetches, then `dbt build` (news tables empty).

    `edit_raw`, when given, changes the loaded raw tables before the build (e.g. deletes bars to
    see what the marts make of a gap); `dbt_args` go to `dbt build` (e.g. `--vars` overriding a
    setting's var)."""
    warehouse = workdir / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        assert load_archive_prices(con, SAMPLE_ARCHIVE) > 0
        if edit_raw is not None:
            edit_raw(con)
    finally:
        con.close()
    run_dbt_build(warehouse, workdir, dbt_args)
    return warehouse


def copy_of_warehouse(sample_dbt_warehouse: Path, folder: Path) -> Path:
    """A copy of the sample's built warehouse in `folder`, to break without touching the shared
    one. The copy is made through the sample's own DuckDB instance, which dbt in-process holds
    open, and detached after, since that instance outlives this connection."""
    warehouse = folder / sample_dbt_warehouse.name
    with duckdb.connect(str(sample_dbt_warehouse)) as source:
        source.execute(f"attach '{warehouse}' as copy")
        source.execute(f"copy from database {sample_dbt_warehouse.stem} to copy")
        source.execute("detach copy")
    return warehouse


def unit_vocabulary() -> set[str]:
    """The units listed in dbt_project/README.md, section "Units of the mart columns"."""
    readme = (DBT_DIR / "README.md").read_text()
    section = readme.split("## Units of the mart columns", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE))
