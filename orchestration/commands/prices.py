"""`adrpulse import-prices` and `adrpulse backfill`: bars from files or from a range of sessions.

Both go through the raw archive and a Dagster run, like the daily fetch, so a rebuild replays them
and the UI shows them.
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from assets.settings import Settings
from orchestration.commands.common import CliError, report_run, run_job
from orchestration.commands.live_guard import refuse_sample_home
from orchestration.tables import format_table, plural


def _session_date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CliError(f"{name} {text!r} is not a date; give YYYY-MM-DD") from exc


def _print_price_outcome(result: Any) -> None:
    """Tickers fetched / failed, from the raw/daily_bars materialization of the run."""
    from assets.raw_prices import DAILY_BARS

    events = [e for e in result.get_asset_materialization_events() if e.asset_key == DAILY_BARS]
    if not events:
        return
    meta = {k: v.value for k, v in events[-1].materialization.metadata.items()}
    fetched = meta.get("tickers_fetched")
    failed = meta.get("tickers_failed") or {}
    lines = []
    if fetched is not None:
        requests = meta.get("yahoo_requests")
        lines.append(f"Tickers fetched: {len(fetched)}; Yahoo requests: {requests}")
    if meta.get("restated_tickers"):
        lines.append("Restated history re-fetched whole: " + ", ".join(meta["restated_tickers"]))
    if failed:
        lines.append(f"Tickers that got no prices ({len(failed)}):")
        lines += [f"  {ticker}: {why}" for ticker, why in failed.items()]
    row_count = meta.get("dagster/row_count")
    rows = plural(row_count, "row") if isinstance(row_count, int) else f"{row_count} rows"
    lines.append(f"raw.daily_bars: {rows}, last session {meta.get('last_session_loaded')}")
    print("\n".join(lines))


# --- import-prices ---------------------------------------------------------------------------


def _print_price_check_findings(result: Any, max_rows: int = 20) -> None:
    """The raw/daily_bars checks of the run that did not pass, with the tickers and rows behind
    them (a WARN too: the tickers an import left stale are named here)."""
    from assets.raw_prices import DAILY_BARS

    evaluations = sorted(
        (e for e in result.get_asset_check_evaluations()
         if e.asset_key == DAILY_BARS and not e.passed),
        key=lambda e: e.check_name,
    )
    for evaluation in evaluations:
        severity = getattr(evaluation.severity, "value", str(evaluation.severity))
        print(f"\n{evaluation.check_name} ({severity}): {evaluation.description}")
        offending = evaluation.metadata.get("offending_rows")
        rows = list(offending.value) if offending is not None else []
        if rows:
            columns = list(rows[0])
            print(format_table(columns, [[r.get(c) for c in columns] for r in rows[:max_rows]]))
            if len(rows) > max_rows:
                print(f"... {len(rows) - max_rows} more in the run's check metadata")


def _read_import(path: Path, settings: Settings, universe: set[str]) -> Any:
    """The checked import, or CliError; reads the warehouse (read-only) when there is one, so the
    synthetic sample is refused and gaps are judged on what the load will leave stored."""
    from contextlib import nullcontext

    from assets.prices.importer import PriceImportError, read_price_import
    from assets.prices.live import PriceRunError, refuse_real_prices_into_synthetic_warehouse
    from warehouse.connection import WarehouseBusyError, warehouse_connection

    warehouse = settings.warehouse_path
    opened = (
        warehouse_connection(warehouse, read_only=True) if warehouse.exists() else nullcontext()
    )
    try:
        with opened as stored:
            if stored is not None:
                refuse_real_prices_into_synthetic_warehouse(stored, str(settings.home))
            return read_price_import(path, universe_tickers=universe, stored=stored)
    except WarehouseBusyError as exc:
        raise CliError(f"{exc} Nothing was stored; import again once it is free.") from exc
    except PriceRunError as exc:
        raise CliError(str(exc)) from exc
    except PriceImportError as exc:
        raise CliError(f"import rejected, nothing was stored:\n{exc}") from exc


def cmd_import_prices(args: argparse.Namespace, settings: Settings) -> int:
    from assets.universe import UNCLASSIFIED, universe_tickers
    from warehouse.archive import write_price_import

    path = Path(args.path).expanduser()
    if not path.exists():
        raise CliError(f"{path} does not exist: give a directory of <TICKER>.csv files or one file")
    universe = set(universe_tickers(settings.universe_path))
    imported = _read_import(path, settings, universe)
    bars = imported.bars
    if imported.empty_tickers:
        print(
            "No rows for " + ", ".join(imported.empty_tickers) + " (a yfinance download leaves "
            "the columns of a ticker it could not get empty); not imported."
        )
    if bars.empty:
        raise CliError(f"{path}: no rows to import, nothing was stored")
    tickers = sorted(set(bars["ticker"]))
    if imported.already_stored == len(bars):
        print(
            f"Nothing new: the warehouse already holds all {len(bars):,} rows for {len(tickers)} "
            "tickers with the same values, so nothing was archived or loaded. "
            "(`adrpulse build` rebuilds the marts from what is stored.)"
        )
        return 0
    from assets.calendar import XNYS, exchange_of

    # Hong Kong lines and FX feed the dual-listing marts (dbt_project/seeds/dual_listings.csv),
    # not the universe's groups.
    home_lines = [t for t in imported.new_tickers if exchange_of(t) != XNYS]
    us_new = [t for t in imported.new_tickers if exchange_of(t) == XNYS]
    if us_new:
        print(
            f"Not in the universe ({settings.universe_path}), added as group "
            f"'{UNCLASSIFIED}': " + ", ".join(us_new)
        )
    if home_lines:
        print(
            "Hong Kong lines and FX, each on its own exchange's calendar (the dual-listing marts "
            "read them; docs/dual_listings.md): " + ", ".join(home_lines)
        )
    if imported.auto_adjusted:
        print(
            "yfinance files without Adj Close (auto_adjust=True) for "
            + ", ".join(imported.auto_adjusted) + ": their Close is Yahoo's adjusted close, "
            "stored as adj_close; open/high/low/close hold adjusted prices too (no unadjusted "
            "close in the file)."
        )
    from_close = sorted(
        set(bars.loc[bars["adj_close_source"] == "close", "ticker"])
    )
    if from_close:
        print(
            "No adjusted close given for " + ", ".join(from_close) + ": the close is used as "
            "adjusted (adj_close_source='close'), so their returns ignore dividends."
        )
    first, last = min(bars["session_date"]), max(bars["session_date"])
    # Idempotent: files the warehouse already holds stop above; the same files imported again
    # after an import was interrupted before its load reuse the archived copy instead of adding
    # another full copy to the archive.
    manifest, reused = write_price_import(
        settings.archive_dir,
        bars,
        fetched_at=datetime.now(UTC),
        tickers=tickers,
        start=first,
        end=last,
        note=f"imported from {path.resolve()}",
    )
    archived = "Already archived" if reused else "Archived"
    print(
        f"{archived} {plural(len(bars), 'row')} for {plural(len(tickers), 'ticker')} "
        f"({first}..{last}) as "
        f"{manifest.manifest_file}; loading through Dagster."
    )
    # Unpartitioned on purpose: an import can span years, and a range run would log a planned
    # event per session for every asset. Freshness is judged per ticker, against what each
    # ticker's rows in the import cover (assets/prices/checks.py).
    result = run_job(settings, "load_archive")
    status = report_run(result)
    _print_price_check_findings(result)
    if status != 0:
        print(
            f"The import itself is stored ({manifest.manifest_file}); fix what the run reports "
            "and run `adrpulse build` (or `adrpulse rebuild`).",
            file=sys.stderr,
        )
    return status


# --- backfill --------------------------------------------------------------------------------


def plan_backfill(
    start: date, end: date, today: date, partitions_start: date
) -> tuple[date, date]:
    """The XNYS sessions start..end snapped inward, inside the price partitions; else CliError."""
    from assets.calendar import CALENDAR_END, previous_session_on_or_before
    from assets.sessions import clamp_to_partitions

    if end < start:
        raise CliError(f"END {end} is before START {start}; give START <= END")
    latest = previous_session_on_or_before(min(today, CALENDAR_END))
    if start > latest:
        raise CliError(f"START {start} is after the latest session {latest}: nothing to fetch yet")
    if end < partitions_start:
        raise CliError(
            f"END {end} is before the first price partition {partitions_start} "
            "(ADRPULSE_PRICE_HISTORY_START); move the range or that setting"
        )
    sessions = clamp_to_partitions(start, min(end, latest), partitions_start)
    if sessions is None:
        raise CliError(f"no XNYS session between {start} and {end} (weekends and holidays only)")
    return sessions


def plan_as_of(text: str | None, today: date, partitions_start: date) -> date:
    """The session `adrpulse run --as-of TEXT` fetches up to (the latest one without TEXT);
    CliError for anything a run could not do, before the run is launched."""
    from assets.calendar import CALENDAR_END, previous_session_on_or_before
    from assets.sessions import AsOfError, session_for_as_of

    if not text:
        return previous_session_on_or_before(min(today, CALENDAR_END))
    day = _session_date(text, "--as-of")
    try:
        return session_for_as_of(day, today, partitions_start, name="--as-of")
    except AsOfError as exc:
        raise CliError(str(exc)) from exc


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    from assets.calendar import NEW_YORK, sessions_between
    from assets.sessions import first_partition_session
    from assets.universe import universe_tickers

    start = _session_date(args.start, "START")
    end = _session_date(args.end, "END")
    first, last = plan_backfill(
        start,
        end,
        datetime.now(NEW_YORK).date(),
        first_partition_session(settings.price_history_start),
    )
    refuse_sample_home(settings)
    n_sessions = len(sessions_between(first, last))
    tickers = universe_tickers(settings.universe_path)
    batches = math.ceil(len(tickers) / max(settings.price_chunk_size, 1))
    if (first, last) != (start, end):
        print(f"Range snapped to XNYS sessions: {first}..{last} (asked {start}..{end}).")
    print(
        f"Backfilling raw/daily_bars over {plural(n_sessions, 'XNYS session')} {first}..{last} "
        f"in one Dagster run: {plural(len(tickers), 'ticker')} in "
        f"{plural(batches, 'batch', 'batches')} of up to "
        f"{settings.price_chunk_size} per Yahoo request (a few requests, not one per day).\n"
        f"Tickers not stored yet get their full history from {settings.price_history_start}. "
        "Progress (one line per request) follows; the marts are rebuilt once at the end.",
        flush=True,
    )
    result = run_job(settings, "backfill_prices", partition_range=(first, last))
    _print_price_outcome(result)
    status = report_run(result)
    if status != 0:
        return status
    print("\nRebuilding and publishing the marts once for the whole range.", flush=True)
    return report_run(run_job(settings, "build_marts"))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import-prices",
        help="import bars from CSV or Parquet files",
        description="Import daily bars: a directory of <TICKER>.csv files "
        "(date,open,high,low,close,volume[,adj_close,dividends,splits]), the CSV of yfinance's "
        "Ticker.history().to_csv() or yf.download().to_csv() (one ticker or several), or one "
        "long CSV/Parquet file with a ticker column. Every file and row is checked first, with "
        "the same rules as live data (OHLC, positive prices, duplicates, XNYS sessions, gaps): a "
        "problem is reported as file:line with the ticker, session and rule, and nothing is "
        "stored. Good files are archived, then loaded through Dagster (load_archive), so "
        "`adrpulse rebuild` replays them; importing the same files again changes nothing. "
        "Freshness is judged per ticker: a universe ticker the files leave out, or that ends "
        "earlier than the others, is a warning that names it. Without adj_close the close is "
        "taken as adjusted (a yfinance file without Adj Close: its Close is the adjusted one). "
        "Tickers outside the universe are kept as group 'unclassified'. A home holding the "
        "synthetic demo sample is refused.",
    )
    p.add_argument("path", help="directory of <TICKER>.csv files, or one .csv/.parquet file")
    p.set_defaults(func=cmd_import_prices)

    p = sub.add_parser(
        "backfill",
        help="fetch a range of sessions from Yahoo in one run",
        description="Fetch daily bars for the XNYS sessions START..END (inclusive; weekends and "
        "holidays are skipped, the ends snap to sessions) as ONE Dagster run of backfill_prices "
        "over those partitions: a few large Yahoo requests, not one per day. Tickers not stored "
        "yet get their full history from ADRPULSE_PRICE_HISTORY_START. Then the marts are "
        "rebuilt and published once (build_marts). Needs the network; the same backfill can be "
        "launched from the UI (asset raw/daily_bars, Materialize, pick a partition range).",
        epilog="Example: adrpulse backfill 2025-01-02 2025-03-31",
    )
    p.add_argument("start", metavar="START", help="first session, YYYY-MM-DD")
    p.add_argument("end", metavar="END", help="last session, YYYY-MM-DD")
    p.set_defaults(func=cmd_backfill)
