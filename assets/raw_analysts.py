"""Raw analyst actions and valuation snapshots: fetch (or replay) Yahoo's per-ticker quote
endpoints, archive them as received, load raw.analyst_actions and raw.valuation_snapshots.

Dagster wiring around assets/analysts/live.py. One step per run fetches both endpoints for every
universe ticker; the run's tags choose live fetching or an archive replay (assets/source_mode.py).
Nothing here fails a run for Yahoo's sake: a ticker that got no answer, or a valuation field that
makes no sense, is a WARN check naming it, and the other tickers are loaded.

No `from __future__ import annotations` here: Dagster reads the resource annotations of the
asset function at runtime.
"""

from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg

from assets.analysts.live import fetch_snapshot, replay_snapshots, snapshot_session
from assets.archive_errors import (
    ARCHIVE_ERRORS,
    BAD_FILES_KEY,
    archive_failure,
    bad_files_metadata,
)
from assets.calendar import NEW_YORK, CalendarError
from assets.metadata import asset_table_metadata
from assets.resources import StateResource, WarehouseResource, YahooPricesResource
from assets.sample_home import SyntheticHomeError, refuse_live_into_sample_home
from assets.source_mode import SourceMode, run_source, tags_of
from assets.sources import yahoo_finance
from assets.universe import universe_tickers

ANALYST_ACTIONS = dg.AssetKey(["raw", "analyst_actions"])
VALUATION_SNAPSHOTS = dg.AssetKey(["raw", "valuation_snapshots"])
KIND_KEYS = {"analyst": ANALYST_ACTIONS, "valuation": VALUATION_SNAPSHOTS}
ANALYST_COMPLETE_CHECK = "latest_analyst_fetch_complete"
VALUATION_COMPLETE_CHECK = "latest_valuation_fetch_complete"
VALUATION_FIELDS_CHECK = "valuation_fields_sensible"
COMPLETE_CHECKS = {"analyst": ANALYST_COMPLETE_CHECK, "valuation": VALUATION_COMPLETE_CHECK}
_MAX_LISTED = 50


