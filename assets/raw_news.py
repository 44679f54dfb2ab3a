"""Raw news: poll (or replay) RSS/Atom feeds, archive the bytes, parse, tag, load.

Thin Dagster wiring around assets/news (HTTP, parsing, tagging) and warehouse/ (archive, load).
Each feed is isolated: whatever one feed does, the others and the stored news are untouched.
The per-fetch outcomes of a run go into the materialization metadata of raw/news_fetches (the
`fetches` table), which is what `adrpulse fetch-news` prints.

No `from __future__ import annotations` here: Dagster reads the config and resource annotations
of the asset function at runtime.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from assets.metadata import asset_table_metadata
from assets.raw_source_config import RawSourceConfig
from assets.source_mode import SourceMode
from assets.sources import rss_feeds
from orchestration.resources import FeedClientResource, StateResource, WarehouseResource
from warehouse.archive import NewsFetchManifest, list_news_fetches, write_news_fetch
from warehouse.load import latest_feed_validators, load_news_fetch, truncate_raw

NEWS_ITEMS = dg.AssetKey(["raw", "news_items"])
NEWS_ITEM_TAGS = dg.AssetKey(["raw", "news_item_tags"])
NEWS_FETCHES = dg.AssetKey(["raw", "news_fetches"])


class RawNewsConfig(RawSourceConfig):
    """Run configuration, editable in the UI's launchpad."""


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


@dataclass(frozen=True)
class FeedOutcome:
    feed_name: str
    status: str  # ok | warning | not_modified | failed
    new_items: int
    updated_items: int
    error: str | None  # why it failed, or what was odd when it warned
    fetch_id: str = ""
    http_status: int | None = None


def _parse_and_tag(
    archive: Path, manifest: NewsFetchManifest, aliases: Any, feed_tickers: Sequence[str]
) -> tuple[str, str | None, list[Any], dict[str, Any]]:
    """(status, error or warning, items, tags by item key) of one archived fetch."""
    from assets.news.parse import parse_archived_fetch
    from assets.news.tagging import tag_item

    try:
        parsed = parse_archived_fetch(archive, manifest)
        tags = {
            it.item_key: tag_item(
                it.title,
                it.summary,
                aliases,
                feed_name=manifest.feed_name,
                feed_tickers=feed_tickers,
            )
            for it in parsed.items
        }
    except FileNotFoundError:
        raise  # an incomplete archive is not this feed's fault: say so and stop
    except Exception as exc:  # a parser or tagger bug must fail this feed only
        return "failed", f"could not parse or tag: {exc!r}", [], {}
    return parsed.status, parsed.message, parsed.items, tags


def ingest_news_fetch(
    con: Any,
    archive: Path,
    manifest: NewsFetchManifest,
    aliases: Any,
    feed_tickers: Sequence[str],
) -> FeedOutcome:
    """Parse, tag and load one archived fetch (the same path for live fetches and replays)."""
    status, message, items, tags = _parse_and_tag(archive, manifest, aliases, feed_tickers)
    stats = load_news_fetch(con, manifest, status=status, error=message, items=items, tags=tags)
    return FeedOutcome(
        manifest.feed_name,
        status,
        stats.new_items,
        stats.updated_items,
        message,
        manifest.fetch_id,
        manifest.http_status,
    )


def _validators(con: Any, archive: Path, feed_name: str, log: Any) -> tuple[str | None, str | None]:
    """The feed's ETag and Last-Modified; none when its last manifest cannot be read (an
    unconditional GET is always safe, it only costs a full download)."""
    try:
        return latest_feed_validators(con, archive, feed_name)
    except (OSError, ValueError) as exc:
        log.warning(
            f"{feed_name}: no conditional GET this time, its last manifest is unreadable: {exc}"
        )
        return None, None


