"""Asset checks on the raw news tables: thin Dagster wiring around assets/news/quality.py.

They run after raw_news in every job that materializes it (poll_news, the daily run, the demo).
Severities: a repeated item key would double-count news events downstream, so it is an ERROR that
blocks the models of the same run; an item from the future is an ERROR that does not block (its
day 0 is wrong, the others are fine); a failing feed and a low tagged share are WARNings, because
feeds go down for a while and the pipeline keeps working with the others.
No `from __future__ import annotations`: Dagster reads the resource annotations at runtime.
"""

from typing import Any

import dagster as dg

from assets.news import quality
from assets.raw_news import NEWS_FETCHES, NEWS_ITEMS
from assets.resources import WarehouseResource


def _result(outcome: quality.QualityOutcome, severity: dg.AssetCheckSeverity,
            rows_label: str) -> dg.AssetCheckResult:
    metadata: dict[str, Any] = {"summary": outcome.summary, **outcome.figures}
    if outcome.rows:
        metadata[rows_label] = dg.MetadataValue.json(outcome.rows)
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=severity,
        description=outcome.summary,
        metadata=metadata,
    )


@dg.asset_check(
    asset=NEWS_ITEMS,
    name="unique_item_key",
    description="Every news item has a key (guid, canonical link or hash) and no key repeats.",
    blocking=True,
    pool="warehouse",
)
def unique_item_key(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        outcome = quality.unique_item_keys(con)
    return _result(outcome, dg.AssetCheckSeverity.ERROR, "repeated_keys")


@dg.asset_check(
    asset=NEWS_ITEMS,
    name="published_not_in_future",
    description=(
        "No item is published after the fetch that delivered it (or after now), allowing "
        f"{quality.CLOCK_SKEW.total_seconds() / 60:g} minutes of clock skew."
    ),
    pool="warehouse",
)
def published_not_in_future(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        outcome = quality.published_not_in_future(con)
    return _result(outcome, dg.AssetCheckSeverity.ERROR, "items_in_future")


@dg.asset_check(
    asset=NEWS_FETCHES,
    name="feed_success_rate",
    description=(
        f"Each feed fetched in the last {quality.ACTIVE_FEED_DAYS} days succeeded (ok, warning or "
        f"not modified) in at least {quality.MIN_SUCCESS_RATE:.0%} of its last "
        f"{quality.SUCCESS_WINDOW_FETCHES} fetches."
    ),
    pool="warehouse",
)
def feed_success_rate(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        outcome = quality.feed_success_rates(con)
    return _result(outcome, dg.AssetCheckSeverity.WARN, "feeds")


@dg.asset_check(
    asset=NEWS_ITEMS,
    name="tagged_share",
    description=(
        f"At least {quality.MIN_TAGGED_SHARE:.0%} of the {quality.TAGGED_WINDOW_ITEMS} newest "
        "items carry a ticker or theme tag."
    ),
    pool="warehouse",
)
def tagged_share(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        outcome = quality.tagged_share(con)
    return _result(outcome, dg.AssetCheckSeverity.WARN, "feeds")


NEWS_CHECKS = [unique_item_key, published_not_in_future, feed_success_rate, tagged_share]
