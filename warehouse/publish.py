"""Publishing the marts for SQL readers, so that reading never touches the writer's file.

After each successful dbt build the pipeline copies the marts (and the reference tables readers
join to) into a new build folder of Parquet files, then writes a small catalog database whose views
point at that folder, and swaps it into place with an atomic rename:

    published/builds/<build_id>/<schema>.<table>.parquet
    published/catalog.duckdb        views marts.<table>, reference.<table> over one build folder,
                                    plus main.published_build, main.published_tables and
                                    main.published_columns (type, unit, description)

main.published_build is the build's provenance: its id, when it was published, and whether the
marts were built past failed blocking checks (`forced`, with the `failed_checks`, from
raw.marts_builds: warehouse/builds.py).

A reader sees one complete build: the build that was current when it opened the catalog. The
writer never opens the catalog in place, so a reader never sees a lock error or a half-written
result.

Holes this closes (see docs/querying.md):
- A reader that opened an older build keeps reading its files: a superseded build is deleted only
  when more than KEEP_BUILDS newer builds exist *and* it was superseded more than PRUNE_GRACE ago.
- A publish that crashed leaves `.<id>.tmp` folders and `.catalog.duckdb.<id>.tmp` files behind:
  the next publish removes them (publishing is serialised by the warehouse's single-writer lock).
- The catalog's views hold absolute paths, so the DuckDB CLI and BI tools work from any folder;
  `open_published` does not use them: it rebuilds the views from the relative paths in
  main.published_tables, so adrpulse keeps working if ADRPULSE_HOME is moved or copied.
- The catalog is written in DuckDB's v1.4 storage format so that DuckDB 1.4+ clients can open it.

What each column means travels with it: main.published_columns has one row per published column
with its type, its unit (the vocabulary of dbt_project/README.md) and its description, read from
dbt's manifest when the build is published (the project's own manifest, the one the Dagster
assets are built from, unless the caller passes the docs); each view's columns carry the same as
a comment, which the DuckDB CLI and BI tools show.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from warehouse.introspect import ColumnDocs, read_column_docs
from warehouse.progress import ItemProgress
from warehouse.rows import insert_rows

CATALOG_NAME = "catalog.duckdb"
BUILDS_DIR_NAME = "builds"
KEEP_BUILDS = 3
# How long a superseded build outlives its successor, so that queries and open sessions that
# started on it can finish; longer than any query we expect, short enough not to pile up builds.
PRUNE_GRACE = timedelta(hours=1)
PUBLISHED_SCHEMAS = ("marts", "reference")
# Provenance published beside the marts: which fetches (and whether synthetic ones) built them;
# and the alert history with what was delivered (`adrpulse alerts` reads it there).
PROVENANCE_TABLES = (("raw", "price_fetches"), ("raw", "news_fetches"), ("raw", "alert_log"))
BUILD_ID_FORMAT = "%Y%m%dT%H%M%S%fZ"
# Older DuckDB clients (CLI, DBeaver's JDBC driver) cannot open a file in 2.0's storage format.
CATALOG_STORAGE_VERSION = "v1.4.0"
# dbt's manifest of the project beside this package (dagster-dbt's DbtProject keeps it current:
# every adrpulse command runs `dbt parse` when a model is newer). The repository layout is the only
# thing warehouse/ knows of the dbt project; it reads the file as JSON and imports no dbt.
DBT_MANIFEST = Path(__file__).resolve().parent.parent / "dbt_project" / "target" / "manifest.json"


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    name: str
    rows: int
    path: Path


@dataclass(frozen=True)
class PublishedColumn:
    schema: str
    table: str
    name: str
    position: int
    data_type: str
    unit: str | None
    description: str | None


@dataclass(frozen=True)
class PublishResult:
    build_id: str
    build_dir: Path
    catalog_path: Path
    tables: list[PublishedTable]
    columns: list[PublishedColumn]
    forced: bool = False
    failed_checks: tuple[str, ...] = ()


def tables_to_publish(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    existing = [
        (r[0], r[1])
        for r in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() order by 1, 2"
        ).fetchall()
    ]
    return [t for t in existing if t[0] in PUBLISHED_SCHEMAS or t in PROVENANCE_TABLES]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish(
    con: duckdb.DuckDBPyConnection,
    published_dir: Path,
    *,
    tables: Sequence[tuple[str, str]] | None = None,
    now: datetime | None = None,
    keep_builds: int = KEEP_BUILDS,
    prune_grace: timedelta = PRUNE_GRACE,
    column_docs: ColumnDocs | None = None,
    forced: bool = False,
    failed_checks: Sequence[str] = (),
    progress: Callable[[str], object] | None = None,
) -> PublishResult:
    """Export the tables to a new build folder and atomically swap the catalog to it.

    `column_docs` gives each column's unit and description; by default they are read from the
    project's dbt manifest (DBT_MANIFEST). A column without docs is published with nulls.
    forced / failed_checks: the marts were built past these failed blocking checks (recorded in
    the catalog's published_build for every reader to see).
    `progress` gets `[i/n] exported ...` lines, about one a second (ItemProgress).
    """
    published_dir = Path(published_dir).resolve()
    now = now or datetime.now(UTC)
    build_id = now.astimezone(UTC).strftime(BUILD_ID_FORMAT)
    builds = published_dir / BUILDS_DIR_NAME
    builds.mkdir(parents=True, exist_ok=True)
    remove_leftovers(published_dir)
    build_dir = builds / build_id
    tmp_dir = builds / f".{build_id}.tmp"
    tmp_dir.mkdir(exist_ok=False)
    selected = list(tables) if tables is not None else tables_to_publish(con)
    docs = read_column_docs(DBT_MANIFEST) if column_docs is None else column_docs
    exported, columns = _export(con, selected, tmp_dir, build_dir, docs, progress)
    _fsync_dir(tmp_dir)
    os.replace(tmp_dir, build_dir)
    _fsync_dir(builds)

    catalog_tmp = published_dir / f".{CATALOG_NAME}.{build_id}.tmp"
    failed = tuple(failed_checks)
    _write_catalog(
        catalog_tmp, build_id, now, exported, columns, published_dir, forced, failed
    )
    catalog_path = published_dir / CATALOG_NAME
    os.replace(catalog_tmp, catalog_path)
    _fsync_dir(published_dir)
    prune_builds(builds, current=build_id, now=now, keep=keep_builds, grace=prune_grace)
    return PublishResult(build_id, build_dir, catalog_path, exported, columns, forced, failed)


def _export(
    con: duckdb.DuckDBPyConnection,
    selected: Sequence[tuple[str, str]],
    tmp_dir: Path,
    build_dir: Path,
    docs: ColumnDocs,
    progress: Callable[[str], object] | None = None,
) -> tuple[list[PublishedTable], list[PublishedColumn]]:
    exported: list[PublishedTable] = []
    columns: list[PublishedColumn] = []
    # One transaction: every table of the build comes from the same snapshot of the warehouse.
    lines = ItemProgress(progress, len(selected)) if progress is not None else None
    con.execute("begin transaction").fetchall()
    try:
        for index, (schema, name) in enumerate(selected, start=1):
            source = f"{_quote(schema)}.{_quote(name)}"
            target = tmp_dir / f"{schema}.{name}.parquet"
            con.execute(
                f"copy (select * from {source}) to {_literal(target.as_posix())} "
                "(format parquet, compression zstd)"
            ).fetchall()
            rows = con.execute(f"select count(*) from {source}").fetchall()[0][0]
            exported.append(PublishedTable(schema, name, int(rows), build_dir / target.name))
            table_docs = docs.get((schema, name), {})
            for column_name, data_type, position in con.execute(
                "select column_name, data_type, ordinal_position from information_schema.columns "
                "where table_catalog = current_database() and table_schema = ? "
                "and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall():
                doc = table_docs.get(column_name.lower())
                columns.append(
                    PublishedColumn(
                        schema, name, column_name, int(position), data_type.lower(),
                        doc.unit if doc else None, doc.description if doc else None,
                    )
                )
            if lines is not None:
                lines.item(index, f"exported {schema}.{name}: {int(rows):,} rows")
    except BaseException:
        con.execute("rollback").fetchall()
        raise
    con.execute("commit").fetchall()
    return exported, columns


PUBLISHED_COLUMNS_DDL = (
    "create table main.published_columns (schema_name varchar, table_name varchar, "
    "column_name varchar, ordinal_position integer, data_type varchar, unit varchar, "
    "description varchar)"
)


def _column_rows(columns: Sequence[PublishedColumn]) -> list[list[Any]]:
    """main.published_columns' rows, in its column order."""
    return [
        [c.schema, c.table, c.name, c.position, c.data_type, c.unit, c.description]
        for c in columns
    ]


def _column_comment(column: PublishedColumn) -> str | None:
    if column.description and column.unit:
        return f"{column.description} (unit: {column.unit})"
    return column.description or (f"unit: {column.unit}" if column.unit else None)


def _write_catalog(
    path: Path,
    build_id: str,
    now: datetime,
    exported: Sequence[PublishedTable],
    columns: Sequence[PublishedColumn],
    published_dir: Path,
    forced: bool,
    failed_checks: Sequence[str],
) -> None:
    cat = duckdb.connect(
        str(path), config={"storage_compatibility_version": CATALOG_STORAGE_VERSION}
    )
    try:
        # One transaction: each statement on its own would be a commit, and a commit of a DuckDB
        # file syncs its WAL to disk; the catalog's ~500 column comments took 0.7 s that way.
        # The file is a temporary one, renamed over the catalog only once it is whole.
        cat.execute("begin transaction").fetchall()
        for schema in sorted({t.schema for t in exported}):
            cat.execute(f"create schema if not exists {_quote(schema)}").fetchall()
        for table in exported:
            cat.execute(
                f"create view {_quote(table.schema)}.{_quote(table.name)} as "
                f"select * from read_parquet({_literal(table.path.as_posix())})"
            ).fetchall()
        _create_build_table(cat, build_id, now, forced, failed_checks)
        cat.execute(
            "create table main.published_tables (schema_name varchar, table_name varchar, "
            "row_count bigint, relative_path varchar)"
        ).fetchall()
        for table in exported:
            cat.execute(
                "insert into main.published_tables values (?, ?, ?, ?)",
                [
                    table.schema,
                    table.name,
                    table.rows,
                    table.path.relative_to(published_dir).as_posix(),
                ],
            ).fetchall()
        cat.execute(PUBLISHED_COLUMNS_DDL).fetchall()
        insert_rows(cat, "insert into main.published_columns", _column_rows(columns))
        for column in columns:
            comment = _column_comment(column)
            if comment:
                cat.execute(
                    f"comment on column {_quote(column.schema)}.{_quote(column.table)}."
                    f"{_quote(column.name)} is {_literal(comment)}"
                ).fetchall()
        cat.execute("commit").fetchall()
    finally:
        cat.close()


def _create_build_table(
    con: duckdb.DuckDBPyConnection,
    build_id: str,
    published_at: datetime,
    forced: bool,
    failed_checks: Sequence[str],
) -> None:
    con.execute(
        "create table main.published_build as select ? as build_id, "
        "?::timestamptz as published_at, ?::boolean as forced, ?::varchar[] as failed_checks",
        [build_id, published_at, forced, list(failed_checks)],
    ).fetchall()


def _fsync_dir(path: Path) -> None:
    """Make a rename durable, so that after a power loss the catalog never names a missing build."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_leftovers(published_dir: Path) -> list[Path]:
    """Delete the temporary folders and catalog files of publishes that crashed."""
    removed: list[Path] = []
    builds = published_dir / BUILDS_DIR_NAME
    candidates = list(builds.glob(".*.tmp")) if builds.is_dir() else []
    candidates += list(published_dir.glob(f".{CATALOG_NAME}.*.tmp*"))
    for path in candidates:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _build_time(name: str) -> datetime | None:
    try:
        return datetime.strptime(name, BUILD_ID_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def prune_builds(
    builds: Path,
    *,
    current: str,
    now: datetime,
    keep: int = KEEP_BUILDS,
    grace: timedelta = PRUNE_GRACE,
) -> list[Path]:
    """Delete superseded builds beyond the newest `keep` whose successor is older than `grace`.

    A reader opened build N before build N+1 was published, so N+1's publish time bounds how
    long ago that reader started. Folders whose names are not build ids are left alone.
    """
    dated = sorted(
        (time, path)
        for path in builds.iterdir()
        if path.is_dir() and (time := _build_time(path.name)) is not None
    )
    removed: list[Path] = []
    for index, (_, path) in enumerate(dated[: max(len(dated) - keep, 0)]):
        superseded_at = dated[index + 1][0]
        if path.name == current or now - superseded_at <= grace:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


@dataclass(frozen=True)
class PublishedBuild:
    build_id: str
    published_at: datetime
    tables: list[PublishedTable]
    columns: list[PublishedColumn]
    forced: bool = False  # the marts were built past failed blocking checks
    failed_checks: tuple[str, ...] = ()


def open_published(published_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with views marts.*, reference.* over the current published build,
    and main.published_columns (each column's type, unit and description).

    The catalog is attached only to read which build is current, then detached: the views are
    created here from the build's relative paths, so the published folder can move. Attaching
    (rather than `duckdb.connect(path)`) matters: connect() reuses an instance already open for
    the same path in this process, which would keep serving the previous build after a swap.
    """
    return open_published_build(published_dir)[0]


def open_published_build(
    published_dir: Path,
) -> tuple[duckdb.DuckDBPyConnection, PublishedBuild]:
    """`open_published`, and the build its views read (the same one: read once)."""
    published_dir = Path(published_dir).resolve()
    con = duckdb.connect()
    try:
        build = _read_current_build(con, published_dir)
        for schema in sorted({t.schema for t in build.tables}):
            con.execute(f"create schema {_quote(schema)}").fetchall()
        for table in build.tables:
            con.execute(
                f"create view {_quote(table.schema)}.{_quote(table.name)} as "
                f"select * from read_parquet({_literal(table.path.as_posix())})"
            ).fetchall()
        _create_build_table(
            con, build.build_id, build.published_at, build.forced, build.failed_checks
        )
        con.execute(PUBLISHED_COLUMNS_DDL).fetchall()
        insert_rows(con, "insert into main.published_columns", _column_rows(build.columns))
    except BaseException:
        con.close()
        raise
    return con, build


def _read_current_build(con: duckdb.DuckDBPyConnection, published_dir: Path) -> PublishedBuild:
    catalog = published_dir / CATALOG_NAME
    if not catalog.exists():
        raise FileNotFoundError(
            f"nothing is published yet at {catalog}: run `adrpulse demo` (offline sample) or "
            "`adrpulse run` first"
        )
    con.execute(
        f"attach {_literal(catalog.as_posix())} as published_catalog (read_only)"
    ).fetchall()
    try:
        build_id, published_at = con.execute(
            "select build_id, published_at from published_catalog.main.published_build"
        ).fetchall()[0]
        forced, failed = _read_forced(con)
        rows = con.execute(
            "select schema_name, table_name, row_count, relative_path "
            "from published_catalog.main.published_tables order by 1, 2"
        ).fetchall()
        try:
            column_rows = con.execute(
                "select schema_name, table_name, column_name, ordinal_position, data_type, "
                "unit, description from published_catalog.main.published_columns "
                "order by 1, 2, 4"
            ).fetchall()
        except duckdb.CatalogException:
            # published before columns were documented: readable, just without units (the
            # next publish adds them)
            column_rows = []
    except duckdb.CatalogException as exc:
        raise FileNotFoundError(
            f"{catalog} was written by an older version of ADR Pulse (no published_tables): "
            "republish with `adrpulse build`"
        ) from exc
    finally:
        con.execute("detach published_catalog").fetchall()
    tables = [
        PublishedTable(schema, name, int(count), published_dir / relative)
        for schema, name, count, relative in rows
    ]
    columns = [PublishedColumn(*row) for row in column_rows]
    return PublishedBuild(build_id, published_at, tables, columns, forced, failed)


def _read_forced(con: duckdb.DuckDBPyConnection) -> tuple[bool, tuple[str, ...]]:
    """forced and failed_checks of the attached catalog (a catalog written before they existed
    was not forced)."""
    try:
        forced, failed = con.execute(
            "select forced, failed_checks from published_catalog.main.published_build"
        ).fetchall()[0]
    except duckdb.BinderException:
        return False, ()
    return bool(forced), tuple(failed or ())


def current_build(published_dir: Path) -> PublishedBuild:
    """Which build readers see now, and its tables (row counts as published)."""
    con = duckdb.connect()
    try:
        return _read_current_build(con, Path(published_dir).resolve())
    finally:
        con.close()
