"""Raw prices: fetch (or replay) daily bars, archive them as received, load raw.daily_bars.

Thin Dagster wiring around assets/prices (fetching, restatement) and warehouse/ (archive, load).

Partitions are XNYS sessions (orchestration/partitions.py). A run covers one session or, as a
single-run backfill, a range of them; either way it fetches in a few large requests:

- tickers already stored: one fetch over the run's sessions, widened to the last
  `lookback_sessions` sessions so late corrections from Yahoo land;
- tickers new to the warehouse: one fetch of their full history from `history_start`;
- tickers whose adjusted history Yahoo restated (the fetched adj_close disagrees with the stored
  one): one fetch of their whole history, archived with `replaces_history_of`, so a ticker is
  never half old and half new. Their rows from the first fetch are left out of the archive: if
  the full fetch fails they keep their stored history, consistent if stale.

Archive mode (the demo, rebuilds, imports) replays archived fetches and ignores the network. A
run without a partition still works (live: `as_of` or today; archive: the whole archive).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from assets.calendar import (
    NEW_YORK,
    next_session_on_or_after,
    previous_session_on_or_before,
    shift_sessions,
)
from assets.metadata import asset_table_metadata
from assets.prices.fetch import UNREACHABLE_REASON, PriceFetchResult
from assets.prices.normalize import empty_bars
from assets.prices.restatement import detect_restated_tickers, plan_restatement_refetch
from assets.raw_source_config import RawSourceConfig
from assets.source_mode import SourceMode
from assets.sources import yahoo_finance
from assets.universe import universe_tickers
from orchestration.partitions import (
    PRICE_SESSIONS,
    NotASessionError,
    SessionRange,
    session_range_for_keys,
)
from orchestration.resources import StateResource, WarehouseResource, YahooPricesResource
from warehouse.archive import PriceFetchManifest, list_price_fetches, write_price_fetch
from warehouse.load import load_price_fetch, truncate_raw

DAILY_BARS = dg.AssetKey(["raw", "daily_bars"])
PRICE_FETCHES = dg.AssetKey(["raw", "price_fetches"])
FETCH_COMPLETE_CHECK = "latest_fetch_complete"
_MAX_LISTED = 50  # per-ticker lists in metadata are cut here; counts stay exact


class RawPricesConfig(RawSourceConfig):
    """Run configuration, editable in the UI's launchpad."""

    as_of: str = ""
    """live mode, runs without a partition only: the last session to fetch, YYYY-MM-DD
    (default: today in New York). A partitioned run fetches its partition(s)."""


# --- the sessions a run loads ---------------------------------------------------------------


def _today_new_york() -> date:
    return datetime.now(NEW_YORK).date()


def _is_partitioned_run(context: dg.AssetExecutionContext) -> bool:
    # has_partition_key_range is False for a single-partition run; has_partition_key is False
    # for a range run.
    return context.has_partition_key or context.has_partition_key_range


def requested_sessions(context: dg.AssetExecutionContext, as_of: str) -> SessionRange:
    """The sessions this run must load: its partition range, else `as_of` (or today)."""
    if _is_partitioned_run(context):
        keys = context.partition_key_range  # a single key is a range of one
        try:
            return session_range_for_keys(keys.start, keys.end)
        except NotASessionError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
    try:
        day = date.fromisoformat(as_of) if as_of else _today_new_york()
    except ValueError as exc:
        raise dg.Failure(
            description=f"as_of {as_of!r} is not a date; give YYYY-MM-DD", allow_retries=False
        ) from exc
    last = previous_session_on_or_before(day)
    return SessionRange(last, last)


def refuse_live_fetch_into_synthetic_warehouse(con: duckdb.DuckDBPyConnection, home: str) -> None:
    """Live bars must never be mixed into a warehouse built from the synthetic sample: the marts
    would blend invented and real prices without a trace."""
    synthetic = con.execute("select count(*) from raw.price_fetches where synthetic").fetchall()[0][
        0
    ]
    if synthetic:
        raise dg.Failure(
            description=(
                f"the warehouse under ADRPULSE_HOME={home} holds the SYNTHETIC demo sample "
                f"({synthetic} sample fetches); live prices are not mixed into it. Set "
                "ADRPULSE_HOME to another folder for live data (or run `adrpulse rebuild` to "
                "replace the warehouse with your own archive), then run again."
            ),
            allow_retries=False,
        )


