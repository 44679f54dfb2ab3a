"""DDL of the raw tables: what the loaders write and dbt's sources read.

The raw schema is written by Python only (fetches, imports, archive replays); everything after it
belongs to dbt. The small fetch and item tables have primary keys so a load can upsert
idempotently; the reference tables are replaced whole (see below).

raw.daily_bars, the one large table, has none: DuckDB keeps a primary key as an ART index, and
updating that index made loading the archive several times slower than reading its files
(docs/BENCHMARKS.md, "The load"). Its key (ticker, session_date) is kept by warehouse.load
instead: a file that repeats a key is rejected, and the stored rows a fetch replaces are deleted
in the same transaction as its insert. The `bars_unique` price check verifies it.
"""

from __future__ import annotations

from collections.abc import Sequence

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
            fetch_id          varchar not null       -- the fetch this row came from last
            -- key (ticker, session_date): kept by warehouse.load, see the module docstring
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
    # Derived from raw.news_items by Python (assets/news/sentiment.py), not from the archive: one
    # score per item from the one model in use (switching models replaces the rows). text_hash is
    # what was scored, so a changed headline or another model version is scored again; items no
    # longer stored lose their score.
    "news_sentiment": """
        create table if not exists raw.news_sentiment (
            item_key          varchar not null,
            model             varchar not null,      -- scorer name, e.g. vader
            model_version     varchar not null,      -- its package and version
            text_hash         varchar not null,      -- hash of the headline scored
            score             double not null,       -- -1..1
            label             varchar not null,      -- positive | negative | neutral
            scored_at         timestamptz not null,
            primary key (item_key, model)
        )""",
    # Per-ticker quote endpoints (assets/analysts/), one archived fetch per run and endpoint.
    "analyst_fetches": """
        create table if not exists raw.analyst_fetches (
            fetch_id          varchar primary key,
            source            varchar not null,      -- yfinance | sample
            fetched_at        timestamptz not null,
            archive_path      varchar not null,      -- manifest path, relative to the archive root
            session_date      date,                  -- the XNYS session of the run
            requested_tickers varchar[],
            failed_tickers    varchar[],             -- asked for, got no answer after retries
            row_count         integer not null,
            synthetic         boolean not null default false
        )""",
    # yfinance's Ticker.upgrades_downgrades: Yahoo sends a ticker's whole history every time, so
    # each fetch upserts on the natural key; a later fetch's row for the same key wins.
    "analyst_actions": """
        create table if not exists raw.analyst_actions (
            ticker               varchar not null,
            graded_at            timestamptz not null, -- GradeDate (Yahoo's epochGradeDate)
            firm                 varchar not null,
            to_grade             varchar,
            from_grade           varchar,
            action               varchar,           -- up | down | main | init | reit
            price_target_action  varchar,           -- Raises | Lowers | Maintains | Announces ...
            current_price_target double,            -- as sent: 0 means no target
            prior_price_target   double,            -- as sent: 0 means no target
            fetch_id             varchar not null,  -- the fetch this row came from last
            primary key (ticker, graded_at, firm)
        )""",
    "valuation_fetches": """
        create table if not exists raw.valuation_fetches (
            fetch_id          varchar primary key,
            source            varchar not null,      -- yfinance | sample
            fetched_at        timestamptz not null,
            archive_path      varchar not null,      -- manifest path, relative to the archive root
            session_date      date,                  -- the XNYS session of the run
            requested_tickers varchar[],
            failed_tickers    varchar[],             -- asked for, got no answer after retries
            row_count         integer not null,
            synthetic         boolean not null default false
        )""",
    # yfinance's Ticker.info, its valuation fields only, one row per ticker and session (a later
    # snapshot of the same session replaces it). A field that is missing or makes no sense is
    # NULL, and `invalid_fields` says which and why (warehouse/snapshots.py).
    "valuation_snapshots": """
        create table if not exists raw.valuation_snapshots (
            ticker               varchar not null,
            session_date         date not null,
            fetched_at           timestamptz not null,
            market_cap           double,            -- marketCap, in the quote currency
            trailing_pe          double,            -- trailingPE
            forward_pe           double,            -- forwardPE
            price_to_sales       double,            -- priceToSalesTrailing12Months
            price_to_book        double,            -- priceToBook
            ev_to_ebitda         double,            -- enterpriseToEbitda
            dividend_yield       double,            -- dividendYield, as Yahoo reports it (percent)
            target_mean_price    double,            -- targetMeanPrice
            recommendation_mean  double,            -- recommendationMean, 1 strong buy..5 sell
            analyst_count        integer,           -- numberOfAnalystOpinions
            currency             varchar,
            invalid_fields       varchar[] not null, -- '<yahoo key>: <why it is NULL>'
            fetch_id             varchar not null,
            primary key (ticker, session_date)
        )""",
    # Daily factor files the user imports (adrpulse import-factors; assets/factors/), one row per
    # import, archived as given under archive/factors/.
    "factor_imports": """
        create table if not exists raw.factor_imports (
            fetch_id      varchar primary key,
            imported_at   timestamptz not null,
            archive_path  varchar not null,      -- manifest path, relative to the archive root
            model         varchar not null,      -- ff3 | ff5
            row_count     integer not null,
            first_date    date not null,
            last_date     date not null
        )""",
    # One row per date: the factors as fractions (the file's percent / 100). A later import
    # replaces the dates it holds; rmw and cma are NULL for dates only a 3-factor file gave.
    "daily_factors": """
        create table if not exists raw.daily_factors (
            factor_date  date primary key,
            mkt_rf       double not null,   -- market excess return, Mkt-RF
            smb          double not null,   -- small minus big
            hml          double not null,   -- high minus low book-to-market
            rmw          double,            -- robust minus weak profitability (5-factor files)
            cma          double,            -- conservative minus aggressive investment (5-factor)
            rf           double not null,   -- the daily risk-free rate
            fetch_id     varchar not null   -- the import this date came from last
        )""",
    # The reference files the user points to (ADRPULSE_UNIVERSE, ADRPULSE_EVENTS, ADRPULSE_FEEDS,
    # ADRPULSE_ALIASES), validated and loaded whole by the raw/reference assets
    # (assets/reference.py) in every run that builds the marts, so the marts use the files the
    # settings name. Replaced whole in one transaction, so no primary key: the reader rejects a
    # repeated key with its file and line, and the dbt models test the keys again.
    "universe": """
        create table if not exists raw.universe (
            ticker            varchar not null,      -- Yahoo Finance symbol, upper case
            name              varchar,
            group_name        varchar not null,      -- blank in the file: 'unclassified'
            exchange          varchar,
            currency          varchar not null       -- blank in the file: 'USD'
        )""",
    "event_catalog": """
        create table if not exists raw.event_catalog (
            event_id           varchar not null,
            title              varchar not null,
            announced_at       timestamptz,          -- null when only the date is known
            announced_date     date not null,        -- local date of the announcement
            announced_timezone varchar,
            scope              varchar not null,     -- space-separated tickers and groups
            source             varchar,
            approximate        boolean not null
        )""",
    "news_feeds": """
        create table if not exists raw.news_feeds (
            name                  varchar not null,
            url                   varchar not null,
            tickers               varchar,           -- space-separated; null for market feeds
            allow_private_network boolean not null
        )""",
    "news_aliases": """
        create table if not exists raw.news_aliases (
            alias             varchar not null,
            tag               varchar not null,      -- a ticker (BABA) or a theme (deepseek)
            tag_type          varchar not null,      -- ticker | theme
            confidence        double not null,       -- (0, 1]
            case_sensitive    boolean not null,
            guard             varchar                -- '|'-separated veto phrases, or null
        )""",
}