CHECK_SPECS = [
    dg.AssetCheckSpec(
        ANALYST_COMPLETE_CHECK,
        asset=ANALYST_ACTIONS,
        description=(
            "The latest analyst-action fetch got an answer for every ticker (WARN: the others "
            "still load; the failed tickers and Yahoo's reasons are in the metadata)."
        ),
    ),
    dg.AssetCheckSpec(
        VALUATION_COMPLETE_CHECK,
        asset=VALUATION_SNAPSHOTS,
        description=(
            "The latest valuation snapshot got an answer for every ticker (WARN: the others "
            "still load)."
        ),
    ),
    dg.AssetCheckSpec(
        VALUATION_FIELDS_CHECK,
        asset=VALUATION_SNAPSHOTS,
        description=(
            "Every valuation field of the latest session is a sensible number (WARN: a field "
            "Yahoo left out or sent as a string, NaN, Infinity or a negative multiple is stored "
            "as NULL; the metadata names the ticker, the field and what was sent)."
        ),
    ),
]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ANALYST_ACTIONS,
            deps=[yahoo_finance],
            description=(
                "One row per analyst action (ticker, grade time, firm): grades from and to, "
                "action (up/down/main/init/reit), price target action, current and prior "
                "target, from yfinance's Ticker.upgrades_downgrades, archived as received."
            ),
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            VALUATION_SNAPSHOTS,
            deps=[yahoo_finance],
            description=(
                "One row per (ticker, session): market cap, trailing and forward P/E, price to "
                "sales and to book, EV/EBITDA, dividend yield, consensus target, recommendation "
                "mean and analyst count, from yfinance's Ticker.info, snapshotted once a run "
                "(Yahoo keeps no history of these: the snapshots build one)."
            ),
            kinds={"duckdb"},
        ),
    ],
    check_specs=CHECK_SPECS,
    group_name="raw",
    pool="warehouse",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL),
)
def raw_analysts(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    state: StateResource,
    yahoo: YahooPricesResource,
):
    """Fetch or replay analyst actions and valuation snapshots."""
    source = run_source(tags_of(context), state.archive_dir)
    metadata: dict[str, dict[str, Any]] = {kind: {} for kind in KIND_KEYS}
    failed: dict[str, dict[str, str]] = {kind: {} for kind in KIND_KEYS}
    with warehouse.connect() as con:
        try:
            if source.mode == SourceMode.live:
                refuse_live_into_sample_home(
                    con, state.home, "live analyst data is not mixed into it; nothing was fetched"
                )
                session = snapshot_session(datetime.now(NEW_YORK))
                tickers = universe_tickers(Path(state.universe_path))
                for kind in KIND_KEYS:
                    outcome = fetch_snapshot(
                        con, source.archive, kind, yahoo, tickers, session, context.log
                    )
                    failed[kind] = outcome.failed
                    metadata[kind].update(
                        {
                            "session": str(session),
                            "tickers_fetched": dg.MetadataValue.json(outcome.fetched),
                            "yahoo_requests": outcome.requests,
                            "rows_fetched": outcome.rows_loaded,
                            "fetch_archived": outcome.manifest.fetch_id if outcome.manifest else "",
                        }
                    )
            else:
                for kind in KIND_KEYS:
                    replay = replay_snapshots(
                        con,
                        source.archive,
                        kind,
                        source.rebuild,
                        context.log,
                        source.skip_bad,
                        home=state.home,
                    )
                    latest = replay.loaded[-1] if replay.loaded else None
                    failed[kind] = {
                        t: "failed in the latest archived fetch"
                        for t in (latest.failed_tickers if latest else [])
                    }
                    metadata[kind]["fetches_in_archive"] = len(replay.loaded)
                    metadata[kind]["fetches_retracted"] = dg.MetadataValue.json(replay.retracted)
                    if replay.skipped:
                        metadata[kind][BAD_FILES_KEY] = bad_files_metadata(replay.skipped)
        except SyntheticHomeError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        except ARCHIVE_ERRORS as exc:
            raise archive_failure(exc) from exc
        except CalendarError as exc:
            raise dg.Failure(description=f"XNYS calendar: {exc}", allow_retries=False) from exc
        counts = {
            "analyst": con.execute(
                "select count(*), count(distinct ticker), max(graded_at)::varchar "
                "from raw.analyst_actions"
            ).fetchall()[0],
            "valuation": con.execute(
                "select count(*), count(distinct ticker), max(session_date)::varchar "
                "from raw.valuation_snapshots"
            ).fetchall()[0],
        }
        invalid = con.execute(
            "select ticker, session_date::varchar, unnest(invalid_fields) "
            "from raw.valuation_snapshots "
            "where session_date = (select max(session_date) from raw.valuation_snapshots) "
            "order by ticker"
        ).fetchall()
        tables = {kind: asset_table_metadata(con, key) for kind, key in KIND_KEYS.items()}

    latest_label = {"analyst": "latest_graded_at", "valuation": "last_session_loaded"}
    for kind, key in KIND_KEYS.items():
        rows, tickers_n, latest = counts[kind]
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                **tables[kind],
                "dagster/row_count": int(rows),
                "tickers": int(tickers_n),
                latest_label[kind]: str(latest),
                "mode": source.mode.value,
                "tickers_failed": dg.MetadataValue.json(dict(list(failed[kind].items())[:50])),
                **metadata[kind],
            },
        )
    for kind, key in KIND_KEYS.items():
        kind_failed = failed[kind]
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=COMPLETE_CHECKS[kind],
            passed=not kind_failed,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                "every requested ticker got an answer"
                if not kind_failed
                else f"{len(kind_failed)} tickers got no answer; the others were loaded: "
                + ", ".join(sorted(kind_failed)[:_MAX_LISTED])
            ),
            metadata={
                "tickers_failed": dg.MetadataValue.json(dict(list(kind_failed.items())[:50])),
                "failed_count": len(kind_failed),
            },
        )
    problems = [
        {"ticker": t, "session": s, "field": p.split(":", 1)[0], "why": p.split(":", 1)[1].strip()}
        for t, s, p in invalid
    ]
    yield dg.AssetCheckResult(
        asset_key=VALUATION_SNAPSHOTS,
        check_name=VALUATION_FIELDS_CHECK,
        passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            "every valuation field of the latest session is a sensible number"
            if not problems
            else f"{len(problems)} valuation fields of the latest session stored as NULL: "
            + "; ".join(f"{p['ticker']} {p['field']} ({p['why']})" for p in problems[:10])
        ),
        metadata={
            "null_fields": dg.MetadataValue.json(problems[:_MAX_LISTED]),
            "null_field_count": len(problems),
        },
    )
