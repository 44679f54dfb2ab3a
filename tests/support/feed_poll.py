"""Poll a feed list once, in a process of its own, through the pipeline's own code: fetch
(assets/news/http.py), archive, parse, tag and load into a warehouse under HOME
(assets/news/ingest.py poll_feeds). The faults tier runs it as a child and reads the child's peak
memory from wait4() under the benchmark's launcher, so what a hostile feed costs is measured
apart from pytest itself.

    python -m tests.support.feed_poll FEEDS_CSV HOME [--total-timeout S] [--read-timeout S]

Prints one JSON line per feed: {"feed", "status", "new", "error", "seconds", "peak_rss_mb"}.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any

from assets.news.http import fetch_feed
from assets.news.ingest import poll_feed, read_news_config
from assets.settings import Settings
from warehouse.connection import warehouse_connection


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("feeds", type=Path)
    parser.add_argument("home", type=Path)
    parser.add_argument("--total-timeout", type=float, default=60.0)
    parser.add_argument("--read-timeout", type=float, default=15.0)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    config = read_news_config(settings.universe_path, settings.aliases_path, args.feeds)
    limits = {
        "connect_timeout": settings.feed_connect_timeout_seconds,
        "read_timeout": args.read_timeout,
        "total_timeout": args.total_timeout,
        "max_bytes": settings.feed_max_bytes,
    }

    def fetch(url: str, etag: str | None, last_modified: str | None, **kwargs: Any) -> Any:
        # How FeedClientResource.fetch calls fetch_feed in a run (assets/resources.py).
        return fetch_feed(url, etag=etag, last_modified=last_modified, **limits, **kwargs)
    log = logging.getLogger("feed_poll")
    archive = args.home / "archive"
    with warehouse_connection(args.home / "warehouse.duckdb") as con:
        for feed in config.feeds:
            started = time.monotonic()
            outcome = poll_feed(con, archive, feed, config.aliases, fetch, log)
            print(json.dumps({
                "feed": outcome.feed_name,
                "status": outcome.status,
                "new": outcome.new_items,
                "error": outcome.error,
                "seconds": round(time.monotonic() - started, 2),
                # Peak so far (KiB on Linux), so a breach of the bound names the feed behind it.
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
