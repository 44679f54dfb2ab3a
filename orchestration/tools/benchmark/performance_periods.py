"""What the since_inception period costs fct_performance_summary, on a kept bench work folder
(`adrpulse bench --keep --out ROOT`): the model's compiled SQL runs as dbt built it and without
since_inception, in turn, under the pipeline's DuckDB memory cap; the median of each and
since_inception's share are printed. The daily update recomputes that period over every session
of every subject, so this share is what keeping its figures per subject could save
(docs/BENCHMARKS.md).

    .venv/bin/python -m orchestration.tools.benchmark.performance_periods ROOT [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.settings import Settings
from orchestration.tools.benchmark.dbt_runner import compiled_sql
from orchestration.tools.benchmark.workdir import BenchPaths

MODEL = "fct_performance_summary"
# The one condition that keeps since_inception's rows (it has no anchor date); the harness
# refuses to run if the model no longer says it this way, rather than time the wrong query.
WITH_INCEPTION = (
    "where period_anchors.anchor_date is not null or period_anchors.period = 'since_inception'"
)
WITHOUT_INCEPTION = "where period_anchors.anchor_date is not null"


@dataclass(frozen=True)
class PeriodTimings:
    rows_with: int
    rows_without: int
    seconds_with: list[float]
    seconds_without: list[float]

    @property
    def median_with(self) -> float:
        return statistics.median(self.seconds_with)

    @property
    def median_without(self) -> float:
        return statistics.median(self.seconds_without)

    @property
    def inception_share(self) -> float:
        return 1 - self.median_without / self.median_with


def without_inception(sql: str) -> str:
    if sql.count(WITH_INCEPTION) != 1:
        raise ValueError(
            f"{MODEL}'s compiled SQL no longer has the since_inception condition this harness "
            f"removes ({WITH_INCEPTION!r}); update WITH_INCEPTION in {__name__}"
        )
    return sql.replace(WITH_INCEPTION, WITHOUT_INCEPTION)


def _timed_rows(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, int]:
    started = time.perf_counter()
    con.execute(f"create or replace temp table performance_periods as {sql}")
    seconds = time.perf_counter() - started
    return seconds, con.execute("select count(*) from performance_periods").fetchone()[0]


def time_periods(paths: BenchPaths, rounds: int, memory_limit: str) -> PeriodTimings:
    sql = compiled_sql(paths, MODEL)
    if sql is None:
        raise FileNotFoundError(
            f"no compiled {MODEL} under {paths.dbt_project / 'target' / 'compiled'}: "
            "run `adrpulse bench --keep --out ROOT` first"
        )
    variants = {"with": sql, "without": without_inception(sql)}
    seconds: dict[str, list[float]] = {"with": [], "without": []}
    rows: dict[str, int] = {}
    # read-only: the temp tables live in memory, the kept warehouse is left as the bench wrote it
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        con.execute(f"set memory_limit = '{memory_limit}'")
        for _ in range(rounds):
            for name, variant in variants.items():
                elapsed, count = _timed_rows(con, variant)
                seconds[name].append(elapsed)
                rows[name] = count
    finally:
        con.close()
    return PeriodTimings(rows["with"], rows["without"], seconds["with"], seconds["without"])


def report(timings: PeriodTimings, rounds: int) -> str:
    lines = [
        f"{MODEL}: median of {rounds} round(s), each variant once per round",
        "",
        f"{'variant':<26}  {'rows':>6}  {'median s':>8}  {'every round, s'}",
        f"{'-' * 26}  {'-' * 6}  {'-' * 8}  {'-' * 14}",
    ]
    for name, rows, median, every in (
        ("as built", timings.rows_with, timings.median_with, timings.seconds_with),
        ("without since_inception", timings.rows_without, timings.median_without,
         timings.seconds_without),
    ):
        lines.append(
            f"{name:<26}  {rows:>6}  {median:>8.2f}  {', '.join(f'{s:.2f}' for s in every)}"
        )
    lines += ["", f"since_inception's share of the model: {100 * timings.inception_share:.0f}%"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.tools.benchmark.performance_periods",
        description=(
            f"Time {MODEL}'s compiled SQL with and without the since_inception period on a kept "
            "bench work folder (adrpulse bench --keep --out ROOT)."
        ),
    )
    parser.add_argument("root", type=Path, help="the bench work folder (--out of adrpulse bench)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    paths = BenchPaths(args.root)
    if not paths.warehouse.exists():
        parser.error(f"no warehouse at {paths.warehouse}: run `adrpulse bench --keep --out "
                     f"{args.root}` first")
    memory_limit = Settings.from_env(dict(os.environ)).duckdb_memory_limit
    try:
        timings = time_periods(paths, args.rounds, memory_limit)
    except (FileNotFoundError, ValueError) as error:
        parser.exit(1, f"performance_periods: {error}\n")
    print(f"{paths.warehouse} (DuckDB memory cap {memory_limit})\n")
    print(report(timings, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
