"""Loading archived fetches into the raw tables: idempotent, one transaction per fetch.

A fetch is loaded once: its id is recorded with its rows in the same transaction, so loading the
same archive twice leaves the tables identical, and a failure half-way through a file leaves the
stored data exactly as it was. Every file is checked against its manifest before a row of it is
stored: size and SHA-256 (warehouse/archive.py), then its row count once read.

A rebuild loads into staging tables (schema `raw_rebuild`, the same DDL) and `swap_in_rebuilt`
replaces the raw tables with them in one transaction, only once every file loaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb
import pandas as pd

from warehouse.archive import (
    PRICE_COLUMNS,
    ArchiveFileError,
    ArchiveReplayError,
    NewsFetchManifest,
    PriceFetchManifest,
    ReplayPlan,
    check_price_data,
)
from warehouse.progress import ItemProgress
from warehouse.schema import (
    RAW_SCHEMA,
    REBUILD_SCHEMA,
    create_staging_tables,
    drop_staging_tables,
)

__all__ = [
    "ArchiveFileError",
    "PriceLoadStats",
    "NewsLoadStats",
    "load_price_fetch",
    "load_price_fetches",
    "load_news_fetch",
    "stage_price_fetch",
    "swap_in_rebuilt",
]

PRICE_COLUMN_TYPES: dict[str, str] = {
    "ticker": "VARCHAR",
    "session_date": "DATE",
    "open": "DOUBLE",
    "high": "DOUBLE",
    "low": "DOUBLE",
    "close": "DOUBLE",
    "adj_close": "DOUBLE",
    "volume": "BIGINT",
    "dividends": "DOUBLE",
    "stock_splits": "DOUBLE",
    "adj_close_source": "VARCHAR",
}


@dataclass(frozen=True)
class PriceLoadStats:
    fetch_id: str
    rows: int
    tickers: int
    skipped: bool  # already loaded earlier


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> object:
    return con.execute(sql, list(params)).fetchall()[0][0]


def _schema(schema: str) -> str:
    # Table names cannot be bound parameters: only the two known schemas are ever spliced in.
    if schema not in (RAW_SCHEMA, REBUILD_SCHEMA):
        raise ValueError(f"unknown raw schema {schema!r}")
    return schema


def loaded_price_fetch_ids(con: duckdb.DuckDBPyConnection, schema: str = RAW_SCHEMA) -> set[str]:
    sql = f"select fetch_id from {_schema(schema)}.price_fetches"
    return {row[0] for row in con.execute(sql).fetchall()}


def stage_price_fetch(
    con: duckdb.DuckDBPyConnection, archive_root: Path, manifest: PriceFetchManifest
) -> int:
    """Check an archived price fetch against its manifest and stage it as the temp table
    `staged_bars`; return its row count. Raises ArchiveFileError naming the file."""
    path = check_price_data(archive_root, manifest)
    _read_price_file(con, path, manifest.format, manifest.fetch_id)
    rows = int(_scalar(con, "select count(*) from staged_bars"))
    if rows != manifest.rows:
        con.execute("drop table if exists staged_bars")
        raise ArchiveFileError(
            path,
            f"has {rows:,} rows, its manifest {manifest.manifest_file} says {manifest.rows:,}: "
            "the file was truncated or changed after it was archived",
            fetch_id=manifest.fetch_id,
            kind="prices",
        )
    return rows


def _read_price_file(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, fetch_id: str
) -> None:
    """Stage an archived price file as the temp table `staged_bars`, typed and checked."""

    def bad(problem: str) -> ArchiveFileError:
        return ArchiveFileError(path, problem, fetch_id=fetch_id, kind="prices")

    con.execute("drop table if exists staged_bars")
    cols = ", ".join(f"{name}::{typ} as {name}" for name, typ in PRICE_COLUMN_TYPES.items())
    if fmt == "csv":
        types = ", ".join(f"'{name}': '{typ}'" for name, typ in PRICE_COLUMN_TYPES.items())
        source = f"read_csv(?, header = true, columns = {{{types}}})"
    elif fmt == "parquet":
        source = "read_parquet(?)"
    else:
        raise bad(f"unknown archive format {fmt!r}")
    try:
        con.execute(
            f"create temp table staged_bars as select {cols} from {source}", [str(path)]
        ).fetchall()
    except duckdb.Error as exc:
        raise bad(f"cannot be read as {fmt}: {exc}") from exc
    dupes = con.execute(
        "select ticker, session_date, count(*) from staged_bars "
        "group by all having count(*) > 1 order by 1, 2 limit 5"
    ).fetchall()
    if dupes:
        raise bad(f"repeats (ticker, session_date): {dupes}")
    nulls = _scalar(
        con, "select count(*) from staged_bars where ticker is null or session_date is null"
    )
    if nulls:
        raise bad(f"has {nulls} rows without ticker or date")


def load_price_fetch(
    con: duckdb.DuckDBPyConnection,
    archive_root: Path,
    manifest: PriceFetchManifest,
    schema: str = RAW_SCHEMA,
) -> PriceLoadStats:
    """Load one archived price fetch into `schema`'s tables, unless it was loaded before."""
    s = _schema(schema)
    already = _scalar(
        con, f"select count(*) from {s}.price_fetches where fetch_id = ?", [manifest.fetch_id]
    )
    if already:
        return PriceLoadStats(manifest.fetch_id, 0, 0, skipped=True)
    stage_price_fetch(con, archive_root, manifest)
    columns = ", ".join(PRICE_COLUMNS)
    con.execute("begin transaction")
    try:
        if manifest.replaces_history_of:
            con.execute(
                f"delete from {s}.daily_bars where list_contains(?, ticker)",
                [list(manifest.replaces_history_of)],
            )
        # raw.daily_bars has no primary key (warehouse/schema.py says why): the rows this fetch
        # replaces are deleted first, so each (ticker, session_date) stays stored once.
        con.execute(
            f"delete from {s}.daily_bars as stored using staged_bars as staged "
            "where stored.ticker = staged.ticker and stored.session_date = staged.session_date"
        )
        con.execute(
            f"insert into {s}.daily_bars ({columns}, fetch_id) "
            f"select {columns}, ? from staged_bars",
            [manifest.fetch_id],
        )
        con.execute(
            f"insert into {s}.price_fetches values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                manifest.fetch_id,
                manifest.source,
                manifest.fetched_at_dt,
                manifest.manifest_file,
                manifest.tickers,
                manifest.start,
                manifest.end,
                manifest.rows,
                manifest.failed_tickers,
                manifest.synthetic,
            ],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    rows, tickers = con.execute(
        "select count(*), count(distinct ticker) from staged_bars"
    ).fetchall()[0]
    con.execute("drop table if exists staged_bars")
    return PriceLoadStats(manifest.fetch_id, int(rows), int(tickers), skipped=False)


