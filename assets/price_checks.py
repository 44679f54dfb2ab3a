"""Asset checks on raw/daily_bars: Dagster wiring around assets/prices/checks.py.

The ERROR checks are blocking: when one fails, the dbt models downstream of raw/daily_bars do not
run in that run, so bad bars never reach the marts. The large-move check only warns. What each
check reads and how freshness is judged is written in assets/prices/checks.py.
"""

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from assets.calendar import (
    NEW_YORK,
    RUNWAY_WARN_DAYS,
    calendar_runway,
    calendar_runway_warning,
)
from assets.dual_listings import price_tickers
from assets.prices.checks import PRICE_CHECKS as CHECKS
from assets.prices.checks import CheckOutcome, expected_session, run_price_checks
from assets.raw_prices import DAILY_BARS
from assets.resources import StateResource, WarehouseResource
from assets.universe import universe_tickers

CALENDAR_RUNWAY_CHECK = "calendar_runway"
PRICE_CHECK_SPECS = [
    *(
        dg.AssetCheckSpec(name, asset=DAILY_BARS, description=text, blocking=blocking)
        for name, (text, blocking) in CHECKS.items()
    ),
    dg.AssetCheckSpec(
        CALENDAR_RUNWAY_CHECK,
        asset=DAILY_BARS,
        description=(
            f"The XNYS calendar (sessions, partitions, day 0) lasts at least {RUNWAY_WARN_DAYS} "
            "more days (WARN: move CALENDAR_END in assets/calendar.py before it runs out)."
        ),
    ),
]


def calendar_runway_result(today: date) -> dg.AssetCheckResult:
    end, days_left = calendar_runway(today)
    warning = calendar_runway_warning(today)
    return dg.AssetCheckResult(
        asset_key=DAILY_BARS,
        check_name=CALENDAR_RUNWAY_CHECK,
        passed=warning is None,
        severity=dg.AssetCheckSeverity.WARN,
        description=warning or f"the XNYS calendar runs to {end}, {days_left} days from today",
        metadata={"calendar_end": end.isoformat(), "days_left": days_left},
    )


def _markdown_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    columns = list(dict.fromkeys(c for row in rows for c in row))  # home lines add `exchange`
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def to_check_result(outcome: CheckOutcome) -> dg.AssetCheckResult:
    result = outcome.result
    severity = (
        dg.AssetCheckSeverity.WARN if result.severity == "warn" else dg.AssetCheckSeverity.ERROR
    )
    metadata: dict[str, Any] = {"failing_rows": result.failing_rows}
    for name, value in outcome.details.items():
        metadata[name] = dg.MetadataValue.json(value) if isinstance(value, list) else value
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


@dg.multi_asset_check(
    specs=PRICE_CHECK_SPECS,
    name="daily_bars_checks",
    description="Data checks on raw.daily_bars (assets/prices/checks.py), one query each.",
    pool="warehouse",
)
def daily_bars_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, state: StateResource
) -> Iterator[dg.AssetCheckResult]:
    universe = universe_tickers(Path(state.universe_path))
    # what the fetch adds to the universe (home lines, HKD=X, the Hong Kong benchmark)
    home_lines = [t for t in price_tickers(universe, state.hk_benchmark) if t not in universe]
    with warehouse.connect() as con:
        expected = expected_session(context.run.tags, con)
        context.log.info(
            f"freshness judged {expected.rule}, newest session {expected.session}"
        )
        run = run_price_checks(con, universe, expected, home_lines=home_lines)
    for outcome in run.outcomes:
        yield to_check_result(outcome)
    yield calendar_runway_result(datetime.now(NEW_YORK).date())


PRICE_CHECKS = [daily_bars_checks]
