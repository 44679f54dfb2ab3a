"""The bench's table, ratios and its section of docs/BENCHMARKS.md."""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from orchestration.tables import format_table
from orchestration.tools.benchmark.critical_path import ChainNode
from orchestration.tools.benchmark.dbt_runner import NodeTiming
from orchestration.tools.benchmark.harness import (
    DBT_STARTUP_STAGE,
    GROWTH_BASE_YEARS,
    GROWTH_YEARS,
    NODE_FLOOR_FULL_STAGE,
    NODE_FLOOR_SIZE,
    NODE_FLOOR_UPDATE_STAGE,
    SPARK_BUILD_STAGE,
    BenchResult,
)
from orchestration.tools.benchmark.startup import FIXED_PARTS, StartupResult

TABLE_COLUMNS = ["stage", "rows", "wall s", "rows/s", "peak RSS MB"]
SECTIONS_HEADER = "## Measured runs"
# The stages the pipeline itself runs (not the generator, the floors or the baseline).
PIPELINE_STAGES = (
    "load archive",
    "dbt build (full)",
    "price checks",
    "update: load",
    "update: price checks",
    "update: dbt build",
)


@dataclass(frozen=True)
class Ratio:
    """A figure of the run against its target. `applies_at` names the size the target is set
    for ('' for every size); at another size the figure is shown with no verdict."""

    name: str
    value: float
    target: str
    met: bool | None  # None: no target at this size
    applies_at: str = ""
    # A figure timed on a dbt build with failed nodes met nothing: the work was not all done.
    build_failed: bool = False

    def cells(self) -> list[object]:
        met = "" if self.met is None else ("yes" if self.met else "NO")
        if self.build_failed and self.met is not None:
            met = "NO (dbt failed)"
        return [self.name, round(self.value, 2), self.target, self.applies_at or "any", met]


# The sizes the performance targets are set for (issue 19): what most users run, and the largest.
SMALL, LARGE = "500x10", "5000x20"
# The full build against the floor SQL (at most this many times its wall time), and the pandas
# baseline against the full build (at least this many times slower), at each size.
FULL_OVER_FLOOR_LIMIT = {SMALL: 2.0, LARGE: 1.3}
PANDAS_OVER_FULL_LIMIT = {SMALL: 1.0, LARGE: 3.5}
# The one-session update at 20 years against the same update at 1 year (same tickers): the
# medians of the run's alternated rounds (harness._update_growth_stages).
UPDATE_GROWTH_LIMIT = 1.3
# The one-session update at 500 x 10 against dbt's bare start-up, plus this many seconds.
UPDATE_OVER_STARTUP_SECONDS = 5.0
RSS_LIMIT_MB = 4096.0
# `make demo` against the fixed start-up of Dagster plus dbt (startup.py).
DEMO_OVER_STARTUP_LIMIT = 1.5


def _div(a: float, b: float) -> float:
    return a / b if b else float("nan")


def ratios(result: BenchResult) -> list[Ratio]:
    """The figures whose stages all ran (an incomplete run has fewer), each with its target."""
    try:
        rows = _ratios(result)
    except StopIteration:
        return []
    growth = growth_ratio(result)
    if growth is not None:
        rows.append(growth)
    if not result.dbt_failures:
        return rows
    return [_timed_on_failed_build(r) for r in rows]


def _timed_on_failed_build(ratio: Ratio) -> Ratio:
    """A figure timed on a dbt build with failed nodes: a target it was judged by is not met."""
    return replace(ratio, met=False if ratio.met is not None else None, build_failed=True)


def _verdict(value: float, limit: float, at_most: bool, size: str, here: str) -> bool | None:
    if size and size != here:
        return None
    return value <= limit if at_most else value >= limit


def _at_most(name: str, value: float, limit: float, size: str, here: str) -> Ratio:
    return Ratio(name, value, f"<= {limit:g}", _verdict(value, limit, True, size, here), size)


