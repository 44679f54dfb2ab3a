"""Quality rules for the raw news tables, as plain queries. No Dagster here.

Each rule reads the warehouse through a DuckDB connection and returns a `QualityOutcome`: whether
the rule holds, one sentence saying why, figures worth showing, and the offending rows (capped),
so whoever reads a failure sees which items or feeds caused it. `assets/news_checks.py` turns these
into Dagster asset checks.

Windows count fetches and items, not wall-clock days: the bundled sample archive is months old,
and "the last 12 fetches of a feed" means the same thing for it as for a live warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

# A feed's clock and ours may disagree a little; beyond this an item "from the future" is a bug
# (typically a feed writing local time and labelling it GMT), and its day 0 would be wrong.
CLOCK_SKEW = timedelta(minutes=15)
# Success rate: the last N fetches of each feed (12 = one day at one poll every two hours).
SUCCESS_WINDOW_FETCHES = 12
MIN_SUCCESS_RATE = 0.5
# A feed counts as active while its latest fetch is this close to the newest fetch of any feed,
# so a feed removed from the feed list stops being judged two weeks later (and a feed polled
# rarely, like the sample's, still counts).
ACTIVE_FEED_DAYS = 14
# Tagged share: the most recently first-seen items.
TAGGED_WINDOW_ITEMS = 500
MIN_TAGGED_SHARE = 0.5
# How many offending rows a failure lists.
MAX_LISTED = 20

SUCCESSFUL_STATUSES = ("ok", "warning", "not_modified")


@dataclass(frozen=True)
class QualityOutcome:
    passed: bool
    summary: str
    figures: dict[str, float | int | str] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def unique_item_keys(con: duckdb.DuckDBPyConnection) -> QualityOutcome:
    """Every item has a key and no key appears twice.

    The table's primary key enforces this on a warehouse created by this version; the rule also
    guards a table created otherwise (an older schema, a hand-made copy) before dbt reads it.
    """
    total, distinct, missing = con.execute(
        "select count(*), count(distinct item_key), count(*) - count(item_key) "
        "from raw.news_items"
    ).fetchall()[0]
    repeated = _records(
        con,
        "select item_key, count(*) as copies, list_sort(list(distinct feed_name)) as feeds "
        "from raw.news_items where item_key is not null "
        "group by item_key having count(*) > 1 order by copies desc, item_key limit ?",
        [MAX_LISTED],
    )
    figures = {
        "items": int(total),
        "distinct_keys": int(distinct),
        "items_without_key": int(missing),
    }
    if missing or repeated:
        return QualityOutcome(
            False,
            f"{int(total) - int(distinct) - int(missing)} extra copies of repeated keys and "
            f"{int(missing)} items without a key in raw.news_items",
            figures,
            repeated,
        )
    return QualityOutcome(True, f"{int(total)} items, each with its own key", figures)


def published_not_in_future(
    con: duckdb.DuckDBPyConnection, *, now: datetime | None = None, skew: timedelta = CLOCK_SKEW
) -> QualityOutcome:
    """No item claims a publication time after the fetch that last delivered it, or after now.

    `published_at` comes from the latest fetch that carried a date, so it can never legitimately
    be later than `last_seen_at`.
    """
    now = now or datetime.now(UTC)
    where = "published_at > last_seen_at + ? or published_at > ?"
    params: list[Any] = [skew, now + skew]
    count = con.execute(
        f"select count(*) from raw.news_items where {where}", params
    ).fetchall()[0][0]
    offenders = _records(
        con,
        "select item_key, feed_name, title, published_at, published_utc_offset, last_seen_at "
        f"from raw.news_items where {where} order by published_at desc limit ?",
        [*params, MAX_LISTED],
    )
    for row in offenders:
        for key in ("published_at", "last_seen_at"):
            row[key] = row[key].astimezone(UTC).isoformat()
    figures = {"items_in_future": int(count), "allowed_skew_minutes": skew.total_seconds() / 60}
    if count:
        return QualityOutcome(
            False,
            f"{int(count)} items are published more than {skew.total_seconds() / 60:g} minutes "
            "after they were fetched (or after now): check those feeds' time zones",
            figures,
            offenders,
        )
    return QualityOutcome(True, "no item is published after it was fetched", figures)


def feed_success_rates(
    con: duckdb.DuckDBPyConnection,
    *,
    window: int = SUCCESS_WINDOW_FETCHES,
    min_rate: float = MIN_SUCCESS_RATE,
    active_days: int = ACTIVE_FEED_DAYS,
) -> QualityOutcome:
    """Share of successful fetches (ok, warning, not modified) over each active feed's last
    `window` fetches; the rule fails when any feed is below `min_rate`."""
    per_feed = _records(
        con,
        f"""
        with ranked as (
            select feed_name, status, error, fetched_at,
                   row_number() over (partition by feed_name order by fetched_at desc,
                                      fetch_id desc) as recency
            from raw.news_fetches
        ),
        latest as (select max(fetched_at) as newest from raw.news_fetches),
        recent as (select * from ranked where recency <= ?)
        select feed_name,
               count(*) as fetches,
               count(*) filter (where status in {SUCCESSFUL_STATUSES}) as succeeded,
               round(count(*) filter (where status in {SUCCESSFUL_STATUSES}) / count(*), 3)
                   as success_rate,
               arg_max(error, fetched_at) filter (where status = 'failed') as last_error
        from recent
        group by feed_name
        having max(fetched_at) >= (select newest from latest) - to_days(?)
        order by success_rate, feed_name
        """,
        [window, active_days],
    )
    below = [row for row in per_feed if row["success_rate"] < min_rate]
    figures = {
        "active_feeds": len(per_feed),
        "feeds_below_threshold": len(below),
        "window_fetches_per_feed": window,
        "min_success_rate": min_rate,
    }
    if below:
        names = ", ".join(row["feed_name"] for row in below[:MAX_LISTED])
        return QualityOutcome(
            False,
            f"{len(below)} of {len(per_feed)} feeds succeeded in fewer than {min_rate:.0%} of "
            f"their last {window} fetches: {names}",
            figures,
            below[:MAX_LISTED],
        )
    return QualityOutcome(
        True,
        f"all {len(per_feed)} active feeds succeeded in at least {min_rate:.0%} of their last "
        f"{window} fetches",
        figures,
        per_feed[:MAX_LISTED],
    )


def tagged_share(
    con: duckdb.DuckDBPyConnection,
    *,
    window: int = TAGGED_WINDOW_ITEMS,
    min_share: float = MIN_TAGGED_SHARE,
) -> QualityOutcome:
    """Share of the `window` most recently first-seen items with at least one tag."""
    per_feed = _records(
        con,
        """
        with recent as (
            select item_key, feed_name from raw.news_items
            order by first_seen_at desc, item_key limit ?
        ),
        tagged as (select distinct item_key from raw.news_item_tags)
        select recent.feed_name,
               count(*) as items,
               count(tagged.item_key) as tagged,
               round(count(tagged.item_key) / count(*), 3) as tagged_share
        from recent left join tagged using (item_key)
        group by recent.feed_name
        order by tagged_share, recent.feed_name
        """,
        [window],
    )
    items = sum(row["items"] for row in per_feed)
    tagged = sum(row["tagged"] for row in per_feed)
    share = tagged / items if items else 1.0
    figures = {
        "items_in_window": items,
        "items_tagged": tagged,
        "tagged_share": round(share, 3),
        "min_tagged_share": min_share,
    }
    if share < min_share:
        return QualityOutcome(
            False,
            f"only {tagged} of the {items} newest items ({share:.0%}) carry a tag, below "
            f"{min_share:.0%}: check the aliases file and the least tagged feeds listed",
            figures,
            per_feed[:MAX_LISTED],
        )
    text = f"{tagged} of the {items} newest items ({share:.0%}) carry a tag" if items \
        else "no items yet"
    return QualityOutcome(True, text, figures, per_feed[:MAX_LISTED])
