"""Raw prices, live or replayed: the algorithm behind the raw/daily_bars asset, without Dagster.

A live run covers one session or, as a single-run backfill, a range of them; either way it
fetches in a few large requests:

- tickers already stored: one fetch over the run's sessions, widened to the last
  `lookback_sessions` sessions so late corrections from Yahoo land;
- tickers new to the warehouse: one fetch of their full history from `history_start`;
- tickers whose adjusted history Yahoo restated (the fetched adj_close disagrees with the stored
  one): one fetch of their whole history, archived with `replaces_history_of`, so a ticker is
  never half old and half new. Their rows from the first fetch are left out of the archive: if
  the full fetch fails they keep their stored history, consistent if stale.

Every fetch is archived as received, then loaded from the archive. A replay (the demo, rebuilds,
imports) loads archived fetches and never touches the network. A rebuild replays into staging
tables and swaps them in only when every file loaded; a bad archive file raises
ArchiveReplayError naming it (never a retryable error: reading the file again gives the same bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from assets.calendar import (
    NEW_YORK,
    next_session_on_or_after,
    shift_sessions,
)
from assets.prices.fetch import UNREACHABLE_REASON, PriceFetchResult
from assets.prices.normalize import empty_bars
from assets.prices.restatement import detect_restated_tickers, plan_restatement_refetch
from assets.sample_home import SyntheticHomeError, refuse_live_into_sample_home
from assets.sessions import SessionRange
from warehouse.archive import (
    ArchiveFileError,
    ArchiveReplayError,
    PriceFetchManifest,
    ReplayPlan,
    plan_replay,
    write_price_fetch,
)
from warehouse.load import (
    ProgressLog,
    load_price_fetch,
    loaded_price_fetch_ids,
    rebuild_from_plan,
)
from warehouse.progress import ItemProgress
from warehouse.schema import (
    PRICE_TABLES,
    REBUILD_SCHEMA,
)


class PriceSource(Protocol):
    """What a live run needs of the price source (assets/resources.py YahooPricesResource)."""

    history_start: str
    lookback_sessions: int

    def download_function(self) -> Callable[..., Any]: ...

    def fetch(
        self, tickers: list[str], start: date, end: date, download: Callable[..., Any] | None
    ) -> PriceFetchResult: ...


class PriceRunError(Exception):
    """A run that cannot go on; `retryable` says whether trying again later can help."""

    def __init__(
        self, message: str, *, retryable: bool, tickers_failed: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.tickers_failed = tickers_failed or {}


def refuse_real_prices_into_synthetic_warehouse(
    con: duckdb.DuckDBPyConnection, home: str
) -> None:
    """Real bars (a live fetch, an import, an archive of either) must never be mixed into a
    warehouse built from the synthetic sample: the marts would blend invented and real prices
    without a trace. The live run, `adrpulse import-prices` and archive replays all call this, so
    they refuse with the same words (the rule and its wording: assets/sample_home.py)."""
    try:
        refuse_live_into_sample_home(
            con,
            home,
            "real prices (live fetches, imports and their archive) are not mixed into it; "
            "nothing was stored",
        )
    except SyntheticHomeError as exc:
        raise PriceRunError(str(exc), retryable=False) from exc


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


def _logged_download(
    download: Callable[..., Any], log: ProgressLog, outcome: LiveOutcome
) -> Callable:
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
        raise PriceRunError(
            f"{UNREACHABLE_REASON}: no prices for any of {len(tickers)} tickers. Check the "
            "network (or proxy settings), then run again; nothing was stored.",
            retryable=False,  # a retry minutes later will not find a network either
            tickers_failed=failed,
        )
    example = next(iter(failed.values()), "no tickers requested")
    raise PriceRunError(
        f"Yahoo Finance returned no prices for any of {len(tickers)} tickers (e.g. {example}). "
        "Nothing was stored; the run is retried after a back-off.",
        retryable=True,
        tickers_failed=failed,
    )


def fetch_live(
    con: duckdb.DuckDBPyConnection,
    archive: Path,
    source: PriceSource,
    tickers: list[str],
    sessions: SessionRange,
    log: ProgressLog,
) -> LiveOutcome:
    """Fetch the run's sessions for every ticker, archive what came, load it."""
    outcome = LiveOutcome()
    download = _logged_download(source.download_function(), log, outcome)
    spans = _stored_spans(con)
    history_start = next_session_on_or_after(date.fromisoformat(source.history_start))
    window_start = fetch_window_start(sessions, source.lookback_sessions)
    end = sessions.last
    known = [t for t in tickers if t in spans]
    outcome.new_tickers = [t for t in tickers if t not in spans]

    empty = PriceFetchResult(empty_bars(), {}, {}, requests=0, attempts=0)
    window = empty
    if known:
        log.info(f"fetching {len(known)} stored tickers over {window_start}..{end}")
        window = source.fetch(known, window_start, end, download=download)
    full_new = empty
    new_start = min(history_start, window_start)
    if outcome.new_tickers:
        log.info(
            f"fetching the full history ({new_start}..{end}) of {len(outcome.new_tickers)} "
            f"tickers new to the warehouse: {', '.join(outcome.new_tickers)}"
        )
        full_new = source.fetch(outcome.new_tickers, new_start, end, download=download)
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
        log.info(
            f"Yahoo restated the adjusted history of {', '.join(restated)}: fetching "
            f"{plan.start}..{plan.end} again to replace it whole"
        )
        full_restated = source.fetch(plan.tickers, plan.start, plan.end, download=download)
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


