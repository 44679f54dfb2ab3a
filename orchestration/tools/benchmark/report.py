"""The bench's table, ratios and its section of docs/BENCHMARKS.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from orchestration.tables import format_table
from orchestration.tools.benchmark.harness import BenchResult
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
    name: str
    value: float
    target: str
    met: bool | None  # None: no target at this size

    def cells(self) -> list[object]:
        met = "" if self.met is None else ("yes" if self.met else "NO")
        return [self.name, round(self.value, 2), self.target, met]


def _div(a: float, b: float) -> float:
    return a / b if b else float("nan")


def ratios(result: BenchResult) -> list[Ratio]:
    """The ratios whose stages all ran (an incomplete run has fewer)."""
    try:
        return _ratios(result)
    except StopIteration:
        return []


def _at_most(name: str, value: float, limit: float) -> Ratio:
    return Ratio(name, value, f"<= {limit:g}", value <= limit)


def _at_least(name: str, value: float, limit: float) -> Ratio:
    return Ratio(name, value, f">= {limit:g}", value >= limit)


def _ratios(result: BenchResult) -> list[Ratio]:
    s = result.stage
    dbt, floor, pandas = s("dbt build (full)"), s("floor SQL"), s("pandas baseline")
    load, load_floor = s("load archive"), s("load floor (read_parquet)")
    peak = max(row.peak_rss_mb for row in result.stages if row.stage in PIPELINE_STAGES)
    return [
        _at_most("dbt build / floor SQL (wall)", _div(dbt.wall_seconds, floor.wall_seconds), 1.3),
        Ratio(
            "dbt build / floor SQL uncapped (wall)",
            _div(dbt.wall_seconds, s("floor SQL (uncapped)").wall_seconds),
            "",
            None,
        ),
        _at_least("pandas / dbt build (wall)", _div(pandas.wall_seconds, dbt.wall_seconds), 3.5),
        _at_least(
            "pandas / dbt build (peak RSS)", _div(pandas.peak_rss_mb, dbt.peak_rss_mb), 2.5
        ),
        Ratio(
            "dbt build peak RSS / 4096 MB",
            _div(dbt.peak_rss_mb, 4096.0),
            "< 1",
            dbt.peak_rss_mb < 4096.0,
        ),
        Ratio("pipeline peak RSS (max stage, MB)", peak, "< 4096", peak < 4096.0),
        _at_most(
            "load archive / bare read_parquet (wall)",
            _div(load.wall_seconds, load_floor.wall_seconds),
            2,
        ),
        Ratio(
            "update total / dbt build (full) (wall)",
            _div(s("update: total").wall_seconds, dbt.wall_seconds),
            "",
            None,
        ),
    ]


def _rate(value: float) -> float | int:
    return round(value) if value >= 100 else round(value, 2)


def stage_table(result: BenchResult) -> str:
    rows = [
        [r.stage, r.rows, round(r.wall_seconds, 2), _rate(r.rows_per_second), round(r.peak_rss_mb)]
        for r in result.stages
    ]
    return format_table(TABLE_COLUMNS, rows)


def ratio_table(result: BenchResult) -> str:
    return format_table(["ratio", "value", "target", "met"], [r.cells() for r in ratios(result)])


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


def profile_table(result: BenchResult) -> str:
    ops = result.profile.get("operators") or []
    rows = [[o["operator"], round(o["seconds"], 2), o["rows"], o["detail"]] for o in ops]
    return format_table(["operator", "s", "rows", "detail"], rows, max_width=70)


def text_report(result: BenchResult) -> str:
    parts = [
        f"\nbench: {result.tickers} tickers x {result.years} years, "
        f"{result.spec.history_rows:,} history rows, {result.spec.events:,} events",
        stage_table(result),
        "",
        ratio_table(result),
        "",
        "dbt nodes, slowest first (run_results.json execution_time)",
        model_table(result),
    ]
    if result.profile.get("operators"):
        parts += [
            "",
            f"slowest model {result.profile['model']}: top operators",
            profile_table(result),
        ]
    if result.dbt_failures:
        parts += ["", "dbt nodes that did not pass:", *(f"  {f}" for f in result.dbt_failures)]
    return "\n".join(parts)


def _marker(key: str, edge: str) -> str:
    return f"<!-- bench:{key}:{edge} -->"


def size_key(result: BenchResult) -> str:
    return f"{result.tickers}x{result.years}"


def markdown_section(
    result: BenchResult, command: str, day: str, machine: dict[str, str], failure: str = ""
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
        "",
        "dbt nodes, slowest first (`run_results.json` execution_time):",
        "",
        "```",
        model_table(result),
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


def startup_section(result: StartupResult, command: str, day: str, machine: dict[str, str]) -> str:
    facts = ", ".join(f"{k} {v}" for k, v in machine.items())
    met = "met" if result.demo_over_fixed <= 2.0 else "NOT met"
    if result.failed:
        met = "not measurable: " + ", ".join(result.failed) + " failed"
    return "\n".join(
        [
            "### make demo against the fixed start-up of Dagster plus dbt",
            "",
            f"Run {day} with `{command}`; {facts}.",
            "",
            "```",
            startup_table(result),
            "```",
            "",
            f"Target: demo within 2x the fixed start-up: {result.demo_over_fixed:.2f}x, {met}.",
        ]
    )
