"""Publishing the marts for SQL readers, so that reading never touches the writer's file.

After each successful dbt build the pipeline copies the marts (and the reference seeds readers
join to) into a new build folder of Parquet files, then writes a small catalog database whose views
point at that folder, and swaps it into place with an atomic rename:

    published/builds/<build_id>/<schema>.<table>.parquet
    published/catalog.duckdb        views marts.<table>, reference.<table> over one build folder

A reader opens catalog.duckdb read-only (many readers may) and sees one complete build: the build
that was current when it opened the file. The writer never opens the catalog in place, so a reader
never sees a lock error or a half-written result. Older build folders are kept for a while
(KEEP_BUILDS) so a reader that opened an older catalog can finish its queries.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

CATALOG_NAME = "catalog.duckdb"
KEEP_BUILDS = 3
PUBLISHED_SCHEMAS = ("marts", "reference")


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    name: str
    rows: int
    path: Path


@dataclass(frozen=True)
class PublishResult:
    build_id: str
    build_dir: Path
    catalog_path: Path
    tables: list[PublishedTable]


def tables_to_publish(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    placeholders = ", ".join("?" for _ in PUBLISHED_SCHEMAS)
    return [
        (r[0], r[1])
        for r in con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({placeholders}) and table_catalog = current_database() "
            "order by 1, 2",
            list(PUBLISHED_SCHEMAS),
        ).fetchall()
    ]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def publish(
    con: duckdb.DuckDBPyConnection,
    published_dir: Path,
    *,
    tables: Sequence[tuple[str, str]] | None = None,
    now: datetime | None = None,
) -> PublishResult:
    """Export the tables to a new build folder and atomically swap the catalog to it."""
    published_dir = Path(published_dir).resolve()
    now = now or datetime.now(UTC)
    build_id = now.strftime("%Y%m%dT%H%M%S%fZ")
    builds = published_dir / "builds"
    build_dir = builds / build_id
    tmp_dir = builds / f".{build_id}.tmp"
    tmp_dir.mkdir(parents=True, exist_ok=False)
    selected = list(tables) if tables is not None else tables_to_publish(con)
    exported: list[PublishedTable] = []
    for schema, name in selected:
        target = tmp_dir / f"{schema}.{name}.parquet"
        con.execute(
            f"copy (select * from {_quote(schema)}.{_quote(name)}) to '{target.as_posix()}' "
            "(format parquet, compression zstd)"
        ).fetchall()
        rows = con.execute(f"select count(*) from {_quote(schema)}.{_quote(name)}").fetchall()
        exported.append(PublishedTable(schema, name, int(rows[0][0]), build_dir / target.name))
    os.replace(tmp_dir, build_dir)

    catalog_tmp = published_dir / f".{CATALOG_NAME}.{build_id}.tmp"
    cat = duckdb.connect(str(catalog_tmp))
    try:
        for schema in sorted({t.schema for t in exported}):
            cat.execute(f"create schema if not exists {_quote(schema)}")
        for table in exported:
            cat.execute(
                f"create view {_quote(table.schema)}.{_quote(table.name)} as "
                f"select * from read_parquet('{table.path.as_posix()}')"
            )
        cat.execute(
            "create table main.published_build as "
            "select ? as build_id, ?::timestamptz as published_at",
            [build_id, now],
        )
    finally:
        cat.close()
    catalog_path = published_dir / CATALOG_NAME
    os.replace(catalog_tmp, catalog_path)
    _prune_builds(builds, keep=KEEP_BUILDS)
    return PublishResult(build_id, build_dir, catalog_path, exported)


def _prune_builds(builds: Path, keep: int) -> None:
    done = sorted(p for p in builds.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in done[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def open_published(published_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current published build.

    The catalog is attached to a fresh in-memory database rather than opened with
    `duckdb.connect(path)`: connect() reuses an instance already open for the same path in this
    process, which would keep serving the previous build after the catalog was swapped.
    """
    catalog = Path(published_dir) / CATALOG_NAME
    if not catalog.exists():
        raise FileNotFoundError(
            f"nothing is published yet at {catalog}: run `adrpulse demo` (offline sample) or "
            "`adrpulse run` first"
        )
    con = duckdb.connect()
    con.execute(f"attach '{catalog.as_posix()}' as published (read_only)")
    con.execute("use published")
    return con