def _at_least(name: str, value: float, limit: float, size: str, here: str) -> Ratio:
    return Ratio(name, value, f">= {limit:g}", _verdict(value, limit, False, size, here), size)


def _ratios(result: BenchResult) -> list[Ratio]:
    s = result.stage
    here = size_key(result)
    dbt, floor, pandas = s("dbt build (full)"), s("floor SQL"), s("pandas baseline")
    load, load_floor = s("load archive"), s("load floor (read_parquet)")
    update = s("update: total")
    peak = max(row.peak_rss_mb for row in result.stages if row.stage in PIPELINE_STAGES)
    over_floor = _div(dbt.wall_seconds, floor.wall_seconds)
    pandas_over_dbt = _div(pandas.wall_seconds, dbt.wall_seconds)
    rows = [
        *(
            _at_most("dbt build / floor SQL (wall)", over_floor, limit, size, here)
            for size, limit in FULL_OVER_FLOOR_LIMIT.items()
        ),
        Ratio(
            "dbt build / floor SQL uncapped (wall)",
            _div(dbt.wall_seconds, s("floor SQL (uncapped)").wall_seconds),
            "",
            None,
        ),
        # "Faster than the pandas baseline" at 500 x 10: the ratio above 1.
        *(
            _at_least("pandas / dbt build (wall)", pandas_over_dbt, limit, size, here)
            for size, limit in PANDAS_OVER_FULL_LIMIT.items()
        ),
        _at_least(
            "pandas / dbt build (peak RSS)",
            _div(pandas.peak_rss_mb, dbt.peak_rss_mb),
            2.5,
            LARGE,
            here,
        ),
        Ratio(
            "pipeline peak RSS (max stage, MB)", peak, f"< {RSS_LIMIT_MB:g}", peak < RSS_LIMIT_MB
        ),
        _at_most(
            "load archive / bare read_parquet (wall)",
            _div(load.wall_seconds, load_floor.wall_seconds),
            2,
            "",
            here,
        ),
        Ratio(
            "update total / dbt build (full) (wall)",
            _div(update.wall_seconds, dbt.wall_seconds),
            "",
            None,
        ),
    ]
    startup = result.find_stage(DBT_STARTUP_STAGE)
    if startup is not None:
        over = update.wall_seconds - startup.wall_seconds
        rows.append(
            _at_most(
                "update total - dbt bare start-up (s)",
                over,
                UPDATE_OVER_STARTUP_SECONDS,
                SMALL,
                here,
            )
        )
    node_floor = result.find_stage(NODE_FLOOR_FULL_STAGE)
    if node_floor is not None:
        # the build above what its nodes cost with next to no data (its data work, near enough),
        # against the floor SQL, which computes the core marts only
        rows.append(
            Ratio(
                f"(dbt build - node floor {NODE_FLOOR_SIZE}) / floor SQL",
                _div(dbt.wall_seconds - node_floor.wall_seconds, floor.wall_seconds),
                "",
                None,
            )
        )
    return rows


def growth_ratio(result: BenchResult) -> Ratio | None:
    """The run's daily update against the same at 1 year: the medians of the alternated rounds,
    judged at 20 years (none when no round ran). Failed nodes in either side's builds, and not
    the run's, make it NO."""
    if not result.growth_rounds:
        return None
    base = statistics.median(r.base_seconds for r in result.growth_rounds)
    run = statistics.median(r.run_seconds for r in result.growth_rounds)
    ratio = Ratio(
        f"update {result.years} y / update {GROWTH_BASE_YEARS} y "
        f"(medians of {len(result.growth_rounds)} rounds)",
        _div(run, base),
        f"<= {UPDATE_GROWTH_LIMIT:g}",
        _div(run, base) <= UPDATE_GROWTH_LIMIT if result.years == GROWTH_YEARS else None,
        f"{GROWTH_YEARS} y",
    )
    return _timed_on_failed_build(ratio) if result.growth_failures else ratio


