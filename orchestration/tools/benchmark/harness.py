"""One bench run: generate, then time every stage in its own child process.

Stages, in order: generate the archive; load it into the raw tables (warehouse.load) and, as its
floor, a bare read_parquet of the same files; the dbt build of every mart from scratch; the floor
SQL (under the build's memory cap, and without it) and the pandas baseline of the marts
(core_spec); the price checks; one daily update (one session archived, loaded, then `dbt build`
again); dbt's bare start-up (a build that selects nothing), the update's yardstick; the node
floor: the same project built, checked and updated over 10 tickers x 1 year, where the data work is
negligible, so what remains is what dbt's graph of nodes costs by itself. Afterwards the slowest
model is profiled. With spark (`adrpulse bench --spark`): the dbt build on the
`spark` target (`adrpulse build --target spark`) of the same warehouse, its raw tables exported as
Parquet first, each its own stage. With growth rounds (by default at 20 years), last: the update
growth, the run's daily update against the same update at 1 year (the same tickers, built
beside it), in alternated rounds on the following sessions, so that the ratio comes from one
run and the machine's load drifts over both sides alike.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from assets.dbt_project import PIPELINE_BUILD_EXCLUDES
from orchestration.tools.benchmark import DEFAULT_SEED
from orchestration.tools.benchmark.archive import append_update
from orchestration.tools.benchmark.critical_path import ChainNode, longest_chain
from orchestration.tools.benchmark.dbt_runner import (
    NOTHING_SELECTOR,
    NodeTiming,
    node_timings,
    prepare_project,
    run_dbt,
    run_spark_dbt,
)
from orchestration.tools.benchmark.measure import Measured, evict_from_page_cache, run_measured
from orchestration.tools.benchmark.spec import BenchSpec
from orchestration.tools.benchmark.stages import result_path
from orchestration.tools.benchmark.workdir import BenchPaths

Progress = Callable[[str], None]

# dbt's bare start-up: `dbt build` selecting nothing (parse, connect, no node). The daily update's
# target is set against it (report.py).
DBT_STARTUP_STAGE = "dbt start-up (build selecting nothing)"
# The node floor: the same dbt project over a history so small that its data work is negligible
# (2,520 bars), so its full build and daily update are what the graph of nodes costs by itself:
# each node's compile, statements and bookkeeping, and the data tests after it. report.reach_rows
# sets each target's limit against it.
NODE_FLOOR_TICKERS, NODE_FLOOR_YEARS = 10, 1
NODE_FLOOR_SIZE = f"{NODE_FLOOR_TICKERS}x{NODE_FLOOR_YEARS}"
NODE_FLOOR_FULL_STAGE = f"node floor {NODE_FLOOR_SIZE}: dbt build (full)"
NODE_FLOOR_UPDATE_STAGE = f"node floor {NODE_FLOOR_SIZE}: update total"
# The update growth: the run's daily update against the same update over 1 year of the same
# tickers, alternated round by round (the rounds' medians make the ratio). On by default at the
# size its target is set for (report.UPDATE_GROWTH_LIMIT).
GROWTH_YEARS = 20
DEFAULT_GROWTH_ROUNDS = 3
MAX_GROWTH_ROUNDS = 9
GROWTH_BASE_YEARS = 1
SPARK_EXPORT_STAGE = "spark: raw tables as Parquet"
SPARK_BUILD_STAGE = "spark build (portable models)"


def growth_stage_names(years: int) -> tuple[str, str]:
    """The stage rows of the update growth: the 1-year update's median, the run's."""
    return (
        f"update growth: update at {GROWTH_BASE_YEARS} y (median)",
        f"update growth: update at {years} y (median)",
    )


class BenchError(RuntimeError):
    """A stage failed; the message names it and ends with its log's tail. `result` holds the
    stages measured before it (None if nothing was)."""

    def __init__(self, message: str, result: BenchResult | None = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class StageRow:
    stage: str
    rows: int
    wall_seconds: float
    peak_rss_mb: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.wall_seconds if self.wall_seconds > 0 else 0.0


@dataclass(frozen=True)
class GrowthRound:
    """One round of the update growth: the same daily update (the next session) over 1 year
    and over the run's years; `base_first` says which ran first (they alternate)."""

    number: int
    base_seconds: float
    run_seconds: float
    base_first: bool

    @property
    def ratio(self) -> float:
        return self.run_seconds / self.base_seconds if self.base_seconds else float("nan")


