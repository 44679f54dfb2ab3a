"""Where the dbt project is, keeping its manifest current, and the dbt resource.

dagster-dbt builds assets from dbt's manifest.json. Importing this module does nothing: the
`DbtProject` comes from a cached factory, and the manifest is prepared by `prepare_dbt_manifest`,
which the CLI commands and `make setup` call (and the definitions call under `dagster dev`, as
dagster-dbt's `prepare_if_dev()` does). It runs `dbt parse` only when a model, seed, macro, test
or project file is newer than the manifest (~3 s).

The dbt profile reads the warehouse path and memory cap from dbt vars (`Settings.dbt_vars()`),
passed on every command line, so dbt never needs an environment variable set for it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from functools import cached_property, lru_cache
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from assets.settings import DBT_PROJECT_DIR, Settings

_WATCHED = ("models", "seeds", "macros", "tests", "snapshots", "analyses")
# Per-run dbt artifact folders kept under ADRPULSE_HOME/dbt/runs (each is several MB).
KEEP_RUN_TARGETS = 5
# dbt's saved parse state (dagster_dbt's PARTIAL_PARSE_FILE_NAME)
PARTIAL_PARSE_FILE = "partial_parse.msgpack"


@lru_cache(maxsize=1)
def dbt_project() -> DbtProject:
    """The dbt project beside the Python packages (reads dbt_project.yml; writes nothing)."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


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


def manifest_is_stale(project: DbtProject | None = None) -> bool:
    project = project or dbt_project()
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        return True
    return manifest.stat().st_mtime < _newest_source_mtime(Path(project.project_dir))


# The console script of assets/dbt_launcher.py (pyproject.toml), installed beside `dbt`.
DBT_LAUNCHER = "adrpulse-dbt"


def stock_dbt_executable() -> str:
    """dbt's own `dbt` script of this environment (the benchmark's yardstick of dbt's start-up)."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_executable() -> str:
    """What every dbt command of ADR Pulse runs: dbt's command line through the launcher, which
    keeps Python's garbage collector off dbt's manifest (about 1.5 s of a build of the sample,
    assets/dbt_launcher.py). dbt's own script where the project was installed without it."""
    launcher = Path(sys.executable).with_name(DBT_LAUNCHER)
    return str(launcher) if launcher.exists() else stock_dbt_executable()


# dbt's unit tests test the SQL, not the data: they run in `make test` (every build of the sample
# in tests/ includes them), not in every pipeline build, as dbt's own guidance says. Data tests
# (the asset checks) still run on every build. The benchmark builds with the same arguments.
PIPELINE_BUILD_EXCLUDES = ("--exclude-resource-type", "unit_test")


def vars_args(dbt_vars: dict[str, Any]) -> list[str]:
    return ["--vars", json.dumps(dbt_vars, sort_keys=True)]


def prepare_dbt_manifest(settings: Settings, project: DbtProject | None = None) -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project's files."""
    project = project or dbt_project()
    if manifest_is_stale(project):
        result = subprocess.run(
            [
                dbt_executable(),
                "parse",
                "--quiet",
                "--profiles-dir",
                str(project.profiles_dir),
                *vars_args(settings.dbt_vars()),
            ],
            cwd=project.project_dir,
            env=dbt_quiet_env(),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"`dbt parse` failed in {project.project_dir}:\n{result.stdout}\n{result.stderr}"
            )
    return Path(project.manifest_path)


def dbt_quiet_env() -> dict[str, str]:
    """The caller's environment, plus what keeps dbt from calling home."""
    # dbt asks the network for usage tracking unless told not to (there is none here).
    return {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


# The private dagster-dbt methods overridden below, and the releases they were checked against.
# Outside these releases the resource behaves exactly as DbtCliResource (tests/test_dbt_resource.py
# checks that the methods still exist with the expected signatures).
_CHECKED_DAGSTER_DBT = ("0.29",)


def _private_overrides_apply() -> bool:
    release = installed_version("dagster-dbt")
    return any(release == v or release.startswith(v + ".") for v in _CHECKED_DAGSTER_DBT)


class AdrPulseDbtCliResource(DbtCliResource):
    """DbtCliResource that starts dbt once per command, passes our vars, and keeps its per-run
    artifacts under ADRPULSE_HOME instead of the repository.

    Before every command dagster-dbt 0.29 also runs `dbt --version` in a subprocess, to learn
    which dbt it drives, and loads the dbt project and a DuckDB adapter in-process: 2.5 s and
    1.8 s of every run (docs/BENCHMARKS.md). Here the version comes from the installed dbt-core
    package when the executable is this environment's dbt, and no in-process adapter is made: it
    only serves dagster-dbt's fetch_row_counts / fetch_column_metadata, which ADR Pulse does not
    use (they would query the warehouse while dbt holds DuckDB's single writer lock; row counts
    and schemas are read after dbt exits, in assets/dbt_models.py). Both overrides are private
    API, so they apply only on the dagster-dbt releases they were checked against.
    """

    # `Settings.dbt_vars()` as JSON: the settings declare which vars dbt gets, so a new var is
    # added in one place (a JSON string, because Dagster resource config must be serializable).
    dbt_vars_json: str
    target_root: str

    @classmethod
    def from_settings(
        cls, settings: Settings, executable: str | None = None
    ) -> AdrPulseDbtCliResource:
        return cls(
            project_dir=dbt_project(),
            dbt_executable=executable or dbt_executable(),
            dbt_vars_json=json.dumps(settings.dbt_vars(), sort_keys=True),
            target_root=str(settings.dbt_target_dir),
        )

    def dbt_vars(self) -> dict[str, Any]:
        return json.loads(self.dbt_vars_json)

    def with_vars(self, args: Sequence[str]) -> list[str]:
        return [*args, *vars_args(self.dbt_vars())]

    def run_target_path(self, run_id: str) -> Path:
        """A fresh artifact folder for this run, holding the dbt parse state of the newest run
        of this home; the oldest beyond KEEP_RUN_TARGETS are pruned.

        dagster-dbt would copy dbt_project/target's parse state, which `make setup` wrote with
        the vars of the home it ran for. In any other home (the warehouse path is a var and is
        in the profile) dbt rejected it and parsed the whole project on every run (about 7 s,
        docs/BENCHMARKS.md). The state of this home's last run has this home's vars; dbt still
        re-parses whatever changed since (files by hash, vars, profile), and dagster-dbt copies
        nothing over a state already there.
        """
        runs = Path(self.target_root) / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        previous = sorted(
            (p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime
        )
        pruned = max(len(previous) - (KEEP_RUN_TARGETS - 1), 0)
        for old in previous[:pruned]:
            shutil.rmtree(old, ignore_errors=True)
        target = runs / run_id
        # manifest.json is written after the parse state: a run that has it left a whole state
        state = next(
            (
                p / PARTIAL_PARSE_FILE
                for p in reversed(previous[pruned:])
                if (p / PARTIAL_PARSE_FILE).exists() and (p / "manifest.json").exists()
            ),
            None,
        )
        if state is not None:
            target.mkdir(exist_ok=True)
            shutil.copyfile(state, target / PARTIAL_PARSE_FILE)
        return target

    @cached_property
    def _cli_version(self) -> Version:
        ours = {Path(sys.executable).with_name(name) for name in ("dbt", DBT_LAUNCHER)}
        if _private_overrides_apply() and Path(self.dbt_executable) in ours:
            return Version(installed_version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        if _private_overrides_apply():
            return None
        return super()._initialize_dbt_core_adapter(args)