# The raw tables filled from the reference files, in the order they are loaded.
REFERENCE_TABLES = ("universe", "event_catalog", "news_feeds", "news_aliases")


# The pipeline's own bookkeeping next to the raw data it describes; not a dbt source.
STATE_TABLES_DDL: dict[str, str] = {
    # The price checks' watermark (assets/price_checks.py): one row per run that passed them.
    "price_checks_passed": """
        create table if not exists raw.price_checks_passed (
            checked_through_fetch_id varchar not null, -- every bar up to this fetch passed
            checked_at               timestamptz not null
        )""",
    # Every alert any build raised (fct_alerts holds the latest session's only), and what was
    # delivered to the webhook: the history `adrpulse alerts` prints, published beside the marts,
    # and the record that keeps a rerun from sending an alert twice (assets/alerts/deliver.py).
    "alert_log": """
        create table if not exists raw.alert_log (
            alert_id          varchar primary key,   -- <ticker>_<yyyymmdd>
            ticker            varchar not null,
            session_date      date not null,
            group_name        varchar,
            abnormal_return   double,
            standardized_abnormal_return double,
            sar_threshold     double,
            headline_count    integer not null,
            headlines_json    varchar not null,      -- JSON list: headline, url, day, sentiment
            first_raised_at   timestamptz not null,
            last_raised_at    timestamptz not null,
            delivery_status   varchar not null,      -- not_configured | sent | failed
            delivery_attempts integer not null,      -- POSTs tried, over all runs
            delivered_at      timestamptz,           -- when the webhook accepted it
            delivery_http_status integer,
            delivery_error    varchar,               -- the last failure, if any
            delivered_payload varchar                -- the JSON body the webhook accepted
        )""",
    # One row per run that re-checked the stored data (the build gate, assets/build_gate.py)
    # and/or built the dbt models: whether the marts were built past failed blocking checks.
    # The publish step copies the latest built row into the published catalog.
    "marts_builds": """
        create table if not exists raw.marts_builds (
            run_id           varchar not null,       -- the Dagster run
            gate_checked_at  timestamptz,            -- when the gate ran (null: no gate in the run)
            forced           boolean not null,       -- built past failed blocking checks (--force)
            failed_checks    varchar[],              -- 'asset:check' of each failed blocking check
            built_at         timestamptz             -- when dbt built the models (null: not built)
        )""",
}