def growth_table(result: BenchResult) -> str:
    """The update growth's rounds: each side's update total, in the order they ran."""
    rows = [
        [
            r.number,
            f"{GROWTH_BASE_YEARS} y, then {result.years} y" if r.base_first
            else f"{result.years} y, then {GROWTH_BASE_YEARS} y",
            round(r.base_seconds, 2),
            round(r.run_seconds, 2),
            round(r.ratio, 2),
        ]
        for r in result.growth_rounds
    ]
    return format_table(
        ["round", "order", f"{GROWTH_BASE_YEARS} y update s", f"{result.years} y update s",
         "ratio"],
        rows,
    )


GROWTH_TITLE = (
    "The update growth: after each side's first daily update, one more on each side per round, "
    "on the same next session, the order alternating, each with its warehouse out of the OS "
    "page cache; update total = load + price checks + dbt build"
)


def _growth_parts(result: BenchResult, fence: bool) -> list[str]:
    if not result.growth_rounds:
        return []
    failed = (
        ["update growth: dbt nodes that did not pass: " + ", ".join(result.growth_failures)]
        if result.growth_failures
        else []
    )
    if fence:
        return ["", GROWTH_TITLE + ":", "", "```", growth_table(result), "```",
                *(["", *failed] if failed else [])]
    return ["", GROWTH_TITLE + ":", growth_table(result), *failed]


@dataclass(frozen=True)
class Reach:
    """A target's limit at the run's size, in seconds, against what the node floor (the same
    dbt graph with next to no data) takes: a limit below the node floor cannot be met by the
    project's graph of nodes, whatever its SQL, only by running fewer nodes."""

    target: str
    limit_seconds: float
    node_floor_seconds: float
    # Nodes of the node floor's builds failed, so nodes after them did not run: its time is then
    # too low, and only "NO" still holds.
    floor_failed: bool = False

    @property
    def reachable(self) -> bool | None:
        if self.node_floor_seconds > self.limit_seconds:
            return False
        return None if self.floor_failed else True

    def cells(self) -> list[object]:
        verdict = {True: "yes", False: "NO", None: "unknown (node floor failed)"}
        return [
            self.target,
            round(self.limit_seconds, 2),
            round(self.node_floor_seconds, 2),
            verdict[self.reachable],
        ]


def reach_rows(result: BenchResult) -> list[Reach]:
    """The targets set for the run's size, each limit in seconds against the node floor (none
    at a size no target is set for, or when the floor or a reference did not run)."""
    here = size_key(result)
    if here not in FULL_OVER_FLOOR_LIMIT:
        return []
    parts = {
        name: result.find_stage(name)
        for name in (
            NODE_FLOOR_FULL_STAGE,
            NODE_FLOOR_UPDATE_STAGE,
            "floor SQL",
            "pandas baseline",
            DBT_STARTUP_STAGE,
        )
    }
    if any(row is None for row in parts.values()):
        return []
    wall = {name: row.wall_seconds for name, row in parts.items() if row is not None}
    full_floor = wall[NODE_FLOOR_FULL_STAGE]
    over_floor, pandas_over = FULL_OVER_FLOOR_LIMIT[here], PANDAS_OVER_FULL_LIMIT[here]
    rows = [
        (f"dbt build (full) <= {over_floor:g}x floor SQL", over_floor * wall["floor SQL"],
         full_floor),
        (
            "dbt build (full) faster than pandas" if pandas_over == 1
            else f"dbt build (full) {pandas_over:g}x faster than pandas",
            wall["pandas baseline"] / pandas_over,
            full_floor,
        ),
    ]
    if here == SMALL:
        rows.append(
            (
                f"update total <= dbt bare start-up + {UPDATE_OVER_STARTUP_SECONDS:g} s",
                wall[DBT_STARTUP_STAGE] + UPDATE_OVER_STARTUP_SECONDS,
                wall[NODE_FLOOR_UPDATE_STAGE],
            )
        )
    failed = bool(result.node_floor_failures)
    return [Reach(target, limit, floor, failed) for target, limit, floor in rows]


