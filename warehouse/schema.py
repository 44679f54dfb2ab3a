"""DDL of the raw tables: what the loaders write and dbt's sources read.

The raw schema is written by Python only (fetches, imports, archive replays); everything after it
belongs to dbt. Each table has a primary key so a load can upsert idempotently.
"""

from __future__ import annotations

import duckdb

RAW_SCHEMA = "raw"

RAW_TABLES_DDL: dict[str, str] = {
    "price_fetches": """
        create table if not exists raw.price_fetches (
            fetch_id          varchar primary key,   -- time-sortable id of one fetch or import
            source            varchar not null,      -- yfinance | import | sample
            fetched_at        timestamptz not null,
            archive_path      varchar not null,      -- manifest path, relative to the archive root
            requested_tickers varchar[],
            start_date        date,
            end_date          date,
            row_count         integer not null,
            failed_tickers    varchar[],
            synthetic         boolean not null default false
        )""",
    "daily_bars": """
        create table if not exists raw.daily_bars (
            ticker            varchar not null,
            session_date      date not null,         -- the bar's date in America/New_York
            open              double,
            high              double,
            low               double,
            close             double,                -- raw close as traded
            adj_close         double,                -- split- and dividend-adjusted close
            volume            bigint,
            dividends         double,
            stock_splits      double,
            adj_close_source  varchar not null,      -- provider | close (no adjusted close given)
            fetch_id          varchar not null,      -- the fetch this row came from last
            primary key (ticker, session_date)
        )""",
    "news_fetches": """
        create table if not exists raw.news_fetches (
            fetch_id          varchar primary key,
            feed_name         varchar not null,
            url               varchar not null,
            fetched_at        timestamptz not null,
            status            varchar not null,      -- ok | warning | not_modified | failed
            http_status       integer,
            error             varchar,               -- why a feed failed or warned
            entries           integer,
            new_items         integer,
            updated_items     integer,
            archive_path      varchar                -- manifest path, relative to the archive root
        )""",
    "news_items": """
        create table if not exists raw.news_items (
            item_key              varchar primary key, -- guid, else canonical link, else hash
            feed_name             varchar not null,    -- feed that first delivered the item
            guid                  varchar,
            link                  varchar,
            title                 varchar not null,
            summary               varchar,
            published_at          timestamptz,         -- UTC instant
            published_utc_offset  varchar,             -- the source's offset, e.g. +08:00
            published_is_fallback boolean not null,    -- no date in the feed: fetch time used
            first_seen_at         timestamptz not null,
            last_seen_at          timestamptz not null,
            first_fetch_id        varchar not null,
            last_fetch_id         varchar not null
        )""",
    "news_item_tags": """
        create table if not exists raw.news_item_tags (
            item_key          varchar not null,
            tag               varchar not null,      -- a ticker (BABA) or a theme (deepseek)
            tag_type          varchar not null,      -- ticker | theme
            matched_alias     varchar not null,
            confidence        double not null,       -- 0..1
            primary key (item_key, tag)
        )""",
}


def create_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and tables if missing (idempotent)."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for ddl in RAW_TABLES_DDL.values():
        con.execute(ddl)
