"""Analyst actions and valuation snapshots, live or replayed: the algorithm behind the
raw/analyst_actions and raw/valuation_snapshots assets, without Dagster.

A live run asks Yahoo once per ticker and endpoint (assets/analysts/fetch.py), archives what came
as received (one file per endpoint and run, warehouse/archive.py `write_snapshot_fetch`, with the
failed tickers in its manifest), then loads that file (warehouse/snapshots.py). A replay loads the
archived fetches not loaded yet, or, for a rebuild, all of them into fresh tables swapped in only
when every file loaded, like the price replay (assets/prices/live.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb

from assets.analysts.fetch import (
    ANALYST_ENDPOINT,
    INFO_ENDPOINT,
    QuoteFetchResult,
    actions_frame,
)
from assets.calendar import NEW_YORK, shift_sessions, us_day_zero
from assets.sample_home import refuse_live_into_sample_home
from warehouse.archive import (
    ArchiveFileError,
    ArchiveReplayError,
    SnapshotFetchManifest,
    plan_replay,
    write_snapshot_fetch,
)
from warehouse.load import ProgressLog, rebuild_from_plan
from warehouse.schema import (
    REBUILD_SCHEMA,
    SNAPSHOT_TABLES,
)
from warehouse.snapshots import load_snapshot_fetch, loaded_snapshot_fetch_ids

# Archive kind -> the yfinance attribute it snapshots.
ENDPOINTS = {"analyst": ANALYST_ENDPOINT, "valuation": INFO_ENDPOINT}


class QuoteSource(Protocol):
    """What a live run needs of Yahoo's quote endpoints (assets/resources.py)."""

    def fetch_quotes(self, tickers: list[str], endpoint: str) -> QuoteFetchResult: ...


def snapshot_session(fetched_at: datetime) -> date:
    """The XNYS session a snapshot taken at `fetched_at` belongs to: the last session closed by
    then (news's day-0 rule, one session back). 18:00 on a Friday: that Friday; 10:00 on a
    Friday (not closed yet): Thursday; a Saturday: Friday."""
    return shift_sessions(us_day_zero(fetched_at), -1)


@dataclass
class SnapshotOutcome:
    """What one live fetch of one kind did."""

    kind: str
    fetched: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    rows_loaded: int = 0
    requests: int = 0
    manifest: SnapshotFetchManifest | None = None


def fetch_snapshot(
    con: duckdb.DuckDBPyConnection,
    archive: Path,
    kind: str,
    source: QuoteSource,
    tickers: list[str],
    session: date,
    log: ProgressLog,
) -> SnapshotOutcome:
    """Fetch one kind for every ticker, archive what came (even when some tickers failed), load
    it. Nothing is archived when no ticker answered."""
    result = source.fetch_quotes(tickers, ENDPOINTS[kind])
    outcome = SnapshotOutcome(
        kind, fetched=result.succeeded, failed=result.failed, requests=result.requests
    )
    if result.failed:
        log.warning(f"{kind}: {len(result.failed)} tickers got no answer: {result.failed}")
    if not result.answers:
        return outcome
    data: Any = actions_frame(result.answers) if kind == "analyst" else result.answers
    manifest = write_snapshot_fetch(
        archive,
        kind,
        data,
        source="yfinance",
        fetched_at=datetime.now(NEW_YORK),
        tickers=tickers,
        session_date=session,
        failed_tickers=sorted(result.failed),
    )
    stats = load_snapshot_fetch(con, archive, kind, manifest)
    outcome.manifest = manifest
    outcome.rows_loaded = stats.rows
    log.info(f"{kind}: {manifest.fetch_id} archived and loaded, {stats.rows} rows")
    return outcome


@dataclass
class SnapshotReplay:
    loaded: list[SnapshotFetchManifest] = field(default_factory=list)
    skipped: list[ArchiveFileError] = field(default_factory=list)
    retracted: list[str] = field(default_factory=list)


def replay_snapshots(
    con: duckdb.DuckDBPyConnection,
    archive: Path,
    kind: str,
    rebuild: bool,
    log: ProgressLog,
    skip_bad: bool = False,
    *,
    home: str = "",
) -> SnapshotReplay:
    """Load the archived fetches of `kind` not loaded yet, in fetch order; with `rebuild`, all of
    them into fresh tables that replace the raw ones only when every file loaded (with
    `skip_bad`: when the good ones did, the bad ones listed). Retracted fetches are left out.
    Real fetches waiting in the archive are not loaded on top of the synthetic sample (`home`
    names ADRPULSE_HOME in the refusal, assets/sample_home.py); a rebuild replaces the tables."""
    plan = plan_replay(archive, kind)
    outcome = SnapshotReplay(retracted=plan.retracted)
    tables = SNAPSHOT_TABLES[kind]
    items = plan.in_order()
    if not rebuild:
        done = loaded_snapshot_fetch_ids(con, kind)
        if any(not m.synthetic and m.fetch_id not in done for m in plan.fetches):
            refuse_live_into_sample_home(
                con, home, f"real {kind} snapshots are not mixed into it; nothing was stored"
            )
        for item in items:
            if item.fetch_id in done and not isinstance(item, ArchiveFileError):
                outcome.loaded.append(item)
                continue
            if item.fetch_id in done:
                continue
            try:
                if isinstance(item, ArchiveFileError):
                    raise item
                load_snapshot_fetch(con, archive, kind, item)
            except ArchiveFileError as exc:
                raise ArchiveReplayError(
                    [exc], f"the {kind} fetches after it are not loaded"
                ) from exc
            outcome.loaded.append(item)
        return outcome

    def load_into_staging(item: SnapshotFetchManifest) -> SnapshotFetchManifest:
        load_snapshot_fetch(con, archive, kind, item, schema=REBUILD_SCHEMA)
        return item

    outcome.loaded, outcome.skipped = rebuild_from_plan(
        con, plan, tables, load_into_staging, lambda item: f"{kind}: {item.fetch_id}", log,
        skip_bad=skip_bad, what=kind,
    )
    log.info(f"{kind}: {len(outcome.loaded)} archived fetches replayed")
    return outcome