# A rebuild replays the archive into these tables first and swaps them in only when every file
# loaded (warehouse/load.py swap_in_rebuilt), so a bad file never leaves the raw tables half full.
REBUILD_SCHEMA = "raw_rebuild"
PRICE_TABLES: tuple[str, ...] = ("daily_bars", "price_fetches")
NEWS_TABLES: tuple[str, ...] = ("news_item_tags", "news_items", "news_fetches")
ANALYST_TABLES: tuple[str, ...] = ("analyst_actions", "analyst_fetches")
VALUATION_TABLES: tuple[str, ...] = ("valuation_snapshots", "valuation_fetches")
FACTOR_TABLES: tuple[str, ...] = ("daily_factors", "factor_imports")
# The raw tables of each snapshot kind of the archive (warehouse/archive.py SNAPSHOT_KINDS).
SNAPSHOT_TABLES: dict[str, tuple[str, ...]] = {
    "analyst": ANALYST_TABLES,
    "valuation": VALUATION_TABLES,
}


def raw_table_ddl(table: str, schema: str = RAW_SCHEMA) -> str:
    """The DDL of a raw table, in `schema` (the raw schema, or the rebuild's staging schema)."""
    prefix = f"create table if not exists {RAW_SCHEMA}."
    ddl = RAW_TABLES_DDL[table]
    if prefix not in ddl:  # a DDL edited out of shape would create the table in the wrong schema
        raise ValueError(f"the DDL of raw.{table} does not start with {prefix!r}")
    return ddl.replace(prefix, f"create table if not exists {schema}.", 1)


def create_staging_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
    """Fresh, empty copies of the raw `tables` in the rebuild schema (a leftover of an interrupted
    rebuild is dropped first)."""
    con.execute(f"create schema if not exists {REBUILD_SCHEMA}")
    for table in tables:
        con.execute(f"drop table if exists {REBUILD_SCHEMA}.{table}")
        con.execute(raw_table_ddl(table, REBUILD_SCHEMA))


def drop_staging_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
    for table in tables:
        con.execute(f"drop table if exists {REBUILD_SCHEMA}.{table}")


def create_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and tables if missing (idempotent)."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for ddl in (*RAW_TABLES_DDL.values(), *STATE_TABLES_DDL.values()):
        con.execute(ddl)
    _drop_daily_bars_primary_key(con)


def _drop_daily_bars_primary_key(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses created before the key moved to the loader have it as a primary key: copy the
    rows into a table without it, in one transaction, so a failure leaves the old table as it was.
    DuckDB cannot drop a primary key in place."""
    keyed = con.execute(
        "select count(*) from duckdb_constraints() where schema_name = 'raw' "
        "and table_name = 'daily_bars' and constraint_type = 'PRIMARY KEY'"
    ).fetchall()[0][0]
    if not keyed:
        return
    con.execute("begin transaction")
    try:
        con.execute("alter table raw.daily_bars rename to daily_bars_keyed")
        con.execute(RAW_TABLES_DDL["daily_bars"])
        con.execute(
            "insert into raw.daily_bars select * from raw.daily_bars_keyed "
            "order by session_date, ticker"
        )
        con.execute("drop table raw.daily_bars_keyed")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