@dataclass
class BenchResult:
    tickers: int
    years: int
    spec: BenchSpec
    stages: list[StageRow] = field(default_factory=list)
    full_build_models: list[NodeTiming] = field(default_factory=list)
    update_build_models: list[NodeTiming] = field(default_factory=list)
    # the update build's longest chain of nodes (critical_path.longest_chain)
    update_chain: list[ChainNode] = field(default_factory=list)
    dbt_failures: list[str] = field(default_factory=list)
    # nodes of the node floor's builds that did not pass (its figures then stand for less work)
    node_floor_failures: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    # --spark: the spark build's nodes, its failed nodes, or why it did not run ('' if it did
    # or was not asked for).
    spark_requested: bool = False
    spark_build_models: list[NodeTiming] = field(default_factory=list)
    spark_failures: list[str] = field(default_factory=list)
    spark_skipped: str = ""
    # The update growth's rounds, and the nodes of its builds (either side) that did not pass.
    growth_rounds: list[GrowthRound] = field(default_factory=list)
    growth_failures: list[str] = field(default_factory=list)

    def stage(self, name: str) -> StageRow:
        return next(s for s in self.stages if s.stage == name)

    def find_stage(self, name: str) -> StageRow | None:
        """The stage's row, or None when it did not run (an optional or later stage)."""
        return next((s for s in self.stages if s.stage == name), None)


def _exit(returncode: int) -> str:
    return f"with signal {-returncode}" if returncode < 0 else f"with status {returncode}"


