"""Where the dbt project is, and keeping its manifest current.

dagster-dbt builds assets from dbt's manifest.json. `DbtProject.prepare_if_dev()` only refreshes it
under `dagster dev`, so ADR Pulse checks it itself whenever the definitions load: if any model,
seed, macro, test or project file is newer than the manifest, `dbt parse` runs once (~3 s).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from orchestration.settings import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

_WATCHED = ("models", "seeds", "macros", "tests", "snapshots", "analyses")


def _newest_source_mtime(project_dir: Path) -> float:
    newest = max(
        (project_dir / name).stat().st_mtime
        for name in ("dbt_project.yml", "profiles.yml")
        if (project_dir / name).exists()
    )
    for folder in _WATCHED:
        root = project_dir / folder
        if root.exists():
            for path in root.rglob("*"):
                if path.is_file():
                    newest = max(newest, path.stat().st_mtime)
    return newest


def manifest_is_stale(project: DbtProject = DBT_PROJECT) -> bool:
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        return True
    return manifest.stat().st_mtime < _newest_source_mtime(Path(project.project_dir))


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


class SubprocessDbtCliResource(DbtCliResource):
    """DbtCliResource that starts dbt once per command: as the `dbt build` subprocess itself.

    Before every command dagster-dbt (0.29) also ran `dbt --version` in a subprocess, to learn
    which dbt it drives, and loaded the dbt project and a DuckDB adapter in-process: 2.5 s and
    1.8 s of every run (docs/BENCHMARKS.md). Here the version comes from the installed dbt-core
    package when the executable is this environment's dbt, and no in-process adapter is made: it
    only serves dagster-dbt's fetch_row_counts / fetch_column_metadata, which ADR Pulse does not
    use (they would query the warehouse while dbt holds DuckDB's single writer lock; row counts
    and schemas are read after dbt exits, in assets/dbt_models.py).
    """

    @cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable) == Path(sys.executable).with_name("dbt"):
            return Version(installed_version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def ensure_manifest(project: DbtProject = DBT_PROJECT, env: dict[str, str] | None = None) -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project's files."""
    if manifest_is_stale(project):
        result = subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--profiles-dir", str(project.profiles_dir)],
            cwd=project.project_dir,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"`dbt parse` failed in {project.project_dir}:\n{result.stdout}\n{result.stderr}"
            )
    return Path(project.manifest_path)