@dataclass
class PriceReplay:
    """What a replay did: the fetches now in the raw tables (oldest first), the bad files it
    skipped (only with skip_bad), the retracted fetches it left out."""

    loaded: list[PriceFetchManifest] = field(default_factory=list)
    skipped: list[ArchiveFileError] = field(default_factory=list)
    retracted: list[str] = field(default_factory=list)


def replay_archive(
    con: duckdb.DuckDBPyConnection,
    archive: Path,
    rebuild: bool,
    log: ProgressLog,
    skip_bad: bool = False,
    *,
    home: str = "",
) -> PriceReplay:
    """Load the archived price fetches not loaded yet; with `rebuild`, replay all of them into
    fresh tables that replace the raw price tables only when every file loaded (with `skip_bad`:
    when the good ones did, the bad ones listed in the outcome). Retracted fetches are left out.

    Real fetches waiting in the archive are not loaded on top of the synthetic sample (`home`
    names ADRPULSE_HOME in the refusal); a rebuild replaces the warehouse, so it may."""
    plan = plan_replay(archive, "prices")
    if plan.retracted:
        log.info(f"{len(plan.retracted)} retracted fetch(es) left out: {', '.join(plan.retracted)}")
    if rebuild:
        return _rebuild_prices(con, archive, plan, log, skip_bad)
    return _load_pending_prices(con, archive, plan, log, home)


def _load_pending_prices(
    con: duckdb.DuckDBPyConnection, archive: Path, plan: ReplayPlan, log: ProgressLog, home: str
) -> PriceReplay:
    """Fetches load in fetch order, each in its own transaction, and the first bad file stops
    the load: a later fetch loaded before an earlier one would lose to it for good."""
    done = loaded_price_fetch_ids(con)
    if any(not m.synthetic and m.fetch_id not in done for m in plan.fetches):
        refuse_real_prices_into_synthetic_warehouse(con, home)
    items = plan.in_order()
    outcome = PriceReplay(retracted=plan.retracted)
    progress = ItemProgress(log.info, len(items))
    for i, item in enumerate(items, start=1):
        if item.fetch_id in done:
            if isinstance(item, ArchiveFileError):
                log.warning(f"{item} (loaded earlier; `adrpulse archive verify` lists it)")
            else:
                outcome.loaded.append(item)
            continue
        try:
            if isinstance(item, ArchiveFileError):
                raise item
            stats = load_price_fetch(con, archive, item)
        except ArchiveFileError as exc:
            raise ArchiveReplayError(
                [exc],
                f"the {i - 1} fetches before it are loaded, the {len(items) - i} after it are not",
            ) from exc
        outcome.loaded.append(item)
        progress.item(i, f"{item.fetch_id}: {stats.rows} rows")
    return outcome


def _rebuild_prices(
    con: duckdb.DuckDBPyConnection,
    archive: Path,
    plan: ReplayPlan,
    log: ProgressLog,
    skip_bad: bool,
) -> PriceReplay:
    outcome = PriceReplay(retracted=plan.retracted)
    loaded, outcome.skipped = rebuild_from_plan(
        con, plan, PRICE_TABLES,
        lambda item: (item, load_price_fetch(con, archive, item, schema=REBUILD_SCHEMA)),
        lambda done: f"{done[0].fetch_id}: {done[1].rows} rows", log,
        skip_bad=skip_bad, what="price",
        # The check watermark goes too: the replayed bars have not been checked yet.
        clear=("price_checks_passed",),
    )
    outcome.loaded = [item for item, _ in loaded]
    return outcome
