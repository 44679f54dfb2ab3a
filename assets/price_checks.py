"""Asset checks on raw/daily_bars: thin wiring around assets/prices/validation.py.

The ERROR checks are blocking: when one fails, the dbt models downstream of raw/daily_bars do not
run in that run, so bad bars never reach the marts. The large-move check only warns.

Freshness is judged against the last session the run was asked to load (its partition, or the
end of the latest loaded fetch for an unpartitioned run such as an archive replay), never the wall
clock: the bundled sample ends 2025-03-31 and must still pass. A ticker that is stale because
Yahoo failed it (the fetch recorded it in failed_tickers, and `latest_fetch_complete` warns about
it) is a WARN, so one bad ticker does not hold back the marts of all the others; a ticker stale
for no reported reason is an ERROR.
"""


from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from assets.calendar import NEW_YORK, previous_session_on_or_before
from assets.prices import check_scope, validation
from assets.raw_prices import DAILY_BARS
from assets.universe import universe_tickers
from orchestration.partitions import NotASessionError, session_range_from_tags
from orchestration.resources import StateResource, WarehouseResource

MAX_EXAMPLES = 20

# check name -> (description, blocking)
_CHECKS: dict[str, tuple[str, bool]] = {
    "bars_unique": ("(ticker, session_date) appears once.", True),
    "prices_positive": ("close and adj_close are present, not NaN, and > 0.", True),
    "ohlc_consistent": ("low <= open, close <= high on every bar.", True),
    "volume_non_negative": ("volume >= 0 on every bar.", True),
    "bars_fresh": (
        "Every universe ticker has the latest session the run was asked to load (XNYS). ERROR "
        "when a ticker is stale for no reported reason; WARN when Yahoo failed it in the fetch.",
        True,
    ),
    "bars_no_gaps": (
        "No XNYS session is missing between a ticker's first and last bar.",
        True,
    ),
    "large_moves_without_split": (
        f"One-day |adjusted return| above {validation.DEFAULT_MOVE_THRESHOLD:.0%} with no split "
        "recorded (WARN: real news or a bad print; the rows are in the metadata).",
        False,
    ),
}

PRICE_CHECK_SPECS = [
    dg.AssetCheckSpec(name, asset=DAILY_BARS, description=text, blocking=blocking)
    for name, (text, blocking) in _CHECKS.items()
]


def expected_session(run_tags: Mapping[str, str], con: duckdb.DuckDBPyConnection) -> date:
    """The latest session the run was asked to load.

    A partitioned run: its (last) partition. Otherwise the end of the newest loaded fetch or
    import (an archive replay: the archive's last session). With nothing loaded: the last
    session up to today, so an empty warehouse is reported stale.
    """
    try:
        sessions = session_range_from_tags(dict(run_tags))
    except NotASessionError:
        sessions = None  # raw_prices refused the run already; judge what is stored
    if sessions is not None:
        return sessions.last
    latest_end = con.execute("select max(end_date) from raw.price_fetches").fetchall()[0][0]
    day = latest_end or datetime.now(NEW_YORK).date()
    return previous_session_on_or_before(day)


def reported_failures(con: duckdb.DuckDBPyConnection, session: date) -> set[str]:
    """Tickers a fetch covering `session` reported as failed (Yahoo gave them nothing)."""
    rows = con.execute(
        "select distinct unnest(failed_tickers) from raw.price_fetches "
        "where end_date >= ? and len(failed_tickers) > 0",
        [session],
    ).fetchall()
    return {r[0] for r in rows}


def freshness_severity(stale: set[str], reported_failed: set[str]) -> str:
    """error unless every stale ticker is explained by a reported fetch failure."""
    return "warn" if stale and stale <= reported_failed else "error"


def _markdown_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def to_check_result(
    result: validation.CheckResult, extra: dict[str, Any] | None = None
) -> dg.AssetCheckResult:
    severity = (
        dg.AssetCheckSeverity.WARN if result.severity == "warn" else dg.AssetCheckSeverity.ERROR
    )
    metadata: dict[str, Any] = {"failing_rows": result.failing_rows, **(extra or {})}
    if result.examples:
        metadata["offending_rows"] = dg.MetadataValue.json(result.examples)
        metadata["offending_rows_table"] = dg.MetadataValue.md(_markdown_table(result.examples))
    return dg.AssetCheckResult(
        asset_key=DAILY_BARS,
        check_name=result.name,
        passed=result.passed,
        severity=severity,
        description=result.description,
        metadata=metadata,
    )


def run_checks(
    con: duckdb.DuckDBPyConnection, universe: list[str], as_of: date
) -> Iterator[dg.AssetCheckResult]:
    table, scope = check_scope.check_scope(con)
    kw = {"max_examples": MAX_EXAMPLES, "table": table}
    yield to_check_result(validation.check_unique(con, **kw), scope)
    yield to_check_result(validation.check_prices_positive(con, **kw), scope)
    yield to_check_result(validation.check_ohlc_consistent(con, **kw), scope)
    yield to_check_result(validation.check_volume_non_negative(con, **kw), scope)

    fresh = validation.check_freshness(con, universe, as_of, max_examples=max(len(universe), 1))
    stale = {row["ticker"] for row in fresh.examples}
    reported = reported_failures(con, as_of)
    fresh_severity = fresh.severity if fresh.passed else freshness_severity(stale, reported)
    fresh = validation.CheckResult(
        fresh.name, fresh.passed, fresh.failing_rows, fresh.examples[:MAX_EXAMPLES],
        fresh.description, fresh_severity,
    )
    yield to_check_result(
        fresh,
        {
            "expected_session": as_of.isoformat(),
            "stale_tickers": dg.MetadataValue.json(sorted(stale)),
            "stale_because_fetch_failed": dg.MetadataValue.json(sorted(stale & reported)),
        },
    )
    yield to_check_result(validation.check_no_gaps(con, **kw), scope)
    yield to_check_result(validation.check_large_moves(con, **kw), scope)


@dg.multi_asset_check(
    specs=PRICE_CHECK_SPECS,
    name="daily_bars_checks",
    description="Data checks on raw.daily_bars (assets/prices/validation.py), one query each.",
    pool="warehouse",
)
def daily_bars_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, state: StateResource
) -> Iterator[dg.AssetCheckResult]:
    universe = universe_tickers(Path(state.universe_path))
    with warehouse.connect() as con:
        as_of = expected_session(context.run.tags, con)
        context.log.info(f"freshness judged against the session {as_of}")
        results = list(run_checks(con, universe, as_of))
        blocking_failed = [
            r.check_name
            for r in results
            if not r.passed and r.severity == dg.AssetCheckSeverity.ERROR
        ]
        if not blocking_failed:
            check_scope.record_checks_passed(con)
    yield from results


PRICE_CHECKS = [daily_bars_checks]
