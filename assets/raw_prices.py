"""Raw prices: fetch (or replay) daily bars, archive them as received, load raw.daily_bars.

Thin Dagster wiring around assets/prices (fetching, normalizing) and warehouse/ (archive, load).
"""


from datetime import date, datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from assets.calendar import NEW_YORK, previous_session_on_or_before, shift_sessions
from assets.source_mode import SourceMode
from assets.sources import yahoo_finance
from assets.universe import universe_tickers
from orchestration.resources import StateResource, WarehouseResource, YahooPricesResource
from warehouse.archive import list_price_fetches, write_price_fetch
from warehouse.load import load_price_fetch, truncate_raw

DAILY_BARS = dg.AssetKey(["raw", "daily_bars"])
PRICE_FETCHES = dg.AssetKey(["raw", "price_fetches"])


class RawPricesConfig(dg.Config):
    """Run configuration, editable in the UI's launchpad."""

    mode: SourceMode = SourceMode.live
    """live: fetch from Yahoo, archive, then load. archive: load archived fetches only."""
    replay_archive: str = ""
    """archive mode: the archive to replay (default: ADRPULSE_HOME/archive)."""
    rebuild: bool = False
    """archive mode: empty the raw price tables first, then replay every fetch in order."""
    as_of: str = ""
    """live mode: the last session to fetch, YYYY-MM-DD (default: today in New York)."""


def _today_new_york() -> date:
    return datetime.now(NEW_YORK).date()


def _live_window(as_of: date, lookback_sessions: int) -> tuple[date, date]:
    end = previous_session_on_or_before(as_of)
    return shift_sessions(end, -(max(lookback_sessions, 1) - 1)), end


def _stored_adj_close(con, tickers: list[str], start: date, end: date) -> pd.DataFrame:
    return con.execute(
        "select ticker, session_date, adj_close from raw.daily_bars "
        "where list_contains(?, ticker) and session_date between ? and ?",
        [tickers, start, end],
    ).df()


def _first_stored_session(con) -> dict[str, date]:
    return dict(
        con.execute("select ticker, min(session_date) from raw.daily_bars group by 1").fetchall()
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            DAILY_BARS,
            deps=[yahoo_finance],
            description=(
                "One row per (ticker, XNYS session): raw OHLC, adjusted close, volume, dividends "
                "and splits, as last fetched. Loaded from the raw archive."
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
    group_name="raw",
    pool="warehouse",
    # Yahoo has bad minutes; a whole-run retry after back-off is cheap (the archive keeps what
    # was already received, and loading skips fetches already loaded).
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
    archive = Path(config.replay_archive) if config.replay_archive else state.archive_dir
    fetched_tickers: list[str] = []
    failed: dict[str, str] = {}
    restated: list[str] = []
    with warehouse.connect() as con:
        if config.mode == SourceMode.live:
            from assets.prices.restatement import detect_restated_tickers

            tickers = universe_tickers(Path(state.universe_path))
            as_of = date.fromisoformat(config.as_of) if config.as_of else _today_new_york()
            start, end = _live_window(as_of, yahoo.lookback_sessions)
            first_stored = _first_stored_session(con)
            history_start = date.fromisoformat(yahoo.history_start)
            new_tickers = [t for t in tickers if t not in first_stored]
            context.log.info(f"fetching {len(tickers)} tickers for {start}..{end}")
            result = yahoo.fetch(tickers, start, end)
            failed.update(result.failed)
            if result.bars.empty:
                raise dg.Failure(
                    description="no prices received from Yahoo Finance",
                    metadata={"failed": dg.MetadataValue.json(result.failed)},
                )
            stored = _stored_adj_close(con, tickers, start, end)
            restated = sorted(set(detect_restated_tickers(stored, result.bars)))
            manifest = write_price_fetch(
                archive,
                result.bars,
                source="yfinance",
                fetched_at=datetime.now(NEW_YORK),
                tickers=tickers,
                start=start,
                end=end,
                failed_tickers=sorted(result.failed),
            )
            load_price_fetch(con, archive, manifest)
            fetched_tickers = sorted(set(result.bars["ticker"]))
            refetch = sorted((set(restated) | set(new_tickers)) - set(result.failed))
            if refetch:
                context.log.info(f"fetching full history for {refetch}")
                full = yahoo.fetch(refetch, history_start, end)
                failed.update(full.failed)
                if not full.bars.empty:
                    ok = sorted(set(full.bars["ticker"]))
                    manifest = write_price_fetch(
                        archive,
                        full.bars,
                        source="yfinance",
                        fetched_at=datetime.now(NEW_YORK),
                        tickers=refetch,
                        start=history_start,
                        end=end,
                        failed_tickers=sorted(full.failed),
                        replaces_history_of=ok,
                    )
                    load_price_fetch(con, archive, manifest)
        else:
            if config.rebuild:
                truncate_raw(con, ["daily_bars", "price_fetches"])
            manifests = list_price_fetches(archive)
            for i, manifest in enumerate(manifests, start=1):
                stats = load_price_fetch(con, archive, manifest)
                context.log.info(
                    f"[{i}/{len(manifests)}] {manifest.fetch_id}: "
                    + ("already loaded" if stats.skipped else f"{stats.rows} rows")
                )
        rows, tickers_n, last_session = con.execute(
            "select count(*), count(distinct ticker), max(session_date) from raw.daily_bars"
        ).fetchall()[0]
        fetch_rows = con.execute("select count(*) from raw.price_fetches").fetchall()[0][0]
    yield dg.MaterializeResult(
        asset_key=DAILY_BARS,
        metadata={
            "dagster/row_count": int(rows),
            "tickers": int(tickers_n),
            "last_session_loaded": str(last_session),
            "mode": config.mode.value,
            "archive": str(archive),
            "tickers_fetched": dg.MetadataValue.json(fetched_tickers),
            "tickers_failed": dg.MetadataValue.json(failed),
            "restated_tickers": dg.MetadataValue.json(restated),
        },
    )
    yield dg.MaterializeResult(
        asset_key=PRICE_FETCHES, metadata={"dagster/row_count": int(fetch_rows)}
    )