def fetch_window_start(sessions: SessionRange, lookback_sessions: int) -> date:
    """First session to re-fetch for stored tickers: the run's first session, or earlier so that
    the last `lookback_sessions` sessions are always fetched again."""
    lookback_first = shift_sessions(sessions.last, -(max(lookback_sessions, 1) - 1))
    return min(sessions.first, lookback_first)


# --- live fetching ---------------------------------------------------------------------------


@dataclass
class LiveOutcome:
    fetched: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    new_tickers: list[str] = field(default_factory=list)
    restated: list[str] = field(default_factory=list)
    missing_sessions: dict[str, list[date]] = field(default_factory=dict)
    requests: int = 0
    rows_archived: int = 0
    manifests: list[str] = field(default_factory=list)


def _logged_download(download: Callable[..., Any], log: Any, outcome: LiveOutcome) -> Callable:
    """yf.download that logs each request: the progress of a long backfill, one line a batch."""

    def download_and_log(tickers: Any, **kwargs: Any) -> Any:
        outcome.requests += 1
        batch = [tickers] if isinstance(tickers, str) else list(tickers)
        log.info(
            f"Yahoo request {outcome.requests}: {len(batch)} tickers, "
            f"{kwargs.get('start')}..{kwargs.get('end')} (end exclusive)"
        )
        return download(tickers, **kwargs)

    return download_and_log


def _stored_spans(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[date, date]]:
    rows = con.execute(
        "select ticker, min(session_date), max(session_date) from raw.daily_bars group by 1"
    ).fetchall()
    return {ticker: (first, last) for ticker, first, last in rows}


def _stored_adj_close(
    con: duckdb.DuckDBPyConnection, tickers: list[str], start: date, end: date
) -> pd.DataFrame:
    return con.execute(
        "select ticker, session_date, adj_close, adj_close_source from raw.daily_bars "
        "where list_contains(?, ticker) and session_date between ? and ?",
        [tickers, start, end],
    ).df()


def _archive_and_load(
    con: duckdb.DuckDBPyConnection,
    archive: Path,
    bars: pd.DataFrame,
    *,
    tickers: list[str],
    start: date,
    end: date,
    failed: list[str],
    replaces_history_of: list[str] | None = None,
    note: str = "",
) -> PriceFetchManifest:
    manifest = write_price_fetch(
        archive,
        bars,
        source="yfinance",
        fetched_at=datetime.now(NEW_YORK),
        tickers=tickers,
        start=start,
        end=end,
        failed_tickers=failed,
        replaces_history_of=replaces_history_of,
        note=note,
    )
    load_price_fetch(con, archive, manifest)
    return manifest


def _raise_if_nothing_came(results: list[PriceFetchResult], tickers: list[str]) -> None:
    """Fail the run when no ticker got a row: offline fails at once, other causes may retry."""
    if any(len(r.bars) for r in results):
        return
    failed: dict[str, str] = {}
    for r in results:
        failed.update(r.failed)
    unreachable = bool(failed) and all(UNREACHABLE_REASON in why for why in failed.values())
    if unreachable:
        raise dg.Failure(
            description=(
                f"{UNREACHABLE_REASON}: no prices for any of {len(tickers)} tickers. Check the "
                "network (or proxy settings), then run again; nothing was stored."
            ),
            metadata={"tickers_failed": dg.MetadataValue.json(failed)},
            allow_retries=False,  # a retry minutes later will not find a network either
        )
    example = next(iter(failed.values()), "no tickers requested")
    raise dg.Failure(
        description=(
            f"Yahoo Finance returned no prices for any of {len(tickers)} tickers (e.g. {example}). "
            "Nothing was stored; the run is retried after a back-off."
        ),
        metadata={"tickers_failed": dg.MetadataValue.json(failed)},
    )