REACH_TITLE = (
    f"Each target's limit at this size in seconds, against the same build and update at "
    f"{NODE_FLOOR_SIZE} (the node floor: what the project's dbt nodes cost with next to no data); "
    "a limit below the node floor cannot be met by these nodes, whatever their SQL"
)


def reach_table(result: BenchResult) -> str:
    rows = reach_rows(result)
    if not rows:
        return ""
    return format_table(
        ["target", "limit s", f"node floor {NODE_FLOOR_SIZE} s", "reachable"],
        [r.cells() for r in rows],
    )


def _rate(value: float) -> float | int:
    return round(value) if value >= 100 else round(value, 2)


def stage_table(result: BenchResult) -> str:
    rows = [
        [r.stage, r.rows, round(r.wall_seconds, 2), _rate(r.rows_per_second), round(r.peak_rss_mb)]
        for r in result.stages
    ]
    return format_table(TABLE_COLUMNS, rows)


def ratio_table(result: BenchResult) -> str:
    return format_table(
        ["figure", "value", "target", "target at", "met"],
        [r.cells() for r in ratios(result)],
    )


def _node_name(unique_id: str) -> str:
    kind, _, rest = unique_id.partition(".")
    return f"{kind} {rest.partition('.')[2]}"


def model_table(result: BenchResult, top: int = 8) -> str:
    full = {t.unique_id: t.seconds for t in result.full_build_models}
    update = {t.unique_id: t.seconds for t in result.update_build_models}
    nodes = [t for t in result.full_build_models if not t.unique_id.startswith("test.")][:top]
    rows = [
        [
            _node_name(t.unique_id),
            round(full[t.unique_id], 2),
            round(update.get(t.unique_id, 0.0), 2),
        ]
        for t in nodes
    ]
    tests = sum(t.seconds for t in result.full_build_models if t.unique_id.startswith("test."))
    rows.append(
        [
            "(all data and unit tests)",
            round(tests, 2),
            round(
                sum(
                    t.seconds for t in result.update_build_models if t.unique_id.startswith("test.")
                ),
                2,
            ),
        ]
    )
    return format_table(["node", "full s", "update s"], rows)


def chain_summary(chain: list[ChainNode]) -> str:
    """One line: how long the chain took, how much of it its nodes ran, how much they waited."""
    span = chain[-1].finished - chain[0].started
    ran = sum(node.seconds for node in chain)
    models = sum(1 for node in chain if node.unique_id.startswith("model."))
    return (
        f"{len(chain)} nodes ({models} models) from {chain[0].started:.2f} s to "
        f"{chain[-1].finished:.2f} s: {ran:.2f} s running, {span - ran:.2f} s waiting to be started"
    )


def chain_table(result: BenchResult) -> str:
    """The models and seeds of the update's longest chain, each with the seconds it waited after
    the chain's node before it, and the seconds of the data tests it waited for in between."""
    rows = []
    previous_end: float | None = None
    waited_before = 0.0
    tests = 0.0
    for node in result.update_chain:
        gap = node.started - previous_end if previous_end is not None else 0.0
        previous_end = node.finished
        if node.unique_id.startswith("test."):
            tests += node.seconds
            waited_before += gap
            continue
        rows.append(
            [
                _node_name(node.unique_id),
                round(node.started, 2),
                round(node.finished, 2),
                round(node.seconds, 2),
                round(waited_before + gap, 2),
                round(tests, 2),
            ]
        )
        waited_before = 0.0
        tests = 0.0
    return format_table(
        ["node", "start s", "end s", "s", "waited s", "tests before s"], rows
    )


