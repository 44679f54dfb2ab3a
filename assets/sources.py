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

reference_files = dg.AssetSpec(
    key=dg.AssetKey(["sources", "reference_files"]),
    group_name="sources",
    description=(
        "The reference files the settings name: universe (ADRPULSE_UNIVERSE), event catalog "
        "(ADRPULSE_EVENTS), feed list (ADRPULSE_FEEDS), alias table (ADRPULSE_ALIASES); the "
        "defaults are the CSVs in dbt_project/seeds/."
    ),
    kinds={"csv"},
)

SOURCE_SPECS = [yahoo_finance, rss_feeds, reference_files]
