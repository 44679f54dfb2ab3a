"""Shared fixtures. The expensive one, `demo_home`, runs the real `adrpulse demo` once per session
in a temporary ADRPULSE_HOME: the CLI, Dagster, dbt, the checks and publishing, all offline."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DemoRun:
    home: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.home / "published"


def isolated_env(home: Path, dagster_home: Path | None = None) -> dict[str, str]:
    """The environment of a process using `home` as ADRPULSE_HOME and nothing from the caller's
    own ADR Pulse or Dagster state."""
    env = {
        **os.environ,
        "ADRPULSE_HOME": str(home),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    for name in ("DAGSTER_HOME", "ADRPULSE_WAREHOUSE"):
        env.pop(name, None)
    if dagster_home is not None:
        env["DAGSTER_HOME"] = str(dagster_home)
    return env


def run_cli(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = isolated_env(home)
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    home = tmp_path_factory.mktemp("adrpulse_home")
    result = run_cli(home, "demo")
    return DemoRun(home, result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="session")
def demo_home(demo_run: DemoRun) -> Path:
    if demo_run.returncode != 0:
        pytest.fail(f"adrpulse demo failed:\n{demo_run.stdout}\n{demo_run.stderr[-5000:]}")
    return demo_run.home


@pytest.fixture(scope="session")
def sample_warehouse(demo_home: Path) -> Path:
    """A warehouse built from the bundled sample through the whole pipeline (read it only)."""
    return demo_home / "warehouse.duckdb"