def profile_table(result: BenchResult) -> str:
    ops = result.profile.get("operators") or []
    rows = [[o["operator"], round(o["seconds"], 2), o["rows"], o["detail"]] for o in ops]
    return format_table(["operator", "s", "rows", "detail"], rows, max_width=70)


SPARK_PEAK_NOTE = (
    "Peak RSS of the spark build: the largest single process, the JVM (reaped by the bench's "
    "launcher) or dbt's Python, not their sum."
)


def _models(timings: list[NodeTiming]) -> list[NodeTiming]:
    return [t for t in timings if t.unique_id.startswith("model.")]


def spark_figures(result: BenchResult) -> dict[str, object]:
    """The spark build against DuckDB: models built on each, and the DuckDB full build's time
    for the same nodes (dbt's execution_time summed over the nodes the spark build ran)."""
    if not result.spark_build_models:
        return {"skipped": result.spark_skipped} if result.spark_requested else {}
    spark_ids = {t.unique_id for t in result.spark_build_models}
    duck_same = [t for t in result.full_build_models if t.unique_id in spark_ids]
    built = [t for t in _models(result.spark_build_models) if t.status == "success"]
    spark_row = next(r for r in result.stages if r.stage == SPARK_BUILD_STAGE)
    duck_row = next(r for r in result.stages if r.stage == "dbt build (full)")
    return {
        "spark_models_built": len(built),
        "spark_nodes": len(result.spark_build_models),
        "spark_node_seconds": sum(t.seconds for t in result.spark_build_models),
        "spark_wall_seconds": spark_row.wall_seconds,
        "spark_peak_rss_mb": spark_row.peak_rss_mb,
        "duckdb_models_built": sum(
            1 for t in _models(result.full_build_models) if t.status == "success"
        ),
        "duckdb_nodes": len(result.full_build_models),
        "duckdb_node_seconds": sum(t.seconds for t in result.full_build_models),
        "duckdb_wall_seconds": duck_row.wall_seconds,
        "duckdb_same_models": len(_models(duck_same)),
        "duckdb_same_nodes": len(duck_same),
        "duckdb_same_node_seconds": sum(t.seconds for t in duck_same),
        "spark_failures": list(result.spark_failures),
    }


def spark_table(result: BenchResult) -> str:
    """DuckDB's full build, the same nodes within it, and the spark build, side by side."""
    f = spark_figures(result)
    if "spark_nodes" not in f:
        return str(f.get("skipped", ""))
    rows = [
        ["DuckDB dbt build (full)", f["duckdb_models_built"], f["duckdb_nodes"],
         round(f["duckdb_node_seconds"], 2), round(f["duckdb_wall_seconds"], 2)],
        ["DuckDB, the nodes the spark build ran", f["duckdb_same_models"], f["duckdb_same_nodes"],
         round(f["duckdb_same_node_seconds"], 2), None],
        [SPARK_BUILD_STAGE, f["spark_models_built"], f["spark_nodes"],
         round(f["spark_node_seconds"], 2), round(f["spark_wall_seconds"], 2)],
    ]
    return format_table(["build", "models built", "nodes", "node s (sum)", "wall s"], rows)


def _spark_parts(result: BenchResult) -> list[str]:
    if not result.spark_requested:
        return []
    if not result.spark_build_models:
        return ["", result.spark_skipped]
    parts = [
        "",
        "spark build against DuckDB (node s: dbt's execution_time summed over the nodes; "
        "wall s: the whole dbt process, start-up included)",
        spark_table(result),
        SPARK_PEAK_NOTE,
    ]
    if result.spark_failures:
        parts += ["spark nodes that did not pass:", *(f"  {f}" for f in result.spark_failures)]
    return parts


def result_file(folder: Path, tickers: int, years: int) -> Path:
    return folder / f"bench-{tickers}x{years}.json"


