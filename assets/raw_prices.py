"""Raw prices: fetch (or replay) daily bars, archive them as received, load raw.daily_bars.

Dagster wiring around assets/prices/live.py, which holds the algorithm (what to fetch, restated
histories, archive then load). Partitions are XNYS sessions (assets/partitions.py); the run's
tags choose live fetching or an archive replay (assets/source_mode.py). A run without a
partition still works (live: `as_of` or today; archive: the whole archive).
"""

from datetime import date, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from assets.archive_errors import (
    ARCHIVE_ERRORS,
    BAD_FILES_KEY,
    archive_failure,
    bad_files_metadata,
)
from assets.calendar import NEW_YORK, CalendarError, previous_session_on_or_before
from assets.dual_listings import price_tickers
from assets.metadata import asset_table_metadata
from assets.prices.live import (
    LiveOutcome,
    PriceRunError,
    fetch_live,
    refuse_real_prices_into_synthetic_warehouse,
    replay_archive,
)
from assets.resources import StateResource, WarehouseResource, YahooPricesResource
from assets.sessions import (
    AsOfError,
    NotASessionError,
    SessionRange,
    session_for_as_of,
    session_range_for_keys,
)
from assets.source_mode import SourceMode, run_source, tags_of
from assets.sources import yahoo_finance
from assets.universe import universe_tickers

DAILY_BARS = dg.AssetKey(["raw", "daily_bars"])
PRICE_FETCHES = dg.AssetKey(["raw", "price_fetches"])
FETCH_COMPLETE_CHECK = "latest_fetch_complete"
_MAX_LISTED = 50  # per-ticker lists in metadata are cut here; counts stay exact


class RawPricesConfig(dg.Config):
    """Run configuration, editable in the UI's launchpad."""

    as_of: str = ""
    """live runs without a partition only: the last session to fetch, YYYY-MM-DD, an XNYS
    session no later than today in New York (a weekend or holiday is refused, naming the previous
    session). Default: the latest session. A partitioned run fetches its partition(s)."""


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
    today = datetime.now(NEW_YORK).date()
    if not as_of:
        try:
            last = previous_session_on_or_before(today)  # the latest: Friday on a Sunday
        except CalendarError as exc:
            raise dg.Failure(description=f"XNYS calendar: {exc}", allow_retries=False) from exc
        return SessionRange(last, last)
    try:
        day = date.fromisoformat(as_of)
    except ValueError as exc:
        raise dg.Failure(
            description=f"as_of {as_of!r} is not a date; give YYYY-MM-DD", allow_retries=False
        ) from exc
    try:
        # A weekend, a holiday or a future day is refused, not moved: the run would otherwise
        # load another session than the one asked for.
        last = session_for_as_of(day, today)
    except AsOfError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    return SessionRange(last, last)


def _cut(items: dict[str, Any]) -> dict[str, Any]:
    return dict(list(items.items())[:_MAX_LISTED])


def _live_metadata(outcome: LiveOutcome) -> dict[str, Any]:
    missing = {t: [d.isoformat() for d in ds] for t, ds in outcome.missing_sessions.items()}
    return {
        "tickers_fetched": dg.MetadataValue.json(sorted(outcome.fetched)),
        "tickers_failed": dg.MetadataValue.json(outcome.failed),
        "new_tickers": dg.MetadataValue.json(outcome.new_tickers),
        "restated_tickers": dg.MetadataValue.json(outcome.restated),
        "yahoo_requests": outcome.requests,
        "rows_fetched": outcome.rows_archived,
        "fetches_archived": dg.MetadataValue.json(outcome.manifests),
        "missing_sessions": dg.MetadataValue.json(_cut(missing)),
    }


def _as_failure(exc: PriceRunError) -> dg.Failure:
    return dg.Failure(
        description=str(exc),
        metadata={"tickers_failed": dg.MetadataValue.json(exc.tickers_failed)},
        allow_retries=exc.retryable,
    )


