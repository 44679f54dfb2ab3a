"""`adrpulse demo | run | build | rebuild | ui`: the pipeline as a whole."""

from __future__ import annotations

import argparse

from orchestration.commands.common import report_run, run_job
from orchestration.commands.query import query_published
from orchestration.settings import SAMPLE_ARCHIVE_DIR, Settings
from orchestration.tables import format_table


def print_summary(settings: Settings, preview_rows: int = 3) -> None:
    """Rows per published table and a few rows of each mart."""
    _, names = query_published(
        settings,
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('marts', 'reference') order by 1",
    )
    counts = []
    for (name,) in names:
        _, n = query_published(settings, f"select count(*) from {name}")
        counts.append((name, n[0][0]))
    print("\nPublished tables")
    print(format_table(["table", "rows"], counts))
    for name, _ in counts:
        if not name.startswith("marts."):
            continue
        cols, preview = query_published(settings, f"select * from {name} limit {preview_rows}")
        keep = cols[:8]
        print(f"\n{name} (first {len(keep)} of {len(cols)} columns)")
        print(format_table(keep, [r[: len(keep)] for r in preview], max_width=28))


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    print(f"Replaying the bundled SYNTHETIC sample archive ({SAMPLE_ARCHIVE_DIR}) offline.")
    result = run_job("demo_sample_replay")
    status = report_run(result)
    if status == 0:
        print_summary(settings)
        print(
            '\nNext: adrpulse sql "select * from marts.fct_event_study_summary limit 5", '
            "or make ui to browse the assets and this run."
        )
    return status


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    config = {"ops": {"raw_prices": {"config": {"as_of": args.as_of or ""}}}}
    return report_run(run_job("daily_refresh", config))


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    return report_run(run_job("build_marts"))


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    return report_run(run_job("rebuild_from_archive"))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole pipeline offline on the bundled sample",
        description="Replay the bundled synthetic sample archive through Dagster, dbt and the "
        "checks, then print a summary. No network.",
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "run",
        help="the live daily run (Yahoo prices, RSS news, marts)",
        description="Fetch the latest prices and news, rebuild the marts and publish them.",
    )
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="last session to fetch (default: today)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "build",
        help="rebuild the dbt models from what is stored (no network)",
        description="Run every dbt model and test on the stored raw data, then publish.",
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "rebuild",
        help="empty the raw tables and replay the whole raw archive",
        description="Rebuild the warehouse from ADRPULSE_HOME/archive, offline.",
    )
    p.set_defaults(func=cmd_rebuild)
