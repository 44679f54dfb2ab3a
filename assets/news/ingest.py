"""News ingest, live or replayed: the algorithm behind the raw news asset, without Dagster.

Each feed is isolated: whatever one feed does, the others and the stored news are untouched.
A live poll archives the bytes as received, then parses, tags and loads them from the archive; a
replay loads archived fetches not loaded yet, by the same path. A rebuild replays into staging
tables swapped in only when every body loaded; a body that does not match its manifest (or a
manifest that cannot be read) raises ArchiveReplayError naming it: an archive fault, not a feed's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assets.news.feeds import Feed
from assets.news.parse import parse_archived_fetch
from assets.news.scope import aliases_for_universe, feeds_for_universe
from assets.news.tagging import tag_item
from assets.universe import universe_tickers
from warehouse.archive import (
    ArchiveFileError,
    ArchiveReplayError,
    NewsFetchManifest,
    ReplayPlan,
    plan_replay,
    write_news_fetch,
)
from warehouse.load import (
    ProgressLog,
    latest_feed_validators,
    load_news_fetch,
    loaded_news_fetch_ids,
    rebuild_from_plan,
)
from warehouse.progress import ItemProgress
from warehouse.schema import (
    NEWS_TABLES,
    RAW_SCHEMA,
    REBUILD_SCHEMA,
)

log = logging.getLogger(__name__)

# fetch(url, etag, last_modified, *, feed_name, allow_private_network) -> FeedResponse
# (assets/news/http.py); FeedClientResource.fetch in a run.
FetchFeed = Callable[..., Any]


class NewsConfigError(ValueError):
    """The universe, alias or feed file cannot be used; retrying cannot help, fixing it does."""


@dataclass(frozen=True)
class NewsConfig:
    aliases: Any
    feeds: list[Feed]

    @property
    def tickers_by_feed(self) -> dict[str, list[str]]:
        return {f.name: list(f.tickers) for f in self.feeds}


def read_news_config(
    universe_path: Path, aliases_path: Path, feeds_path: Path, logger: logging.Logger = log
) -> NewsConfig:
    """The aliases and feeds, checked against the universe, so a typo in a ticker fails loudly
    instead of tagging news with a ticker nobody follows (the bundled files are cut to the
    universe instead: assets/news/scope.py)."""
    try:
        known = universe_tickers(universe_path)
        aliases = aliases_for_universe(aliases_path, known, logger)
        feeds = feeds_for_universe(feeds_path, known, logger)
    except (OSError, ValueError) as exc:
        raise NewsConfigError(f"{exc}; fix the file and run again") from exc
    return NewsConfig(aliases, feeds)


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
    except ArchiveFileError:
        raise  # a missing or altered archive file is not this feed's fault: say so and stop
    except Exception as exc:  # a parser or tagger bug must fail this feed only
        return "failed", f"could not parse or tag: {exc!r}", [], {}
    return parsed.status, parsed.message, parsed.items, tags


def ingest_news_fetch(
    con: Any,
    archive: Path,
    manifest: NewsFetchManifest,
    aliases: Any,
    feed_tickers: Sequence[str],
    schema: str = RAW_SCHEMA,
) -> FeedOutcome:
    """Parse, tag and load one archived fetch (the same path for live fetches and replays)."""
    status, message, items, tags = _parse_and_tag(archive, manifest, aliases, feed_tickers)
    stats = load_news_fetch(
        con, manifest, status=status, error=message, items=items, tags=tags, schema=schema
    )
    return FeedOutcome(
        manifest.feed_name,
        status,
        stats.new_items,
        stats.updated_items,
        message,
        manifest.fetch_id,
        manifest.http_status,
    )


def _validators(
    con: Any, archive: Path, feed_name: str, log: ProgressLog
) -> tuple[str | None, str | None]:
    """The feed's ETag and Last-Modified; none when its last manifest cannot be read (an
    unconditional GET is always safe, it only costs a full download)."""
    try:
        return latest_feed_validators(con, archive, feed_name)
    except (OSError, ValueError) as exc:
        log.warning(
            f"{feed_name}: no conditional GET this time, its last manifest is unreadable: {exc}"
        )
        return None, None


def poll_feed(
    con: Any, archive: Path, feed: Feed, aliases: Any, fetch: FetchFeed, log: ProgressLog
) -> FeedOutcome:
    """Fetch one feed, archive the bytes as received, then parse, tag and load them."""
    etag, last_modified = _validators(con, archive, feed.name, log)
    response = fetch(
        feed.url,
        etag,
        last_modified,
        feed_name=feed.name,
        allow_private_network=feed.allow_private_network,
    )
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


def describe(outcome: FeedOutcome) -> str:
    if outcome.status == "failed":
        return f"{outcome.feed_name}: FAILED ({outcome.error})"
    if outcome.status == "not_modified":
        return f"{outcome.feed_name}: not modified"
    text = f"{outcome.feed_name}: {outcome.new_items} new, {outcome.updated_items} updated"
    return text + (f" (warning: {outcome.error})" if outcome.status == "warning" else "")


def is_notable(outcome: FeedOutcome) -> bool:
    """A fetch whose progress line is always shown: it failed or warned."""
    return outcome.status in ("failed", "warning")


def poll_feeds(
    con: Any, archive: Path, config: NewsConfig, fetch: FetchFeed, log: ProgressLog
) -> list[FeedOutcome]:
    """Poll every feed once, one line of progress each."""
    outcomes = []
    for i, feed in enumerate(config.feeds, start=1):
        outcome = poll_feed(con, archive, feed, config.aliases, fetch, log)
        outcomes.append(outcome)
        log.info(f"[{i}/{len(config.feeds)}] {describe(outcome)}")
    return outcomes


@dataclass
class NewsReplay:
    """What a replay did: one outcome per fetch it loaded, the bad files it skipped (only with
    skip_bad), the retracted fetches it left out."""

    outcomes: list[FeedOutcome] = field(default_factory=list)
    skipped: list[ArchiveFileError] = field(default_factory=list)
    retracted: list[str] = field(default_factory=list)


def replay_news(
    con: Any,
    archive: Path,
    config: NewsConfig,
    rebuild: bool,
    log: ProgressLog,
    skip_bad: bool = False,
) -> NewsReplay:
    """Load the archived fetches not loaded yet; with `rebuild`, replay all of them into fresh
    tables that replace the raw news tables only when every file loaded (with `skip_bad`: when
    the good ones did, the bad ones listed in the outcome). Retracted fetches are left out."""
    plan = plan_replay(archive, "news")
    if plan.retracted:
        log.info(f"{len(plan.retracted)} retracted fetch(es) left out: {', '.join(plan.retracted)}")
    if rebuild:
        return _rebuild_news(con, archive, config, plan, log, skip_bad)
    done = loaded_news_fetch_ids(con)
    pending = [item for item in plan.in_order() if item.fetch_id not in done]
    outcome = NewsReplay(retracted=plan.retracted)
    progress = ItemProgress(log.info, len(pending))
    for i, item in enumerate(pending, start=1):
        try:
            if isinstance(item, ArchiveFileError):
                raise item
            feed = _ingest(con, archive, config, item, RAW_SCHEMA)
        except ArchiveFileError as exc:
            # Fetch order matters for news too (a later fetch updates an item's title): stop.
            after = len(pending) - i
            raise ArchiveReplayError(
                [exc], f"the {i - 1} fetches before it are loaded, the {after} after it are not"
            ) from exc
        outcome.outcomes.append(feed)
        progress.item(i, describe(feed), notable=is_notable(feed))
    return outcome


def _ingest(
    con: Any, archive: Path, config: NewsConfig, manifest: NewsFetchManifest, schema: str
) -> FeedOutcome:
    tickers = config.tickers_by_feed.get(manifest.feed_name, [])
    return ingest_news_fetch(con, archive, manifest, config.aliases, tickers, schema=schema)


def _rebuild_news(
    con: Any, archive: Path, config: NewsConfig, plan: ReplayPlan, log: ProgressLog, skip_bad: bool
) -> NewsReplay:
    outcome = NewsReplay(retracted=plan.retracted)
    outcome.outcomes, outcome.skipped = rebuild_from_plan(
        con, plan, NEWS_TABLES,
        lambda item: _ingest(con, archive, config, item, REBUILD_SCHEMA),
        describe, log, skip_bad=skip_bad, what="news", notable=is_notable,
    )
    return outcome


@dataclass(frozen=True)
class NewsCounts:
    items: int
    items_tagged: int
    tag_rows: int
    fetch_rows: int
    last_published: Any


def news_counts(con: Any) -> NewsCounts:
    row = con.execute(
        """
        select (select count(*) from raw.news_items),
               (select count(distinct item_key) from raw.news_item_tags),
               (select count(*) from raw.news_item_tags),
               (select count(*) from raw.news_fetches),
               (select max(published_at) from raw.news_items)
        """
    ).fetchall()[0]
    return NewsCounts(*row)