RAW_PRICE_SPECS = [
    dg.AssetSpec(
        DAILY_BARS,
        deps=[yahoo_finance],
        description=(
            "One row per (ticker, XNYS session): raw OHLC, adjusted close, volume, "
            "dividends and splits, as last fetched. Loaded from the raw archive. Partitioned "
            "by XNYS session; a backfill of a range is one run with a few large Yahoo "
            "requests."
        ),
        kinds={"duckdb"},
    ),
    dg.AssetSpec(
        PRICE_FETCHES,
        deps=[yahoo_finance],
        description="One row per archived price fetch or import: source, time, tickers, rows.",
        kinds={"duckdb"},
    ),
]
FETCH_COMPLETE_CHECK_SPEC = dg.AssetCheckSpec(
    FETCH_COMPLETE_CHECK,
    asset=DAILY_BARS,
    description=(
        "The latest fetch got every ticker it asked for (WARN: the others still load; "
        "the failed tickers and Yahoo's reasons are in the metadata)."
    ),
)


def build_raw_prices(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The raw prices asset over the given session partitions (assets/partitions.py)."""

    @dg.multi_asset(
        specs=RAW_PRICE_SPECS,
        check_specs=[FETCH_COMPLETE_CHECK_SPEC],
        group_name="raw",
        pool="warehouse",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        # Yahoo has bad minutes; a whole-run retry after back-off is cheap (the archive keeps
        # what was already received, and loading skips fetches already loaded). What a retry
        # cannot fix fails at once (dg.Failure with allow_retries=False): no network at all, a
        # bad archive file, a sample home, an as_of or partition that is not a session, a
        # calendar error.
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
        source = run_source(tags_of(context), state.archive_dir)
        live = source.mode == SourceMode.live
        # Archive replays load the whole archive; their partitions (if any) are still checked.
        sessions = (
            requested_sessions(context, config.as_of)
            if live or _is_partitioned_run(context)
            else None
        )
        metadata: dict[str, Any] = {"mode": source.mode.value, "archive": str(source.archive)}
        if sessions is not None:
            metadata["sessions_requested"] = f"{sessions.first}..{sessions.last}"
        with warehouse.connect() as con:
            try:
                if sessions is not None and live:
                    refuse_real_prices_into_synthetic_warehouse(con, state.home)
                    tickers = price_tickers(
                        universe_tickers(Path(state.universe_path)), state.hk_benchmark
                    )
                    outcome = fetch_live(
                        con, source.archive, yahoo, tickers, sessions, context.log
                    )
                    failed = outcome.failed
                    metadata.update(_live_metadata(outcome))
                else:
                    replay = replay_archive(
                        con,
                        source.archive,
                        source.rebuild,
                        context.log,
                        source.skip_bad,
                        home=state.home,
                    )
                    manifests = replay.loaded
                    # What the newest archived fetch could not get (imports never fail a ticker).
                    failed = {
                        t: "failed in the latest archived fetch"
                        for t in (manifests[-1].failed_tickers if manifests else [])
                    }
                    metadata["fetches_in_archive"] = len(manifests)
                    metadata["tickers_failed"] = dg.MetadataValue.json(failed)
                    metadata["fetches_retracted"] = dg.MetadataValue.json(replay.retracted)
                    if replay.skipped:
                        metadata[BAD_FILES_KEY] = bad_files_metadata(replay.skipped)
                        context.log.warning(
                            f"{len(replay.skipped)} bad archive file(s) skipped (--skip-bad): "
                            + "; ".join(str(e) for e in replay.skipped)
                        )
            except PriceRunError as exc:
                raise _as_failure(exc) from exc
            except ARCHIVE_ERRORS as exc:
                raise archive_failure(exc) from exc
            except (CalendarError, NotASessionError) as exc:
                # A day the calendar cannot answer for gives the same answer on every retry.
                raise dg.Failure(
                    description=f"XNYS calendar: {exc}", allow_retries=False
                ) from exc
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
            asset_key=PRICE_FETCHES,
            metadata={**fetches_table, "dagster/row_count": int(fetch_rows)},
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

    return raw_prices
