"""The demo's cost against the fixed start-up of Dagster plus dbt, each in its own process.

Fixed start-up = a Dagster in-process run of an empty job (a fresh instance, the project's
definitions loaded as the demo loads them) + `dbt parse` of the project + `dbt build` that selects
nothing, both with dbt's own `dbt` script (the tools' cost; the pipeline runs dbt through
assets/dbt_launcher.py). The demo is `adrpulse demo` in a fresh ADRPULSE_HOME.

With several rounds every part runs once per round, in turn, so a slow minute of a busy machine
falls on all of them; each part's figure is its median wall time and its highest peak RSS.

The demo's wall time is also split into its phases, read from the step times its Dagster run
recorded in the demo's own instance: before the run starts, the steps before the dbt step, the
dbt step, the steps after it, and after the run ends.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assets.dbt_models import DBT_ASSETS_NAME
from assets.dbt_project import dbt_quiet_env
from assets.settings import Settings
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
class DemoPhase:
    what: str
    seconds: float


@dataclass(frozen=True)
class StartupResult:
    rows: list[StartupRow]
    rounds: int = 1
    # the demo's wall time by phase (median over the rounds); empty if a round's demo failed
    demo_phases: list[DemoPhase] = field(default_factory=list)

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


BEFORE_RUN = "from the command's start to the run's (imports, definitions, launch)"
BEFORE_DBT = "the steps before dbt (raw assets and their checks)"
DBT_STEP = f"the dbt step ({DBT_ASSETS_NAME}: dbt build, Dagster recording its results)"
AFTER_DBT = "the steps after dbt (alerts, published tables, report)"
AFTER_RUN = "from the run's end to the command's exit (summary)"


@dataclass(frozen=True)
class StepTimes:
    key: str
    start: float  # epoch seconds, as Dagster records them
    end: float


def demo_phases(
    command_start: float,
    command_end: float,
    run_start: float,
    run_end: float,
    steps: Sequence[StepTimes],
) -> list[DemoPhase]:
    """The command's wall time in five phases that add up to it, around the dbt step: the gaps
    between steps fall in the phase they separate (Dagster's bookkeeping between them)."""
    dbt = next((s for s in steps if s.key == DBT_ASSETS_NAME), None)
    if dbt is None:
        raise ValueError(
            f"the run has no {DBT_ASSETS_NAME} step (steps: {', '.join(s.key for s in steps)})"
        )
    return [
        DemoPhase(BEFORE_RUN, run_start - command_start),
        DemoPhase(BEFORE_DBT, dbt.start - run_start),
        DemoPhase(DBT_STEP, dbt.end - dbt.start),
        DemoPhase(AFTER_DBT, run_end - dbt.end),
        DemoPhase(AFTER_RUN, command_end - run_end),
    ]


def read_demo_phases(
    dagster_home: Path, command_start: float, command_end: float
) -> list[DemoPhase]:
    """demo_phases of the latest run in the Dagster instance at dagster_home (the demo's own,
    made fresh for the measurement, so its only run)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            raise ValueError(f"no run recorded in the Dagster instance at {dagster_home}")
        run_id = runs[0].run_id
        stats = instance.get_run_stats(run_id)
        steps = [
            StepTimes(s.step_key, s.start_time, s.end_time)
            for s in instance.get_run_step_stats(run_id)
            if s.start_time is not None and s.end_time is not None
        ]
    if stats.start_time is None or stats.end_time is None:
        raise ValueError(f"run {run_id} in {dagster_home} has no start or end time")
    return demo_phases(command_start, command_end, stats.start_time, stats.end_time, steps)


def median_phases(rounds: Sequence[Sequence[DemoPhase]]) -> list[DemoPhase]:
    """Each phase's median over the rounds; none if any round has no phases (its demo failed)."""
    if not rounds or any(not phases for phases in rounds):
        return []
    return [
        DemoPhase(first.what, statistics.median(phases[i].seconds for phases in rounds))
        for i, first in enumerate(rounds[0])
    ]


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
    phases = []
    for number in range(1, rounds + 1):
        if rounds > 1:
            progress(f" round {number} of {rounds}")
        rows, demo = _measure_round(
            root / f"round_{number}", repo, dbt_source, empty_job_argv, progress
        )
        measured.append(rows)
        phases.append(demo)
    return StartupResult(median_rows(measured), rounds, median_phases(phases))


def _measure_round(
    root: Path,
    repo: Path,
    dbt_source: Path,
    empty_job_argv: Callable[[bool], Sequence[str]],
    progress: Callable[[str], None],
) -> tuple[list[StartupRow], list[DemoPhase]]:
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
    demo_env = _clean_env(ADRPULSE_HOME=str(root / "demo_home"))
    command_start = time.time()
    demo = run_measured(
        [sys.executable, "-m", "orchestration.cli", "demo"],
        logs / "demo.log",
        env=demo_env,
        cwd=repo,
    )
    record(DEMO, demo)
    phases: list[DemoPhase] = []
    if demo.returncode == 0:
        try:
            phases = read_demo_phases(
                Settings.from_env(demo_env).dagster_home,
                command_start,
                command_start + demo.wall_seconds,
            )
        except ValueError as error:
            # the demo's time stands without its split; the section then shows no phases
            progress(f"  the demo's phases were not read: {error}")
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
    return rows, phases
