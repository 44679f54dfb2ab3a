"""`adrpulse bench`: the benchmark harness (orchestration/tools/benchmark) at one size, or the
demo's fixed costs."""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from assets.settings import DBT_PROJECT_DIR, REPO_ROOT, Settings
from orchestration.commands.common import CliError
from orchestration.tools.benchmark import DEFAULT_SEED

if TYPE_CHECKING:
    from orchestration.tools.benchmark.harness import BenchResult

# The tracked document: updated only when asked (--write-docs), so a bench leaves the tree clean.
TRACKED_DOC = REPO_ROOT / "docs" / "BENCHMARKS.md"
RESULTS_NAME = "BENCHMARKS.md"  # under ADRPULSE_HOME/bench unless --doc says otherwise
MAX_TICKERS, MAX_YEARS = 5_000, 20
MAX_ROUNDS = 9


def _progress(line: str) -> None:
    print(line, flush=True)


def run_empty_job(load_definitions: bool) -> None:
    """A Dagster in-process run of a one-op job that does nothing (the fixed cost of a run)."""
    from dagster import DagsterInstance, job, op

    if load_definitions:
        # The code location the demo loads (built from the settings of the bench's home).
        from assets.settings import Settings
        from orchestration.definitions import build_definitions

        build_definitions(Settings.from_env())

    @op
    def nothing() -> None:
        return None

    @job
    def empty_job() -> None:
        nothing()

    with DagsterInstance.get() as instance:
        result = empty_job.execute_in_process(instance=instance)
    sys.exit(0 if result.success else 1)


def _empty_job_argv(load_definitions: bool) -> list[str]:
    code = (
        f"from orchestration.commands.bench import run_empty_job; run_empty_job({load_definitions})"
    )
    return [sys.executable, "-c", code]


def result_documents(args: argparse.Namespace, settings: Settings) -> list[Path]:
    """Where a bench writes its section: --doc (default ADRPULSE_HOME/bench/BENCHMARKS.md; '-':
    nowhere), plus docs/BENCHMARKS.md with --write-docs."""
    docs = [] if args.doc == "-" else [
        Path(args.doc).expanduser() if args.doc else settings.home / "bench" / RESULTS_NAME
    ]
    if args.write_docs and TRACKED_DOC.resolve() not in {d.resolve() for d in docs}:
        docs.append(TRACKED_DOC)
    return docs


def _wrote(section: str, docs: list[Path]) -> None:
    for doc in docs:
        print(f"\nWrote the {section} section of {doc}")
    if TRACKED_DOC.resolve() not in {d.resolve() for d in docs}:
        print(f"({TRACKED_DOC.relative_to(REPO_ROOT)} is updated only with --write-docs.)")


def cmd_demo_cost(args: argparse.Namespace, settings: Settings, command: str) -> int:
    import tempfile

    from orchestration.tools.benchmark.machine import machine_facts, run_facts
    from orchestration.tools.benchmark.report import (
        DEMO_PHASES_TITLE,
        demo_phase_table,
        startup_section,
        startup_table,
        update_document,
    )
    from orchestration.tools.benchmark.startup import measure_startup

    started = run_facts(REPO_ROOT)
    with tempfile.TemporaryDirectory(prefix="adrpulse-bench-startup-") as tmp:
        print("Measuring adrpulse demo against the fixed start-up of Dagster and dbt")
        result = measure_startup(
            Path(tmp), REPO_ROOT, DBT_PROJECT_DIR, _empty_job_argv, _progress, args.rounds
        )
    print()
    print(startup_table(result))
    if result.demo_phases:
        print(f"\n{DEMO_PHASES_TITLE}:\n{demo_phase_table(result)}")
    docs = result_documents(args, settings)
    if docs:
        facts = {**started, **machine_facts()}
        section = startup_section(result, command, date.today().isoformat(), facts)
        for doc in docs:
            update_document(doc, "startup", section)
        _wrote("startup", docs)
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.tools.benchmark.harness import (
        MAX_GROWTH_ROUNDS,
        BenchError,
        run_bench,
    )
    from orchestration.tools.benchmark.machine import run_facts

    command = ("adrpulse bench " + shlex.join(sys.argv[2:])).strip()
    if not 1 <= args.rounds <= MAX_ROUNDS:
        raise CliError(f"--rounds must be between 1 and {MAX_ROUNDS}")
    if args.rounds > 1 and not args.demo_cost:
        raise CliError("--rounds applies to --demo-cost only; add --demo-cost or drop --rounds")
    if args.demo_cost:
        return cmd_demo_cost(args, settings, command)
    if not 4 <= args.tickers <= MAX_TICKERS:
        raise CliError(f"--tickers must be between 4 and {MAX_TICKERS}")
    if not 1 <= args.years <= MAX_YEARS:
        raise CliError(f"--years must be between 1 and {MAX_YEARS}")
    if args.growth_rounds is not None and not 0 <= args.growth_rounds <= MAX_GROWTH_ROUNDS:
        raise CliError(f"--growth-rounds must be between 0 and {MAX_GROWTH_ROUNDS}")
    started = run_facts(REPO_ROOT)
    try:
        result = run_bench(
            args.tickers,
            args.years,
            DBT_PROJECT_DIR,
            out=Path(args.out) if args.out else None,
            keep=args.keep,
            seed=args.seed,
            spark=args.spark,
            growth_rounds=args.growth_rounds,
            progress=_progress,
        )
    except BenchError as exc:
        if exc.result is None or not exc.result.stages:
            raise CliError(str(exc)) from exc
        print(f"\nINCOMPLETE: {exc}\n\nStages measured before the failure:")
        _report(args, settings, exc.result, command, started, failure=str(exc).splitlines()[0])
        return 1
    _report(args, settings, result, command, started)
    return 0


