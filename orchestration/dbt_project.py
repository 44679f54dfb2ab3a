"""Where the dbt project is, and keeping its manifest current.

dagster-dbt builds assets from dbt's manifest.json. `DbtProject.prepare_if_dev()` only refreshes it
under `dagster dev`, so ADR Pulse checks it itself whenever the definitions load: if any model,
seed, macro, test or project file is newer than the manifest, `dbt parse` runs once (~3 s).
"""

from __future__ import annotations

import os
import subprocess
import sys
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


class VenvDbtCliResource(DbtCliResource):
    """DbtCliResource that reads dbt's version from the installed dbt-core package.

    dagster-dbt learns which dbt it drives by running `dbt --version` in a subprocess before the
    first command of every run: a second dbt start-up, about 2.5 s of each `make demo` and daily
    run (docs/BENCHMARKS.md). When the executable is the dbt of this Python environment, the
    package metadata gives the same answer without starting it.
    """

    @cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable) == Path(sys.executable).with_name("dbt"):
            return Version(installed_version("dbt-core"))
        return super()._cli_version


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