def save_result(
    result: BenchResult, folder: Path, day: str, facts: dict[str, str] | None = None
) -> Path:
    """The run's stage figures as JSON beside its document, one file per size (the latest run),
    for scripts that compare runs; facts: what it was measured on (commit, CPU in use, versions)."""
    path = result_file(folder, result.tickers, result.years)
    path.parent.mkdir(parents=True, exist_ok=True)
    stages = [
        {"stage": r.stage, "rows": r.rows, "wall_seconds": r.wall_seconds,
         "peak_rss_mb": r.peak_rss_mb}
        for r in result.stages
    ]
    payload: dict[str, object] = {
        "tickers": result.tickers, "years": result.years, "day": day, "stages": stages
    }
    if facts:
        payload["measured_on"] = facts
    if result.spark_requested:
        payload["spark"] = spark_figures(result)
    if result.growth_rounds:
        payload["growth_rounds"] = [asdict(r) for r in result.growth_rounds]
    path.write_text(json.dumps(payload, indent=1) + "\n")
    return path


def text_report(result: BenchResult) -> str:
    parts = [
        f"\nbench: {result.tickers} tickers x {result.years} years, "
        f"{result.spec.history_rows:,} history rows, {result.spec.events:,} events",
        stage_table(result),
        "",
        ratio_table(result),
        *_reach_parts(result, fence=False),
        *_growth_parts(result, fence=False),
        "",
        "dbt nodes, slowest first (run_results.json execution_time)",
        model_table(result),
    ]
    if result.update_chain:
        parts += [
            "",
            "the update's longest chain: " + chain_summary(result.update_chain),
            chain_table(result),
        ]
    if result.profile.get("operators"):
        parts += [
            "",
            f"slowest model {result.profile['model']}: top operators",
            profile_table(result),
        ]
    if result.dbt_failures:
        parts += ["", "dbt nodes that did not pass:", *(f"  {f}" for f in result.dbt_failures)]
    if result.node_floor_failures:
        parts += [
            "",
            "node floor: dbt nodes that did not pass:",
            *(f"  {f}" for f in result.node_floor_failures),
        ]
    parts += _spark_parts(result)
    return "\n".join(parts)


def _reach_parts(result: BenchResult, fence: bool) -> list[str]:
    """The reach table with its title, as lines of the text report or (fence) of markdown."""
    table = reach_table(result)
    if not table:
        return []
    if fence:
        return ["", REACH_TITLE + ":", "", "```", table, "```"]
    return ["", REACH_TITLE + ":", table]


def _marker(key: str, edge: str) -> str:
    return f"<!-- bench:{key}:{edge} -->"


def size_key(result: BenchResult) -> str:
    return f"{result.tickers}x{result.years}"


def markdown_section(
    result: BenchResult,
    command: str,
    day: str,
    machine: dict[str, str],
    failure: str = "",
) -> str:
    facts = ", ".join(f"{k} {v}" for k, v in machine.items())
    failing = [
        f"{n} ({c['failing_rows']})"
        for n, c in result.checks.get("checks", {}).items()
        if not c["passed"]
    ]
    lines = [
        f"### {result.tickers} tickers x {result.years} years "
        f"({result.spec.history_rows:,} rows, {result.spec.events:,} events)",
        "",
        f"Run {day} with `{command}`; {facts}.",
        *(["", "**INCOMPLETE**: " + failure, ""] if failure else [""]),
        "```",
        stage_table(result),
        "```",
        "",
        "```",
        ratio_table(result),
        "```",
        *_reach_parts(result, fence=True),
        *_growth_parts(result, fence=True),
        "",
        "dbt nodes, slowest first (`run_results.json` execution_time):",
        "",
        "```",
        model_table(result),
        "```",
    ]
    if result.update_chain:
        lines += [
            "",
            "The update's longest chain (each node waits for its parents and their data tests; "
            "critical_path.py): " + chain_summary(result.update_chain) + ".",
            "",
            "```",
            chain_table(result),
            "```",
        ]
    if result.profile.get("operators"):
        lines += [
            "",
            f"Slowest model `{result.profile['model']}`, top DuckDB operators "
            "(JSON profile of its compiled SQL):",
            "",
            "```",
            profile_table(result),
            "```",
        ]
    if failing:
        lines += ["", "Price checks that did not pass: " + ", ".join(failing)]
    if result.dbt_failures:
        lines += ["", "dbt nodes that did not pass: " + ", ".join(result.dbt_failures)]
    if result.node_floor_failures:
        lines += [
            "",
            "Node floor: dbt nodes that did not pass: " + ", ".join(result.node_floor_failures),
        ]
    if result.spark_requested and result.spark_build_models:
        lines += ["", "Spark build against DuckDB:", "", "```", spark_table(result), "```", "",
                  SPARK_PEAK_NOTE]
        if result.spark_failures:
            lines += ["", "Spark nodes that did not pass: " + ", ".join(result.spark_failures)]
    elif result.spark_requested:
        lines += ["", result.spark_skipped.split("\n")[0]]
    return "\n".join(lines)


