"""Running `adrpulse` as a user does: a child process with its own ADRPULSE_HOME and nothing of
the caller's ADR Pulse or Dagster state."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from assets.settings import REPO_ROOT

REPO = REPO_ROOT


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
    for name in ("DAGSTER_HOME", "ADRPULSE_WAREHOUSE", "ADRPULSE_DAGSTER_POSTGRES_URL"):
        env.pop(name, None)
    if dagster_home is not None:
        env["DAGSTER_HOME"] = str(dagster_home)
    return env


def run_cli(
    home: Path, *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=REPO,
        env={**isolated_env(home), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