def fetch_live(
    context: dg.AssetExecutionContext,
    con: duckdb.DuckDBPyConnection,
    archive: Path,
    yahoo: YahooPricesResource,
    tickers: list[str],
    sessions: SessionRange,
) -> LiveOutcome:
    """Fetch the run's sessions for every ticker, archive what came, load it."""
    outcome = LiveOutcome()
    download = _logged_download(yahoo.download_function(), context.log, outcome)
    spans = _stored_spans(con)
    history_start = next_session_on_or_after(date.fromisoformat(yahoo.history_start))
    window_start = fetch_window_start(sessions, yahoo.lookback_sessions)
    end = sessions.last
    known = [t for t in tickers if t in spans]
    outcome.new_tickers = [t for t in tickers if t not in spans]

    empty = PriceFetchResult(empty_bars(), {}, {}, requests=0, attempts=0)
    window = empty
    if known:
        context.log.info(f"fetching {len(known)} stored tickers over {window_start}..{end}")
        window = yahoo.fetch(known, window_start, end, download=download)
    full_new = empty
    new_start = min(history_start, window_start)
    if outcome.new_tickers:
        context.log.info(
            f"fetching the full history ({new_start}..{end}) of {len(outcome.new_tickers)} "
            f"tickers new to the warehouse: {', '.join(outcome.new_tickers)}"
        )
        full_new = yahoo.fetch(outcome.new_tickers, new_start, end, download=download)
    _raise_if_nothing_came([window, full_new], tickers)

    # Restated adjusted history: refetch those tickers whole, before archiving anything.
    restated: list[str] = []
    replaced: list[str] = []
    full_restated = empty
    plan = None
    if len(window.bars):
        stored = _stored_adj_close(con, known, window_start, end)
        restated = detect_restated_tickers(stored, window.bars)
    if restated:
        firsts = pd.DataFrame({"ticker": restated, "session_date": [spans[t][0] for t in restated]})
        last_stored = max(spans[t][1] for t in restated)
        plan = plan_restatement_refetch(
            restated, firsts, history_start=history_start, end=max(end, last_stored)
        )
        context.log.info(
            f"Yahoo restated the adjusted history of {', '.join(restated)}: fetching "
            f"{plan.start}..{plan.end} again to replace it whole"
        )
        full_restated = yahoo.fetch(plan.tickers, plan.start, plan.end, download=download)
        replaced = full_restated.succeeded
    outcome.restated = restated

    keep = window.bars.loc[~window.bars["ticker"].isin(restated)]
    if len(keep):
        note = (
            f"rows of restated tickers {restated} left out: their whole history is re-fetched "
            "in the next fetch"
            if restated
            else ""
        )
        manifest = _archive_and_load(
            con,
            archive,
            keep,
            tickers=[t for t in known if t not in restated],
            start=window_start,
            end=end,
            failed=sorted(window.failed),
            note=note,
        )
        outcome.manifests.append(manifest.fetch_id)
        outcome.rows_archived += len(keep)
    if len(full_new.bars):
        manifest = _archive_and_load(
            con,
            archive,
            full_new.bars,
            tickers=outcome.new_tickers,
            start=new_start,
            end=end,
            failed=sorted(full_new.failed),
        )
        outcome.manifests.append(manifest.fetch_id)
        outcome.rows_archived += len(full_new.bars)
    if plan is not None and len(full_restated.bars):
        manifest = _archive_and_load(
            con,
            archive,
            full_restated.bars,
            tickers=plan.tickers,
            start=plan.start,
            end=plan.end,
            failed=sorted(full_restated.failed),
            replaces_history_of=replaced,
            note="adjusted history restated by Yahoo: replaces the stored history",
        )
        outcome.manifests.append(manifest.fetch_id)
        outcome.rows_archived += len(full_restated.bars)

    for result in (window, full_new):
        outcome.failed.update(result.failed)
        outcome.missing_sessions.update(result.missing_sessions)
        outcome.fetched.update(t for t in result.succeeded if t not in restated)
    outcome.fetched.update(replaced)
    for ticker, why in full_restated.failed.items():
        outcome.failed[ticker] = (
            f"adjusted history restated, full re-fetch failed ({why}); the stored history is "
            "kept unchanged until a later run re-fetches it"
        )
    return outcome


# --- archive replay ------------------------------------------------------------------------


def replay_archive(
    context: dg.AssetExecutionContext,
    con: duckdb.DuckDBPyConnection,
    archive: Path,
    rebuild: bool,
) -> list[PriceFetchManifest]:
    if rebuild:
        # The check watermark goes too: the replayed bars have not been checked yet.
        truncate_raw(con, ["daily_bars", "price_fetches", "price_checks_passed"])
    manifests = list_price_fetches(archive)
    for i, manifest in enumerate(manifests, start=1):
        stats = load_price_fetch(con, archive, manifest)
        context.log.info(
            f"[{i}/{len(manifests)}] {manifest.fetch_id}: "
            + ("already loaded" if stats.skipped else f"{stats.rows} rows")
        )
    return manifests


# --- the asset -----------------------------------------------------------------------------


