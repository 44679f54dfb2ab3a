"""`adrpulse`: the command line. Every pipeline command launches a Dagster run on the instance
under ADRPULSE_HOME, so it shows in the UI's run history like a scheduled run."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orchestration.settings import SAMPLE_ARCHIVE_DIR, Settings
from orchestration.tables import format_csv, format_json, format_table

EPILOG = (
    "State lives under ADRPULSE_HOME (default: .adrpulse in the repository). "
    "See README.md for live runs, imports and querying."
)


class CliError(Exception):
    """A user-facing error: printed without a traceback, exit status 1."""


# --- running jobs --------------------------------------------------------------------------


def _quiet_loggers() -> dict[str, Any]:
    return {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def run_job(job_name: str, run_config: dict[str, Any] | None = None) -> Any:
    """Execute a job of the code location in this process, recorded on the Dagster instance."""
    from dagster import DagsterInstance

    from orchestration.definitions import SETTINGS, defs

    job = defs.resolve_job_def(job_name)
    config = {**(run_config or {}), **_quiet_loggers()}
    print(f"Dagster run of job {job_name} (DAGSTER_HOME={SETTINGS.dagster_home})", file=sys.stderr)
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, run_config=config, raise_on_error=False)
    return result


def _check_rows(result: Any) -> list[tuple[str, str, str, str]]:
    rows = []
    for evaluation in result.get_asset_check_evaluations():
        severity = getattr(evaluation.severity, "value", str(evaluation.severity))
        rows.append(
            (
                evaluation.asset_key.to_user_string(),
                evaluation.check_name,
                "passed" if evaluation.passed else "FAILED",
                severity if not evaluation.passed else "",
            )
        )
    return sorted(rows)


def _report_run(result: Any, show_checks: bool = True) -> None:
    if show_checks:
        rows = _check_rows(result)
        if rows:
            print("\nChecks")
            print(format_table(["asset", "check", "result", "severity"], rows))
            failed = sum(1 for r in rows if r[2] != "passed")
            print(f"{len(rows) - failed} passed, {failed} failed")
    status = "succeeded" if result.success else "FAILED"
    print(f"\nRun {result.run_id} {status}.")
    if not result.success:
        for event in result.all_events:
            if event.is_failure and event.step_key:
                data = event.event_specific_data
                error = getattr(data, "error", None)
                message = error.message.strip() if error is not None else event.message
                print(f"  step {event.step_key}: {message}", file=sys.stderr)
        print("See the run in the UI (adrpulse ui) for the full log.", file=sys.stderr)


# --- reading the published marts -----------------------------------------------------------


def _query_published(settings: Settings, query: str) -> tuple[list[str], list[tuple]]:
    import duckdb

    from warehouse.publish import open_published

    try:
        con = open_published(settings.published_dir)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    try:
        cursor = con.execute(query)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        raise CliError(
            f'query failed: {exc}\nTables: run `adrpulse sql "show all tables"`.'
        ) from exc
    finally:
        con.close()
    return columns, rows


def _print_result(columns: list[str], rows: list[tuple], fmt: str) -> None:
    if fmt == "csv":
        sys.stdout.write(format_csv(columns, rows))
    elif fmt == "json":
        print(format_json(columns, rows))
    else:
        print(format_table(columns, rows))
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def print_summary(settings: Settings, marts_preview_rows: int = 3) -> None:
    """Rows per published table and a few rows of each mart."""
    columns, rows = _query_published(
        settings,
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('marts', 'reference') order by 1",
    )
    counts = []
    for (name,) in rows:
        _, n = _query_published(settings, f"select count(*) from {name}")
        counts.append((name, n[0][0]))
    print("\nPublished tables")
    print(format_table(["table", "rows"], counts))
    for name, _ in counts:
        if not name.startswith("marts."):
            continue
        cols, preview = _query_published(
            settings, f"select * from {name} limit {marts_preview_rows}"
        )
        keep = cols[:8]
        print(f"\n{name} (first {len(keep)} of {len(cols)} columns)")
        print(format_table(keep, [r[: len(keep)] for r in preview], max_width=28))


# --- commands ------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    print(f"Replaying the bundled SYNTHETIC sample archive ({SAMPLE_ARCHIVE_DIR}) offline.")
    result = run_job("demo_sample_replay")
    _report_run(result)
    if result.success:
        print_summary(settings)
        print(
            '\nNext: `adrpulse sql "select * from marts.fct_event_study_summary limit 5"`, '
            "or `make ui` to browse the assets and this run."
        )
    return 0 if result.success else 1


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    config = {"ops": {"raw_prices": {"config": {"as_of": args.as_of or ""}}}}
    result = run_job("daily_refresh", config)
    _report_run(result)
    return 0 if result.success else 1


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    result = run_job("build_marts")
    _report_run(result)
    return 0 if result.success else 1


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    result = run_job("rebuild_from_archive")
    _report_run(result)
    return 0 if result.success else 1


def cmd_import_prices(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from assets.prices.importer import PriceImportError, read_price_import

    from assets.universe import universe_tickers
    from warehouse.archive import write_price_fetch

    path = Path(args.path).expanduser()
    if not path.exists():
        raise CliError(f"{path} does not exist: give a directory of <TICKER>.csv files or one file")
    universe = set(universe_tickers(settings.universe_path))
    try:
        imported = read_price_import(path, universe_tickers=universe)
    except PriceImportError as exc:
        raise CliError(f"import rejected, nothing was stored: {exc}") from exc
    bars = imported.bars
    if imported.new_tickers:
        print(
            "Not in the universe, added as group 'unclassified': " + ", ".join(imported.new_tickers)
        )
    tickers = sorted(set(bars["ticker"]))
    manifest = write_price_fetch(
        settings.archive_dir,
        bars,
        source="import",
        fetched_at=datetime.now(UTC),
        tickers=tickers,
        start=min(bars["session_date"]),
        end=max(bars["session_date"]),
        note=f"imported from {path.resolve()}",
    )
    print(
        f"Archived {len(bars):,} rows for {len(tickers)} tickers as {manifest.manifest_file}; "
        "loading through Dagster."
    )
    result = run_job("load_archive")
    _report_run(result)
    return 0 if result.success else 1


def cmd_sql(args: argparse.Namespace, settings: Settings) -> int:
    fmt = "csv" if args.csv else "json" if args.json else "table"
    if args.query:
        columns, rows = _query_published(settings, args.query)
        _print_result(columns, rows, fmt)
        return 0
    print("ADR Pulse SQL over the published marts. End a query with ';'. Ctrl-D to quit.")
    buffer: list[str] = []
    while True:
        try:
            line = input("adrpulse> " if not buffer else "      ...> ")
        except EOFError:
            print()
            return 0
        buffer.append(line)
        if line.rstrip().endswith(";"):
            query = "\n".join(buffer)
            buffer.clear()
            try:
                columns, rows = _query_published(settings, query)
                _print_result(columns, rows, fmt)
            except CliError as exc:
                print(exc, file=sys.stderr)


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.dbt_project import ensure_manifest
    from orchestration.instance import prepare_environment

    prepare_environment(settings)
    ensure_manifest()
    dagster = Path(sys.executable).with_name("dagster")
    command = [
        str(dagster) if dagster.exists() else "dagster",
        "dev",
        "-m",
        "orchestration.definitions",
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    print(f"Dagster UI on http://{args.host}:{args.port} (Ctrl-C stops it)")
    os.execv(command[0], command)  # replaces this process: signals go straight to dagster dev
    return 0


# --- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adrpulse",
        description="ADR Pulse: China ADRs vs US megacaps, and how both react to news.",
        epilog=EPILOG,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "demo",
        help="run the whole pipeline offline on the bundled sample",
        description="Replay the bundled synthetic sample archive through Dagster, "
        "dbt and the checks, then print a summary. No network.",
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "run",
        help="the live daily run (Yahoo prices, RSS news, marts)",
        description="Fetch the latest prices and news, rebuild and publish marts.",
    )
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="last session to fetch (default: today)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "import-prices",
        help="import bars from CSV or Parquet files",
        description="Import daily bars: a directory of <TICKER>.csv files "
        "(date,open,high,low,close,volume[,adj_close,dividends,splits]) or one long "
        "CSV/Parquet file with a ticker column. The file is archived, then loaded.",
    )
    p.add_argument("path", help="directory or file to import")
    p.set_defaults(func=cmd_import_prices)

    p = sub.add_parser("build", help="rebuild the dbt models from what is stored (no network)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "rebuild",
        help="empty the raw tables and replay the whole raw archive",
        description="Rebuild the warehouse from ADRPULSE_HOME/archive, offline.",
    )
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser(
        "sql",
        help="query the published marts (interactive without QUERY)",
        description="Run SQL against the last published build (schemas marts and "
        "reference). Safe while a run is writing.",
    )
    p.add_argument("query", nargs="?", help="SQL to run; omit for an interactive prompt")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--csv", action="store_true", help="print CSV")
    group.add_argument("--json", action="store_true", help="print JSON records")
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("ui", help="start the Dagster UI (webserver and daemon)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    p.set_defaults(func=cmd_ui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        return int(args.func(args, settings) or 0)
    except CliError as exc:
        print(f"adrpulse {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
