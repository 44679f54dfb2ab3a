"""The outside world, drawn at the top of the lineage graph (nothing to materialize)."""

from __future__ import annotations

import dagster as dg

yahoo_finance = dg.AssetSpec(
    key=dg.AssetKey(["sources", "yahoo_finance"]),
    group_name="sources",
    description="Daily bars from Yahoo Finance, fetched with yfinance (live runs only).",
    kinds={"yfinance"},
)

rss_feeds = dg.AssetSpec(
    key=dg.AssetKey(["sources", "rss_feeds"]),
    group_name="sources",
    description="Public RSS and Atom news feeds listed in the feeds file (ADRPULSE_FEEDS).",
    kinds={"rss"},
)

SOURCE_SPECS = [yahoo_finance, rss_feeds]