def _cut(items: dict[str, Any]) -> dict[str, Any]:
    return dict(list(items.items())[:_MAX_LISTED])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            DAILY_BARS,
            deps=[yahoo_finance],
            description=(
                "One row per (ticker, XNYS session): raw OHLC, adjusted close, volume, dividends "
                "and splits, as last fetched. Loaded from the raw archive. Partitioned by XNYS "
                "session; a backfill of a range is one run with a few large Yahoo requests."
            ),
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            PRICE_FETCHES,
            deps=[yahoo_finance],
            description="One row per archived price fetch or import: source, time, tickers, rows.",
            kinds={"duckdb"},
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            FETCH_COMPLETE_CHECK,
            asset=DAILY_BARS,
            description=(
                "The latest fetch got every ticker it asked for (WARN: the others still load; "
                "the failed tickers and Yahoo's reasons are in the metadata)."
            ),
        )
    ],
    group_name="raw",
    pool="warehouse",
    partitions_def=PRICE_SESSIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    # Yahoo has bad minutes; a whole-run retry after back-off is cheap (the archive keeps what
    # was already received, and loading skips fetches already loaded). No network at all fails
    # at once (dg.Failure with allow_retries=False).
    retry_policy=dg.RetryPolicy(max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL),
)
def raw_prices(
    context: dg.AssetExecutionContext,
    config: RawPricesConfig,
    warehouse: WarehouseResource,
    state: StateResource,
    yahoo: YahooPricesResource,
):
    """Fetch or replay daily bars into raw.daily_bars."""
    source = config.source(context, state.archive_dir)
    archive = source.archive
    live = source.mode == SourceMode.live
    # Archive replays load the whole archive; their partitions (if any) are still checked.
    sessions = (
        requested_sessions(context, config.as_of) if live or _is_partitioned_run(context) else None
    )

    metadata: dict[str, Any] = {"mode": source.mode.value, "archive": str(archive)}
    if sessions is not None:
        metadata["sessions_requested"] = f"{sessions.first}..{sessions.last}"
    with warehouse.connect() as con:
        if sessions is not None and live:
            refuse_live_fetch_into_synthetic_warehouse(con, state.home)
            tickers = universe_tickers(Path(state.universe_path))
            outcome = fetch_live(context, con, archive, yahoo, tickers, sessions)
            failed = outcome.failed
            metadata.update(
                {
                    "tickers_fetched": dg.MetadataValue.json(sorted(outcome.fetched)),
                    "tickers_failed": dg.MetadataValue.json(failed),
                    "new_tickers": dg.MetadataValue.json(outcome.new_tickers),
                    "restated_tickers": dg.MetadataValue.json(outcome.restated),
                    "yahoo_requests": outcome.requests,
                    "rows_fetched": outcome.rows_archived,
                    "fetches_archived": dg.MetadataValue.json(outcome.manifests),
                    "missing_sessions": dg.MetadataValue.json(
                        _cut(
                            {
                                t: [d.isoformat() for d in ds]
                                for t, ds in outcome.missing_sessions.items()
                            }
                        )
                    ),
                }
            )
        else:
            manifests = replay_archive(context, con, archive, source.rebuild)
            # What the newest archived fetch could not get (imports never fail a ticker).
            failed = {
                t: "failed in the latest archived fetch"
                for t in (manifests[-1].failed_tickers if manifests else [])
            }
            metadata["fetches_in_archive"] = len(manifests)
            metadata["tickers_failed"] = dg.MetadataValue.json(failed)
        rows, tickers_n, last_session = con.execute(
            "select count(*), count(distinct ticker), max(session_date) from raw.daily_bars"
        ).fetchall()[0]
        fetch_rows = con.execute("select count(*) from raw.price_fetches").fetchall()[0][0]
        bars_table = asset_table_metadata(con, DAILY_BARS)
        fetches_table = asset_table_metadata(con, PRICE_FETCHES)

    if failed:
        context.log.warning(f"{len(failed)} tickers got no prices: {_cut(failed)}")
    yield dg.MaterializeResult(
        asset_key=DAILY_BARS,
        metadata={
            **bars_table,
            "dagster/row_count": int(rows),
            "tickers": int(tickers_n),
            "last_session_loaded": str(last_session),
            **metadata,
        },
    )
    yield dg.MaterializeResult(
        asset_key=PRICE_FETCHES, metadata={**fetches_table, "dagster/row_count": int(fetch_rows)}
    )
    yield dg.AssetCheckResult(
        asset_key=DAILY_BARS,
        check_name=FETCH_COMPLETE_CHECK,
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            "every requested ticker got prices"
            if not failed
            else f"{len(failed)} tickers got no prices; the others were loaded"
        ),
        metadata={
            "tickers_failed": dg.MetadataValue.json(_cut(failed)),
            "failed_count": len(failed),
        },
    )