def _report(
    args: argparse.Namespace,
    settings: Settings,
    result: BenchResult,
    command: str,
    started: dict[str, str],
    failure: str = "",
) -> None:
    """started: run_facts taken before the run (its commit, hour and the CPU in use then)."""
    from orchestration.tools.benchmark.machine import machine_facts
    from orchestration.tools.benchmark.report import (
        markdown_section,
        save_result,
        size_key,
        text_report,
        update_document,
    )

    # Each complete run's figures are kept per size under ADRPULSE_HOME/bench (JSON).
    results = settings.home / "bench"
    day = date.today().isoformat()
    facts = {**started, **machine_facts()}
    print(text_report(result))
    print("Measured on " + ", ".join(f"{k} {v}" for k, v in facts.items()))
    if not failure:
        print(f"Saved the figures to {save_result(result, results, day, facts)}")
    docs = result_documents(args, settings)
    if docs:
        section = markdown_section(result, command, day, facts, failure)
        for doc in docs:
            update_document(doc, size_key(result), section)
        _wrote(size_key(result), docs)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmark load, dbt build, update and checks on a synthetic archive",
        description="Generate a synthetic raw archive (TICKERS x YEARS of XNYS sessions), then "
        "time each stage in its own process: loading the archive, the dbt build of every mart "
        "from scratch, the price checks and one daily update; against a hand-written DuckDB "
        "floor and a pandas baseline, and the node floor (the same build and update at 10 "
        "tickers x 1 year: what dbt's nodes cost with next to no data, which a target's limit "
        "must exceed to be reachable); at 20 years, last, the update growth (the daily update "
        "against the same update over 1 year of the same tickers, in alternated rounds). "
        "Prints a table and writes its section of "
        "ADRPULSE_HOME/bench/BENCHMARKS.md (or --doc FILE); the tracked docs/BENCHMARKS.md "
        "only with --write-docs.",
    )
    p.add_argument("--tickers", type=int, default=500, help="tickers (default 500, max 5000)")
    p.add_argument("--years", type=int, default=10, help="years of sessions (default 10, max 20)")
    p.add_argument("--out", metavar="DIR", help="work folder (default: a new temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    p.add_argument(
        "--doc",
        default="",
        metavar="FILE",
        help="markdown file whose section for this size is updated (default: "
        "ADRPULSE_HOME/bench/BENCHMARKS.md; '-': none)",
    )
    p.add_argument(
        "--write-docs",
        action="store_true",
        help="also update this size's section of the tracked docs/BENCHMARKS.md",
    )
    p.add_argument(
        "--spark",
        action="store_true",
        help="also, last: export the raw tables as Parquet and time the dbt build on the spark "
        "target (what `adrpulse build --target spark` runs: the models tagged spark) on the same "
        "warehouse, beside DuckDB's time for the same nodes (skipped, with the reason, when "
        "Spark or Java is missing)",
    )
    p.add_argument(
        "--growth-rounds",
        type=int,
        default=None,
        metavar="N",
        help="rounds of the update growth: the same tickers over 1 year are built beside the "
        "run, then each round runs one more daily update on each side (the same next session, "
        "the order alternating) and the medians make the ratio (default 3 at 20 years, else 0; "
        "0: skip; needs --years 2 or more; about 2 daily updates a round)",
    )
    p.add_argument(
        "--demo-cost",
        action="store_true",
        help="instead: time `adrpulse demo` against an empty Dagster run + dbt parse + an "
        "empty dbt build",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        metavar="N",
        help="with --demo-cost: measure every part N times, in turn, and report each part's "
        f"median (default 1, max {MAX_ROUNDS}; about 2 minutes a round)",
    )
    p.set_defaults(func=cmd_bench)