def update_document(doc: Path, key: str, section: str) -> None:
    """Replace the section of `key` in doc (or append it); everything else is kept."""
    start, end = _marker(key, "start"), _marker(key, "end")
    block = f"{start}\n{section}\n{end}"
    text = doc.read_text() if doc.exists() else f"# Benchmarks\n\n{SECTIONS_HEADER}\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


def startup_table(result: StartupResult) -> str:
    rows: list[list[object]] = [
        [
            r.what + ("" if r.returncode == 0 else " -- FAILED"),
            round(r.wall_seconds, 2),
            round(r.peak_rss_mb),
        ]
        for r in result.rows
    ]
    rows.append(
        ["fixed start-up = " + " + ".join(FIXED_PARTS), round(result.fixed_seconds, 2), None]
    )
    rows.append(["demo / fixed start-up", round(result.demo_over_fixed, 2), None])
    return format_table(["what", "wall s", "peak RSS MB"], rows, max_width=110)


DEMO_PHASES_TITLE = (
    "Where the demo's time went (its Dagster run's step times; each phase the median of the "
    "rounds)"
)


def demo_phase_table(result: StartupResult) -> str:
    """The demo's phases with their share of its wall time; empty when they were not read."""
    if not result.demo_phases:
        return ""
    total = sum(p.seconds for p in result.demo_phases)
    rows: list[list[object]] = [
        [p.what, round(p.seconds, 2), f"{p.seconds / total:.0%}" if total > 0 else None]
        for p in result.demo_phases
    ]
    return format_table(["phase", "s", "share"], rows, max_width=110)


def startup_section(result: StartupResult, command: str, day: str, machine: dict[str, str]) -> str:
    facts = ", ".join(f"{k} {v}" for k, v in machine.items())
    met = "met" if result.demo_over_fixed <= DEMO_OVER_STARTUP_LIMIT else "NOT met"
    if result.failed:
        met = "not measurable: " + ", ".join(result.failed) + " failed"
    return "\n".join(
        [
            "### make demo against the fixed start-up of Dagster plus dbt",
            "",
            f"Run {day} with `{command}`; {facts}.",
            *(
                [
                    "",
                    f"Median of {result.rounds} rounds (every part once per round, in turn); "
                    "peak RSS is the highest of the rounds.",
                ]
                if result.rounds > 1
                else []
            ),
            "",
            "```",
            startup_table(result),
            "```",
            "",
            f"Target: demo within {DEMO_OVER_STARTUP_LIMIT:g}x the fixed start-up: "
            f"{result.demo_over_fixed:.2f}x, {met}.",
            *(
                ["", DEMO_PHASES_TITLE + ":", "", "```", demo_phase_table(result), "```"]
                if result.demo_phases
                else []
            ),
        ]
    )
