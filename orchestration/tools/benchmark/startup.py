"""The demo's cost against the fixed start-up of Dagster plus dbt, each in its own process.

Fixed start-up = a Dagster in-process run of an empty job (a fresh instance, the project's
definitions loaded as the demo loads them) + `dbt parse` of the project + `dbt build` that selects
nothing, both with dbt's own `dbt` script (the tools' cost; the pipeline runs dbt through
assets/dbt_launcher.py). The demo is `adrpulse demo` in a fresh ADRPULSE_HOME.

With several rounds every part runs once per round, in turn, so a slow minute of a busy machine
falls on all of them; each part's figure is its median wall time and its highest peak RSS.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assets.dbt_project import dbt_quiet_env
from orchestration.tools.benchmark.dbt_runner import (
    NOTHING_SELECTOR,
    copy_project,
    dbt_argv,
)
from orchestration.tools.benchmark.measure import Measured, run_measured


@dataclass(frozen=True)
class StartupRow:
    what: str
    wall_seconds: float
    peak_rss_mb: float
    returncode: int = 0


@dataclass(frozen=True)
class StartupResult:
    rows: list[StartupRow]
    rounds: int = 1

    def seconds(self, what: str) -> float:
        return next(r.wall_seconds for r in self.rows if r.what == what)

    @property
    def fixed_seconds(self) -> float:
        return sum(self.seconds(w) for w in FIXED_PARTS)

    @property
    def demo_over_fixed(self) -> float:
        return self.seconds(DEMO) / self.fixed_seconds

    @property
    def failed(self) -> list[str]:
        return [r.what for r in self.rows if r.returncode != 0]


DEMO = "adrpulse demo (fresh home)"
EMPTY_JOB = "Dagster empty job (definitions loaded)"
BARE_EMPTY_JOB = "Dagster empty job (bare, no project code)"
DBT_PARSE = "dbt parse (no partial parse)"
DBT_NOTHING = "dbt build selecting nothing"
FIXED_PARTS = (EMPTY_JOB, DBT_PARSE, DBT_NOTHING)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "ADRPULSE_WAREHOUSE")}
    return {**env, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}


def median_rows(rounds: Sequence[Sequence[StartupRow]]) -> list[StartupRow]:
    """One row per part, in the first round's order: the median wall time over the rounds, the
    highest peak RSS, and the first failing exit code (a failed round fails the part)."""
    parts: dict[str, list[StartupRow]] = {}
    for rows in rounds:
        for row in rows:
            parts.setdefault(row.what, []).append(row)
    return [
        StartupRow(
            what,
            statistics.median(r.wall_seconds for r in rows),
            max(r.peak_rss_mb for r in rows),
            next((r.returncode for r in rows if r.returncode != 0), 0),
        )
        for what, rows in parts.items()
    ]


def measure_startup(
    root: Path,
    repo: Path,
    dbt_source: Path,
    empty_job_argv: Callable[[bool], Sequence[str]],
    progress: Callable[[str], None] = print,
    rounds: int = 1,
) -> StartupResult:
    """Measure each part once per round, in order; root is a scratch folder."""
    measured = []
    for number in range(1, rounds + 1):
        if rounds > 1:
            progress(f" round {number} of {rounds}")
        measured.append(
            _measure_round(root / f"round_{number}", repo, dbt_source, empty_job_argv, progress)
        )
    return StartupResult(median_rows(measured), rounds)


def _measure_round(
    root: Path,
    repo: Path,
    dbt_source: Path,
    empty_job_argv: Callable[[bool], Sequence[str]],
    progress: Callable[[str], None],
) -> list[StartupRow]:
    rows: list[StartupRow] = []

    def record(what: str, measured: Measured) -> None:
        # A failure is recorded, not raised: its time is still what a user waited.
        rows.append(
            StartupRow(what, measured.wall_seconds, measured.peak_rss_mb, measured.returncode)
        )
        status = "" if measured.returncode == 0 else f" -- FAILED (exit {measured.returncode})"
        progress(
            f"  {what}: {measured.wall_seconds:.2f} s, "
            f"peak RSS {measured.peak_rss_mb:.0f} MB{status}"
        )
        if measured.returncode != 0:
            progress(measured.tail(8))

    logs = root / "logs"
    record(
        DEMO,
        run_measured(
            [sys.executable, "-m", "orchestration.cli", "demo"],
            logs / "demo.log",
            env=_clean_env(ADRPULSE_HOME=str(root / "demo_home")),
            cwd=repo,
        ),
    )
    for what, load_definitions in ((EMPTY_JOB, True), (BARE_EMPTY_JOB, False)):
        home = root / f"dagster_home_{int(load_definitions)}"
        home.mkdir(parents=True, exist_ok=True)
        record(
            what,
            run_measured(
                list(empty_job_argv(load_definitions)),
                logs / f"empty_job_{int(load_definitions)}.log",
                env=_clean_env(DAGSTER_HOME=str(home), ADRPULSE_HOME=str(root / "job_home")),
                cwd=repo,
            ),
        )
    project = copy_project(dbt_source, root / "dbt_project")
    env = dbt_quiet_env()
    empty = root / "empty.duckdb"
    record(
        DBT_PARSE,
        run_measured(
            dbt_argv(empty, "parse", "--no-partial-parse", stock=True),
            logs / "dbt_parse.log",
            env=env,
            cwd=project,
        ),
    )
    record(
        DBT_NOTHING,
        run_measured(
            dbt_argv(empty, "build", "--select", NOTHING_SELECTOR, stock=True),
            logs / "dbt_nothing.log",
            env=env,
            cwd=project,
        ),
    )
    return rows