def load_price_fetches(
    con: duckdb.DuckDBPyConnection, archive_root: Path, manifests: Iterable[PriceFetchManifest]
) -> list[PriceLoadStats]:
    return [load_price_fetch(con, archive_root, m) for m in manifests]


def swap_in_rebuilt(
    con: duckdb.DuckDBPyConnection, tables: Sequence[str], clear: Sequence[str] = ()
) -> None:
    """Replace the raw `tables` with their rebuilt copies in the staging schema, and empty the
    raw `clear` tables, in one transaction: readers of the warehouse see the old tables or the
    new ones, never a mix. The staging tables are dropped afterwards."""
    con.execute("begin transaction")
    try:
        for table in (*tables, *clear):
            con.execute(f"delete from {RAW_SCHEMA}.{table}")
        for table in tables:
            con.execute(
                f"insert into {RAW_SCHEMA}.{table} select * from {REBUILD_SCHEMA}.{table}"
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    drop_staging_tables(con, tables)


Loaded = TypeVar("Loaded")


class ProgressLog(Protocol):
    """The log every load, replay and live fetch writes to: a logging.Logger, a Dagster run's
    context.log, or the CLI's console logger all have these three methods. Declared once here,
    the lowest layer that logs, so the domain modules above share it."""

    def info(self, msg: str) -> Any: ...

    def warning(self, msg: str) -> Any: ...

    def error(self, msg: str) -> Any: ...


def rebuild_from_plan(
    con: duckdb.DuckDBPyConnection,
    plan: ReplayPlan,
    tables: Sequence[str],
    load_into_staging: Callable[[Any], Loaded],
    describe: Callable[[Loaded], str],
    log: ProgressLog,
    *,
    skip_bad: bool,
    what: str,
    clear: Sequence[str] = (),
    notable: Callable[[Loaded], bool] | None = None,
) -> tuple[list[Loaded], list[ArchiveFileError]]:
    """Rebuild raw `tables` from every fetch of `plan`, all or nothing: each fetch is loaded into
    the staging schema by `load_into_staging(manifest)` (lines of progress, "[i/n]": ItemProgress;
every fetch `notable` says so of gets its line),
    and the staging copies replace the raw tables in one transaction (swap_in_rebuilt, which also
    empties `clear`). A fetch the archive cannot give back (ArchiveFileError) is named as BAD;
    unless `skip_bad`, any such fetch raises ArchiveReplayError and the raw `what` tables are
    left as they were. Returns what each load returned, and the bad fetches skipped. Prices, news
    and the analyst and valuation snapshots all rebuild through this one loop."""
    create_staging_tables(con, tables)
    loaded: list[Loaded] = []
    bad: list[ArchiveFileError] = []
    items = plan.in_order()
    progress = ItemProgress(log.info, len(items))
    try:
        for i, item in enumerate(items, start=1):
            try:
                if isinstance(item, ArchiveFileError):
                    raise item
                result = load_into_staging(item)
            except ArchiveFileError as exc:
                bad.append(exc)
                log.warning(f"[{i}/{len(items)}] BAD {exc}")
                continue
            loaded.append(result)
            progress.item(i, describe(result), notable=bool(notable and notable(result)))
        if bad and not skip_bad:
            raise ArchiveReplayError(bad, f"the raw {what} tables were left as they were")
        swap_in_rebuilt(con, tables, clear=clear)
    finally:
        drop_staging_tables(con, tables)
    return loaded, bad


# --- news -----------------------------------------------------------------------------------


class NewsItemLike(Protocol):
    item_key: str
    guid: str | None
    link: str | None
    title: str
    summary: str | None
    published_at: object
    published_utc_offset: str | None
    published_is_fallback: bool


class TagLike(Protocol):
    tag: str
    tag_type: str
    matched_alias: str
    confidence: float


@dataclass(frozen=True)
class NewsLoadStats:
    fetch_id: str
    new_items: int
    updated_items: int
    skipped: bool


def loaded_news_fetch_ids(con: duckdb.DuckDBPyConnection, schema: str = RAW_SCHEMA) -> set[str]:
    sql = f"select fetch_id from {_schema(schema)}.news_fetches"
    return {row[0] for row in con.execute(sql).fetchall()}


def load_news_fetch(
    con: duckdb.DuckDBPyConnection,
    manifest: NewsFetchManifest,
    *,
    status: str,
    error: str | None,
    items: Sequence[NewsItemLike],
    tags: dict[str, Sequence[TagLike]],
    schema: str = RAW_SCHEMA,
) -> NewsLoadStats:
    """Record one feed fetch and upsert its items and tags in one transaction, into `schema`'s
    tables.

    An item seen before keeps its first-seen fields and gets the newer title, summary and date:
    a later fetch updates an item, it never duplicates it.
    """
    s = _schema(schema)
    already = _scalar(
        con, f"select count(*) from {s}.news_fetches where fetch_id = ?", [manifest.fetch_id]
    )
    if already:
        return NewsLoadStats(manifest.fetch_id, 0, 0, skipped=True)
    # Several entries of one document can share a key (a feed repeating an item): keep the last.
    by_key = {item.item_key: item for item in items}
    keys = list(by_key)
    existing: set[str] = set()
    if keys:
        existing = {
            r[0]
            for r in con.execute(
                f"select item_key from {s}.news_items where list_contains(?, item_key)", [keys]
            ).fetchall()
        }
    fetched_at = manifest.fetched_at_dt
    item_frame = pd.DataFrame(
        [
            {
                "item_key": it.item_key,
                "feed_name": manifest.feed_name,
                "guid": it.guid,
                "link": it.link,
                "title": it.title,
                "summary": it.summary,
                "published_at": it.published_at,
                "published_utc_offset": it.published_utc_offset,
                "published_is_fallback": bool(it.published_is_fallback),
                "first_seen_at": fetched_at,
                "last_seen_at": fetched_at,
                "first_fetch_id": manifest.fetch_id,
                "last_fetch_id": manifest.fetch_id,
            }
            for it in by_key.values()
        ],
        columns=[
            "item_key",
            "feed_name",
            "guid",
            "link",
            "title",
            "summary",
            "published_at",
            "published_utc_offset",
            "published_is_fallback",
            "first_seen_at",
            "last_seen_at",
            "first_fetch_id",
            "last_fetch_id",
        ],
    )
    tag_frame = pd.DataFrame(
        [
            {
                "item_key": key,
                "tag": t.tag,
                "tag_type": t.tag_type,
                "matched_alias": t.matched_alias,
                "confidence": float(t.confidence),
            }
            for key in keys
            for t in tags.get(key, ())
        ],
        columns=["item_key", "tag", "tag_type", "matched_alias", "confidence"],
    )
    con.execute("begin transaction")
    try:
        if len(item_frame):
            con.register("incoming_items", item_frame)
            con.execute(
                f"""
                insert into {s}.news_items
                select item_key, feed_name, guid, link, title, summary,
                       published_at::timestamptz, published_utc_offset, published_is_fallback,
                       first_seen_at::timestamptz, last_seen_at::timestamptz,
                       first_fetch_id, last_fetch_id
                from incoming_items
                on conflict (item_key) do update set
                    title = excluded.title,
                    summary = excluded.summary,
                    link = coalesce(excluded.link, news_items.link),
                    published_at = case when excluded.published_is_fallback
                                        then news_items.published_at
                                        else excluded.published_at end,
                    published_utc_offset = case when excluded.published_is_fallback
                                        then news_items.published_utc_offset
                                        else excluded.published_utc_offset end,
                    published_is_fallback = news_items.published_is_fallback
                                        and excluded.published_is_fallback,
                    last_seen_at = excluded.last_seen_at,
                    last_fetch_id = excluded.last_fetch_id
                """
            )
            con.unregister("incoming_items")
            con.execute(
                f"delete from {s}.news_item_tags where list_contains(?, item_key)", [keys]
            )
        if len(tag_frame):
            con.register("incoming_tags", tag_frame)
            con.execute(f"insert into {s}.news_item_tags select * from incoming_tags")
            con.unregister("incoming_tags")
        new_items = len(set(keys) - existing)
        updated_items = len(set(keys) & existing)
        con.execute(
            f"insert into {s}.news_fetches values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                manifest.fetch_id,
                manifest.feed_name,
                manifest.url,
                fetched_at,
                status,
                manifest.http_status,
                error,
                len(items),
                new_items,
                updated_items,
                manifest.manifest_file,
            ],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return NewsLoadStats(manifest.fetch_id, new_items, updated_items, skipped=False)


def latest_feed_validators(
    con: duckdb.DuckDBPyConnection, archive_root: Path, feed_name: str
) -> tuple[str | None, str | None]:
    """ETag and Last-Modified of the feed's last successful fetch, for a conditional GET."""
    rows = con.execute(
        "select archive_path from raw.news_fetches where feed_name = ? and status in "
        "('ok', 'warning') order by fetched_at desc limit 1",
        [feed_name],
    ).fetchall()
    if not rows:
        return None, None
    manifest = json.loads((archive_root / rows[0][0]).read_text())
    return manifest.get("etag"), manifest.get("last_modified")