def _python_child(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def _stage(
    result: BenchResult, name: str, measured: Measured, rows: int, progress: Progress
) -> StageRow:
    if measured.returncode != 0:
        raise BenchError(
            f"stage {name} exited {_exit(measured.returncode)} after "
            f"{measured.wall_seconds:.1f} s (peak RSS {measured.peak_rss_mb:.0f} MB):\n"
            f"{measured.tail()}",
            result,
        )
    row = StageRow(name, rows, measured.wall_seconds, measured.peak_rss_mb)
    result.stages.append(row)
    progress(
        f"  {name}: {rows:,} rows in {row.wall_seconds:.2f} s, peak RSS {row.peak_rss_mb:.0f} MB"
    )
    return row


def _child_stage(
    result: BenchResult, paths: BenchPaths, name: str, stage: str, progress: Progress
) -> dict[str, Any]:
    measured = run_measured(
        _python_child("orchestration.tools.benchmark.stages", stage, str(paths.root)),
        paths.logs / f"{name}.log",
    )
    payload: dict[str, Any] = {}
    if measured.returncode == 0:
        payload = json.loads(result_path(paths, stage).read_text())
    _stage(result, name, measured, int(payload.get("rows", 0)), progress)
    return payload


def _dbt_failures(timings: list[NodeTiming], label: str) -> list[str]:
    # An error carries the database's own words (an out-of-memory error names the limit); a
    # skipped node only its status, as its cause is the error above it.
    return [
        f"{label}: {t.unique_id} {t.status}"
        + (f": {t.message[:300]}" if t.status == "error" and t.message else "")
        for t in timings
        if t.status not in ("success", "pass")
    ]


def _dbt_stage(
    result: BenchResult, paths: BenchPaths, name: str, label: str, rows: int, progress: Progress
) -> list[NodeTiming]:
    # What a pipeline build runs (assets/dbt_models.py): models, seeds and data tests.
    measured = run_dbt(paths, label, "build", *PIPELINE_BUILD_EXCLUDES)
    run_results = paths.results / f"dbt_{label}_run_results.json"
    timings = node_timings(run_results) if run_results.exists() else []
    failures = _dbt_failures(timings, label)
    result.dbt_failures.extend(failures)
    if measured.returncode != 0 and not timings:
        raise BenchError(
            f"dbt build ({label}) exited {_exit(measured.returncode)} after "
            f"{measured.wall_seconds:.1f} s (peak RSS {measured.peak_rss_mb:.0f} MB), "
            f"no run_results.json:\n{measured.tail(12)}",
            result,
        )
    if failures:
        progress(f"  dbt build ({label}): {len(failures)} nodes did not pass (see the report)")
    _stage(
        result,
        name,
        Measured(measured.wall_seconds, measured.peak_rss_mb, 0, measured.log_path),
        rows,
        progress,
    )
    return timings


def _daily_update(
    result: BenchResult,
    paths: BenchPaths,
    spec: BenchSpec,
    progress: Progress,
    number: int = 0,
    cold: bool = False,
) -> StageRow:
    """A daily run after the history: held-back session `number` archived as one fetch,
    loaded, checked (the scope after the watermark), then `dbt build`; its stages, and their
    total as `update: total` (wall times summed, the highest peak), join the result. The first
    update keeps its dbt files as `update`, a later one as `update_<number>`. cold: the
    warehouse file is dropped from the OS page cache first, as a once-a-day run finds it."""
    append_update(paths, spec, number)
    if cold:
        wal = paths.warehouse.with_name(paths.warehouse.name + ".wal")
        evict_from_page_cache(paths.warehouse, wal)
    _child_stage(result, paths, "update: load", "load", progress)
    _child_stage(result, paths, "update: price checks", "checks_update", progress)
    label = "update" if number == 0 else f"update_{number}"
    result.update_build_models = _dbt_stage(
        result, paths, "update: dbt build", label, spec.update_rows, progress
    )
    rows = [
        result.stage(stage)
        for stage in ("update: load", "update: price checks", "update: dbt build")
    ]
    total = StageRow(
        "update: total",
        spec.update_rows,
        sum(row.wall_seconds for row in rows),
        max(row.peak_rss_mb for row in rows),
    )
    result.stages.append(total)
    return total


def _longest_chain(paths: BenchPaths, label: str) -> list[ChainNode]:
    """The build's longest chain, from its run_results.json and the project's manifest (none
    when either is missing)."""
    run_results = paths.results / f"dbt_{label}_run_results.json"
    manifest = paths.dbt_project / "target" / "manifest.json"
    if not run_results.exists() or not manifest.exists():
        return []
    parent_map = json.loads(manifest.read_text()).get("parent_map") or {}
    return longest_chain(json.loads(run_results.read_text()), parent_map)


def run_bench(
    tickers: int,
    years: int,
    dbt_source: Path,
    *,
    out: Path | None = None,
    keep: bool = False,
    seed: int = DEFAULT_SEED,
    profile_slowest: bool = True,
    spark: bool = False,
    growth_rounds: int | None = None,
    progress: Progress = print,
) -> BenchResult:
    """Run the whole bench at one size; the work folder is removed unless keep (or out given
    and keep). growth_rounds: rounds of the update growth (None: DEFAULT_GROWTH_ROUNDS at
    GROWTH_YEARS, else none)."""
    default = DEFAULT_GROWTH_ROUNDS if years == GROWTH_YEARS else 0
    rounds = default if growth_rounds is None else growth_rounds
    if rounds and years == GROWTH_BASE_YEARS:
        raise BenchError(
            "--growth-rounds sets the run's daily update against the same update at "
            f"{GROWTH_BASE_YEARS} year: give --years {GROWTH_BASE_YEARS + 1} or more, or drop "
            "--growth-rounds"
        )
    root = Path(out) if out else Path(tempfile.mkdtemp(prefix="adrpulse-bench-"))
    if root.exists() and any(root.iterdir()):
        raise BenchError(f"work folder {root} is not empty: give an empty or new --out folder")
    root.mkdir(parents=True, exist_ok=True)
    paths = BenchPaths(root.resolve())
    try:
        steps = _Steps(9 + (1 if rounds else 0))
        result = _run(
            paths, tickers, years, dbt_source, seed, profile_slowest, spark, rounds, steps,
            progress,
        )
        _node_floor_stages(result, paths, dbt_source, seed, steps, progress)
        if rounds:
            _update_growth_stages(result, paths, dbt_source, seed, rounds, steps, progress)
        return result
    finally:
        if keep:
            progress(f"work folder kept: {paths.root}")
        else:
            shutil.rmtree(paths.root, ignore_errors=True)


@dataclass
class _Steps:
    """The run's `[n/total]` progress labels."""

    total: int
    done: int = 0

    def next(self) -> str:
        self.done += 1
        return f"[{self.done}/{self.total}]"


def _generate(
    paths: BenchPaths, tickers: int, years: int, seed: int, updates: int = 1
) -> tuple[Measured, BenchSpec]:
    """The synthetic archive and reference files, generated by a measured child process, with
    `updates` sessions held back for daily updates."""
    measured = run_measured(
        _python_child(
            "orchestration.tools.benchmark.archive",
            str(paths.root),
            str(tickers),
            str(years),
            str(seed),
            str(updates),
        ),
        paths.logs / "generate.log",
    )
    if measured.returncode != 0:
        raise BenchError(f"generating the archive failed:\n{measured.tail()}")
    return measured, BenchSpec.read(paths.spec_json)


def _run(
    paths: BenchPaths,
    tickers: int,
    years: int,
    dbt_source: Path,
    seed: int,
    profile_slowest: bool,
    spark: bool,
    growth_rounds: int,
    steps: _Steps,
    progress: Progress,
) -> BenchResult:
    progress(f"bench {tickers} tickers x {years} years in {paths.root}")
    progress(f"{steps.next()} generating the synthetic archive")
    # the growth rounds update on the sessions after the run's own update
    measured, spec = _generate(paths, tickers, years, seed, 1 + growth_rounds)
    result = BenchResult(tickers=spec.tickers, years=years, spec=spec, spark_requested=spark)
    _stage(result, "generate archive", measured, spec.history_rows, progress)

    progress(f"{steps.next()} loading the archive into the raw tables (warehouse.load)")
    _child_stage(result, paths, "load archive", "load", progress)
    progress(f"{steps.next()} load floor: bare read_parquet of the same files")
    _child_stage(result, paths, "load floor (read_parquet)", "load_floor", progress)

    progress(
        f"{steps.next()} dbt build of every mart from scratch (the project's models, the bench "
        "universe and event catalog loaded as reference files)"
    )
    prepare_project(dbt_source, paths)
    result.full_build_models = _dbt_stage(
        result, paths, "dbt build (full)", "full", spec.history_rows, progress
    )

    progress(
        f"{steps.next()} floor: the marts as plain DuckDB SQL, under the same memory cap, then "
        "without"
    )
    _child_stage(result, paths, "floor SQL (uncapped)", "floor_uncapped", progress)
    _child_stage(result, paths, "floor SQL", "floor", progress)
    progress(f"{steps.next()} baseline: the marts in pandas")
    _child_stage(result, paths, "pandas baseline", "pandas", progress)

    progress(f"{steps.next()} price checks (run_price_checks)")
    result.checks = _child_stage(result, paths, "price checks", "checks", progress)

    progress(
        f"{steps.next()} daily update: session {spec.update_session} appended, loaded, checked, "
        "dbt build"
    )
    _daily_update(result, paths, spec, progress)
    result.update_chain = _longest_chain(paths, "update")
    progress("dbt's bare start-up, the update's yardstick: dbt build selecting nothing")
    # dbt's own script: the yardstick is the tool's start-up, not the pipeline's launcher's
    measured = run_dbt(paths, "nothing", "build", "--select", NOTHING_SELECTOR, stock=True)
    _stage(result, DBT_STARTUP_STAGE, measured, 0, progress)
    if profile_slowest:
        result.profile = _profile_slowest(paths, result.full_build_models, progress)
    if spark:
        _spark_stages(result, paths, progress)
    return result


def _silent(_: str) -> None:
    """The progress of a second project's stages: only the rows its caller reports are shown."""


def _second_project(
    paths: BenchPaths,
    tickers: int,
    years: int,
    dbt_source: Path,
    seed: int,
    updates: int = 1,
) -> tuple[BenchResult, StageRow]:
    """A second project beside the run's, in `paths` (a subfolder of its work folder), taken
    through the stages the pipeline runs, as the run was: generated (with `updates` sessions
    held back), loaded, built, checked, then updated once. Its stages stay in its own result,
    returned with that update's total; the caller picks the rows the run reports."""
    paths.root.mkdir(parents=True, exist_ok=True)
    _, spec = _generate(paths, tickers, years, seed, updates)
    second = BenchResult(tickers=spec.tickers, years=years, spec=spec)
    _child_stage(second, paths, "load archive", "load", _silent)
    prepare_project(dbt_source, paths)
    _dbt_stage(second, paths, "dbt build (full)", "full", spec.history_rows, _silent)
    _child_stage(second, paths, "price checks", "checks", _silent)
    return second, _daily_update(second, paths, spec, _silent)


def _node_floor_stages(
    result: BenchResult,
    paths: BenchPaths,
    dbt_source: Path,
    seed: int,
    steps: _Steps,
    progress: Progress,
) -> None:
    """The node floor: the run's stages that the pipeline runs (load, dbt build, price checks,
    then the daily update), over NODE_FLOOR_SIZE in a folder of its own. Two rows join the
    run's stages: the full build, and the update's total (load, checks and dbt build)."""
    progress(
        f"{steps.next()} node floor: the same dbt build and daily update at "
        f"{NODE_FLOOR_TICKERS} tickers x {NODE_FLOOR_YEARS} year, what dbt's nodes cost with "
        "next to no data"
    )
    try:
        floor, update = _second_project(
            BenchPaths(paths.root / "node_floor"),
            NODE_FLOOR_TICKERS,
            NODE_FLOOR_YEARS,
            dbt_source,
            seed,
        )
    except BenchError as error:
        raise BenchError(f"node floor ({NODE_FLOOR_SIZE}): {error}", result) from error
    result.node_floor_failures = floor.dbt_failures
    build = floor.stage("dbt build (full)")
    for row in (
        StageRow(NODE_FLOOR_FULL_STAGE, build.rows, build.wall_seconds, build.peak_rss_mb),
        replace(update, stage=NODE_FLOOR_UPDATE_STAGE),
    ):
        result.stages.append(row)
        progress(f"  {row.stage}: {row.rows:,} rows in {row.wall_seconds:.2f} s")
    if floor.dbt_failures:
        progress(f"  node floor: {len(floor.dbt_failures)} dbt nodes did not pass (see the report)")


def _update_growth_stages(
    result: BenchResult,
    paths: BenchPaths,
    dbt_source: Path,
    seed: int,
    rounds: int,
    steps: _Steps,
    progress: Progress,
) -> None:
    """The update growth: the run's tickers over 1 year, generated, loaded, built, checked and
    updated once in `one_year/` (as the run itself was), then `rounds` rounds of one more daily
    update on each side, on the same next session, the order alternating, each starting with
    its warehouse out of the OS page cache (a daily run reads it from disk; two sides that both
    stayed cached would hide what the larger history costs to read). Each side's median joins
    the run's stages; the rounds are kept for the report."""
    progress(
        f"{steps.next()} update growth: the daily update at {result.years} y against the same at "
        f"{GROWTH_BASE_YEARS} y ({result.tickers} tickers), {rounds} alternated rounds"
    )
    base_paths = BenchPaths(paths.root / "one_year")
    try:
        # its first update, as the run had its own: the rounds compare the updates after it
        base, _ = _second_project(
            base_paths, result.tickers, GROWTH_BASE_YEARS, dbt_source, seed, 1 + rounds
        )
        result.growth_failures.extend(base.dbt_failures)
        sides = {True: (base_paths, base.spec), False: (paths, result.spec)}
        totals: dict[bool, list[StageRow]] = {True: [], False: []}
        for number in range(1, rounds + 1):
            base_first = number % 2 == 1
            for is_base in (base_first, not base_first):
                side_paths, side_spec = sides[is_base]
                side = BenchResult(
                    tickers=side_spec.tickers, years=side_spec.years, spec=side_spec
                )
                totals[is_base].append(
                    _daily_update(side, side_paths, side_spec, _silent, number, cold=True)
                )
                result.growth_failures.extend(side.dbt_failures)
            done = GrowthRound(
                number, totals[True][-1].wall_seconds, totals[False][-1].wall_seconds, base_first
            )
            result.growth_rounds.append(done)
            progress(
                f"  round {number}: {GROWTH_BASE_YEARS} y {done.base_seconds:.2f} s, "
                f"{result.years} y {done.run_seconds:.2f} s ({done.ratio:.2f}x)"
            )
    except BenchError as error:
        raise BenchError(f"update growth: {error}", result) from error
    for name, side_rows in zip(
        growth_stage_names(result.years), (totals[True], totals[False]), strict=True
    ):
        row = StageRow(
            name,
            result.spec.update_rows,
            statistics.median(r.wall_seconds for r in side_rows),
            max(r.peak_rss_mb for r in side_rows),
        )
        result.stages.append(row)
        progress(f"  {row.stage}: {row.rows:,} rows in {row.wall_seconds:.2f} s")
    if result.growth_failures:
        progress(
            f"  update growth: {len(result.growth_failures)} dbt nodes did not pass "
            "(see the report)"
        )


def _spark_stages(result: BenchResult, paths: BenchPaths, progress: Progress) -> None:
    """What `adrpulse build --target spark` runs, on the bench warehouse as the update left it:
    the raw tables exported as Parquet, then `dbt build --target spark --select tag:spark`.
    A failure here is reported with the run, not raised: the DuckDB figures stand on their own."""
    from assets.spark_target import spark_unavailable

    reason = spark_unavailable()
    if reason:
        result.spark_skipped = f"Spark stages skipped: {reason}"
        progress(result.spark_skipped)
        return
    progress("spark: the raw tables as Parquet, then dbt build --target spark (tag:spark)")
    measured = run_measured(
        _python_child("orchestration.tools.benchmark.stages", "spark_export", str(paths.root)),
        paths.logs / "spark_export.log",
    )
    if measured.returncode != 0:
        result.spark_skipped = (
            f"Spark stages failed: the export exited {_exit(measured.returncode)}:\n"
            f"{measured.tail(12)}"
        )
        progress(result.spark_skipped)
        return
    exported = json.loads(result_path(paths, "spark_export").read_text())
    _stage(result, SPARK_EXPORT_STAGE, measured, int(exported["rows"]), progress)
    measured = run_spark_dbt(paths)
    run_results = paths.results / "dbt_spark_run_results.json"
    timings = node_timings(run_results) if run_results.exists() else []
    if measured.returncode != 0 and not timings:
        result.spark_skipped = (
            f"Spark build failed: dbt exited {_exit(measured.returncode)} after "
            f"{measured.wall_seconds:.1f} s, no run_results.json:\n{measured.tail(12)}"
        )
        progress(result.spark_skipped)
        return
    result.spark_build_models = timings
    result.spark_failures = _dbt_failures(timings, "spark")
    if result.spark_failures:
        progress(f"  spark build: {len(result.spark_failures)} nodes did not pass (see the report)")
    rows = result.spec.history_rows + result.spec.update_rows
    _stage(
        result,
        SPARK_BUILD_STAGE,
        Measured(measured.wall_seconds, measured.peak_rss_mb, 0, measured.log_path),
        rows,
        progress,
    )


def _profile_slowest(
    paths: BenchPaths, timings: list[NodeTiming], progress: Progress
) -> dict[str, Any]:
    models = [t for t in timings if t.unique_id.startswith("model.")]
    if not models:
        return {}
    model = models[0].unique_id.split(".")[-1]
    progress(f"profiling the slowest model, {model} (DuckDB JSON profile)")
    out = paths.results / "profile.json"
    measured = run_measured(
        _python_child(
            "orchestration.tools.benchmark.profile_model", str(paths.root), model, str(out)
        ),
        paths.logs / "profile.log",
    )
    if measured.returncode != 0:
        progress(f"  profiling failed (not fatal):\n{measured.tail(5)}")
        return {"model": model, "error": measured.tail(5)}
    return json.loads(out.read_text())