def _poll_feed(
    con: Any, archive: Path, feed: Any, aliases: Any, client: FeedClientResource, log: Any
) -> FeedOutcome:
    """Fetch one feed, archive the bytes as received, then parse, tag and load them."""
    etag, last_modified = _validators(con, archive, feed.name, log)
    response = client.fetch(feed.url, etag, last_modified, feed_name=feed.name,
                            allow_private_network=feed.allow_private_network)
    manifest = write_news_fetch(
        archive,
        feed_name=feed.name,
        url=feed.url,
        fetched_at=response.fetched_at,
        http_status=response.http_status,
        body=response.body,
        content_type=response.content_type,
        etag=response.etag,
        last_modified=response.last_modified,
        error=response.error,
    )
    try:
        return ingest_news_fetch(con, archive, manifest, aliases, feed.tickers)
    except Exception as exc:  # e.g. a row the warehouse rejects: the fetch rolled back alone
        error = f"could not load: {exc!r}"
        log.error(f"{feed.name}: {error}")
        load_news_fetch(con, manifest, status="failed", error=error, items=[], tags={})
        return FeedOutcome(
            feed.name, "failed", 0, 0, error, manifest.fetch_id, manifest.http_status
        )


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
    config: RawNewsConfig,
    warehouse: WarehouseResource,
    state: StateResource,
    feeds: FeedClientResource,
):
    """Poll or replay news feeds into raw.news_items, raw.news_item_tags and raw.news_fetches."""
    from assets.news.feeds import read_feeds
    from assets.news.tagging import load_aliases
    from assets.universe import universe_tickers

    source = config.source(context, state.archive_dir)
    archive = source.archive
    try:
        # Checked against the universe, so a typo in a ticker fails loudly instead of tagging
        # news with a ticker nobody follows.
        known = universe_tickers(Path(state.universe_path))
        aliases = load_aliases(Path(state.aliases_path), known_tickers=known)
        feed_list = read_feeds(Path(state.feeds_path), known_tickers=known)
    except (OSError, ValueError) as exc:
        # A configuration error: retrying cannot help, fixing the file does.
        raise dg.Failure(
            description=f"{exc}; fix the file and run again", allow_retries=False
        ) from exc
    tickers_by_feed = {f.name: list(f.tickers) for f in feed_list}
    outcomes: list[FeedOutcome] = []
    with warehouse.connect() as con:
        if source.mode == SourceMode.live:
            for i, feed in enumerate(feed_list, start=1):
                outcome = _poll_feed(con, archive, feed, aliases, feeds, context.log)
                outcomes.append(outcome)
                context.log.info(f"[{i}/{len(feed_list)}] {_describe(outcome)}")
        else:
            if source.rebuild:
                truncate_raw(con, ["news_item_tags", "news_items", "news_fetches"])
            from warehouse.load import loaded_news_fetch_ids

            done = loaded_news_fetch_ids(con)
            pending = [m for m in list_news_fetches(archive) if m.fetch_id not in done]
            for i, manifest in enumerate(pending, start=1):
                outcome = ingest_news_fetch(
                    con, archive, manifest, aliases, tickers_by_feed.get(manifest.feed_name, [])
                )
                outcomes.append(outcome)
                context.log.info(f"[{i}/{len(pending)}] {_describe(outcome)}")
        items, tagged, tag_rows, fetch_rows, last_published = con.execute(
            """
            select (select count(*) from raw.news_items),
                   (select count(distinct item_key) from raw.news_item_tags),
                   (select count(*) from raw.news_item_tags),
                   (select count(*) from raw.news_fetches),
                   (select max(published_at) from raw.news_items)
            """
        ).fetchall()[0]
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
            "dagster/row_count": int(items),
            "items_tagged": int(tagged),
            "last_published_at": str(last_published),
            "mode": source.mode.value,
            "archive": str(archive),
            "feeds_ok": dg.MetadataValue.json(ok),
            "feeds_failed": dg.MetadataValue.json(failed),
            "new_items": sum(o.new_items for o in outcomes),
            "updated_items": sum(o.updated_items for o in outcomes),
        },
    )
    yield dg.MaterializeResult(
        asset_key=NEWS_ITEM_TAGS,
        metadata={**tables[NEWS_ITEM_TAGS], "dagster/row_count": int(tag_rows)},
    )
    yield dg.MaterializeResult(
        asset_key=NEWS_FETCHES,
        metadata={
            **tables[NEWS_FETCHES],
            "dagster/row_count": int(fetch_rows),
            "fetches_in_run": len(outcomes),
            "fetches_failed": sum(1 for o in outcomes if o.status == "failed"),
            "fetches": _fetch_table(outcomes),
        },
    )


def _describe(outcome: FeedOutcome) -> str:
    if outcome.status == "failed":
        return f"{outcome.feed_name}: FAILED ({outcome.error})"
    if outcome.status == "not_modified":
        return f"{outcome.feed_name}: not modified"
    text = f"{outcome.feed_name}: {outcome.new_items} new, {outcome.updated_items} updated"
    return text + (f" (warning: {outcome.error})" if outcome.status == "warning" else "")
