"""Raw news: poll (or replay) RSS/Atom feeds, archive the bytes, parse, tag, load.

Dagster wiring around assets/news/ingest.py, which holds the algorithm; the run's tags choose
live polling or an archive replay (assets/source_mode.py). The per-fetch outcomes of a run go
into the materialization metadata of raw/news_fetches (the `fetches` table), which is what
`adrpulse fetch-news` prints.

No `from __future__ import annotations` here: Dagster reads the resource annotations of the
asset function at runtime.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from assets.archive_errors import (
    ARCHIVE_ERRORS,
    BAD_FILES_KEY,
    archive_failure,
    bad_files_metadata,
)
from assets.metadata import asset_table_metadata
from assets.news.ingest import (
    FeedOutcome,
    NewsConfigError,
    news_counts,
    poll_feeds,
    read_news_config,
    replay_news,
)
from assets.resources import FeedClientResource, StateResource, WarehouseResource
from assets.sample_home import SyntheticHomeError, refuse_live_into_sample_home
from assets.source_mode import SourceMode, run_source, tags_of
from assets.sources import rss_feeds

NEWS_ITEMS = dg.AssetKey(["raw", "news_items"])
NEWS_ITEM_TAGS = dg.AssetKey(["raw", "news_item_tags"])
NEWS_FETCHES = dg.AssetKey(["raw", "news_fetches"])

# The columns of the `fetches` metadata table on raw/news_fetches (one row per fetch of the run).
FETCH_TABLE_COLUMNS = (
    ("feed_name", "string"),
    ("status", "string"),
    ("http_status", "int"),
    ("new_items", "int"),
    ("updated_items", "int"),
    ("error", "string"),
    ("fetch_id", "string"),
)
# A replay of a long archive would make an enormous table: it keeps the latest rows only.
MAX_FETCH_TABLE_ROWS = 500


def _fetch_table(outcomes: Sequence[FeedOutcome]) -> dg.MetadataValue:
    schema = dg.TableSchema(
        columns=[dg.TableColumn(name, kind) for name, kind in FETCH_TABLE_COLUMNS]
    )
    records = [
        dg.TableRecord({name: getattr(o, name) for name, _ in FETCH_TABLE_COLUMNS})
        for o in outcomes[-MAX_FETCH_TABLE_ROWS:]
    ]
    return dg.MetadataValue.table(records, schema=schema)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            NEWS_ITEMS,
            deps=[rss_feeds],
            description="One row per news item, deduplicated across feeds and fetches.",
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            NEWS_ITEM_TAGS,
            deps=[rss_feeds],
            description="Tickers and themes each item mentions, with the alias that matched.",
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            NEWS_FETCHES,
            deps=[rss_feeds],
            description="One row per feed poll: status, HTTP code, items new and updated, error.",
            kinds={"duckdb"},
        ),
    ],
    group_name="raw",
    pool="warehouse",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL),
)
def raw_news(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    state: StateResource,
    feeds: FeedClientResource,
):
    """Poll or replay news feeds into raw.news_items, raw.news_item_tags and raw.news_fetches."""
    source = run_source(tags_of(context), state.archive_dir)
    try:
        news_config = read_news_config(
            Path(state.universe_path), Path(state.aliases_path), Path(state.feeds_path),
            context.log,
        )
    except NewsConfigError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    replay_metadata: dict[str, Any] = {}
    with warehouse.connect() as con:
        if source.mode == SourceMode.live:
            try:
                # Before any feed is asked: news polled into a sample home would be stored there.
                refuse_live_into_sample_home(
                    con, state.home, "live news is not mixed into it; no feed was polled"
                )
            except SyntheticHomeError as exc:
                raise dg.Failure(description=str(exc), allow_retries=False) from exc
            outcomes = poll_feeds(con, source.archive, news_config, feeds.fetch, context.log)
        else:
            try:
                replay = replay_news(
                    con, source.archive, news_config, source.rebuild, context.log, source.skip_bad
                )
            except ARCHIVE_ERRORS as exc:
                raise archive_failure(exc) from exc
            outcomes = replay.outcomes
            replay_metadata["fetches_retracted"] = dg.MetadataValue.json(replay.retracted)
            if replay.skipped:
                replay_metadata[BAD_FILES_KEY] = bad_files_metadata(replay.skipped)
                context.log.warning(
                    f"{len(replay.skipped)} bad archive file(s) skipped (--skip-bad): "
                    + "; ".join(str(e) for e in replay.skipped)
                )
        counts = news_counts(con)
        tables = {
            key: asset_table_metadata(con, key)
            for key in (NEWS_ITEMS, NEWS_ITEM_TAGS, NEWS_FETCHES)
        }
    ok = sorted({o.feed_name for o in outcomes if o.status in ("ok", "warning", "not_modified")})
    failed = {o.feed_name: o.error or o.status for o in outcomes if o.status == "failed"}
    yield dg.MaterializeResult(
        asset_key=NEWS_ITEMS,
        metadata={
            **tables[NEWS_ITEMS],
            "dagster/row_count": int(counts.items),
            "items_tagged": int(counts.items_tagged),
            "last_published_at": str(counts.last_published),
            "mode": source.mode.value,
            "archive": str(source.archive),
            "feeds_ok": dg.MetadataValue.json(ok),
            "feeds_failed": dg.MetadataValue.json(failed),
            "new_items": sum(o.new_items for o in outcomes),
            "updated_items": sum(o.updated_items for o in outcomes),
        },
    )
    yield dg.MaterializeResult(
        asset_key=NEWS_ITEM_TAGS,
        metadata={**tables[NEWS_ITEM_TAGS], "dagster/row_count": int(counts.tag_rows)},
    )
    yield dg.MaterializeResult(
        asset_key=NEWS_FETCHES,
        metadata={
            **tables[NEWS_FETCHES],
            "dagster/row_count": int(counts.fetch_rows),
            "fetches_in_run": len(outcomes),
            "fetches_failed": sum(1 for o in outcomes if o.status == "failed"),
            "fetches": _fetch_table(outcomes),
            **replay_metadata,
        },
    )
