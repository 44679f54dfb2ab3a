"""Loading archived price fetches: idempotent, transactional, later fetches win, restatements."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.support.bars import flat_bars
from warehouse.archive import list_price_fetches, write_price_fetch
from warehouse.connection import WarehouseBusyError, warehouse_connection
from warehouse.load import ArchiveFileError, load_price_fetch, load_price_fetches
from warehouse.schema import RAW_TABLES_DDL

T0 = datetime(2025, 3, 3, 23, 0, tzinfo=UTC)


DAYS = [date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 5)]


def archive_two_fetches(root: Path) -> None:
    write_price_fetch(
        root,
        flat_bars("BABA", DAYS, 100.0),
        source="test",
        fetched_at=T0,
        tickers=["BABA"],
        start=DAYS[0],
        end=DAYS[-1],
        fmt="csv",
    )
    write_price_fetch(
        root,
        flat_bars("BABA", DAYS[1:], 101.0),
        source="test",
        fetched_at=T0 + timedelta(days=1),
        tickers=["BABA"],
        start=DAYS[1],
        end=DAYS[-1],
    )


def table(con, name: str) -> list[tuple]:
    return con.execute(f"select * from raw.{name} order by all").fetchall()


def test_loading_the_same_archive_twice_leaves_identical_tables(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive_two_fetches(archive)
    with warehouse_connection(tmp_path / "w.duckdb") as con:
        first = load_price_fetches(con, archive, list_price_fetches(archive))
        bars_once, fetches_once = table(con, "daily_bars"), table(con, "price_fetches")
        second = load_price_fetches(con, archive, list_price_fetches(archive))
        assert [s.skipped for s in first] == [False, False]
        assert [s.skipped for s in second] == [True, True]
        assert table(con, "daily_bars") == bars_once
        assert table(con, "price_fetches") == fetches_once


def test_later_fetch_wins_per_ticker_and_session(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive_two_fetches(archive)
    with warehouse_connection(tmp_path / "w.duckdb") as con:
        load_price_fetches(con, archive, list_price_fetches(archive))
        closes = con.execute("select session_date, close from raw.daily_bars order by 1").fetchall()
        fetch_of = dict(con.execute("select session_date, fetch_id from raw.daily_bars").fetchall())
    # One row per session: the second fetch's rows replaced the first's, none were added twice.
    assert closes == [(DAYS[0], 100.0), (DAYS[1], 101.0), (DAYS[2], 101.0)]
    first, second = sorted({m.fetch_id for m in list_price_fetches(archive)})
    assert fetch_of == {DAYS[0]: first, DAYS[1]: second, DAYS[2]: second}


def _primary_keys(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(
        "select count(*) from duckdb_constraints() where table_name = 'daily_bars' "
        "and constraint_type = 'PRIMARY KEY'"
    ).fetchall()[0][0]


def test_a_warehouse_with_the_old_primary_key_is_migrated_without_losing_rows(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "archive"
    archive_two_fetches(archive)
    old_ddl = RAW_TABLES_DDL["daily_bars"].replace(
        "fetch_id          varchar not null",
        "fetch_id varchar not null, primary key (ticker, session_date)",
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw")
    con.execute(old_ddl)
    # The fixture must really have the old key, or the migration below would have nothing to do.
    assert _primary_keys(con) == 1
    con.execute(
        "insert into raw.daily_bars select 'BABA', d, 1, 2, 0.5, 1, 1, 10, 0, 0, 'provider', 'old' "
        "from unnest(?) as t(d)",
        [DAYS],
    )
    con.close()
    with warehouse_connection(tmp_path / "w.duckdb") as con:
        assert _primary_keys(con) == 0
        assert con.execute("select count(*), min(fetch_id) from raw.daily_bars").fetchall() == [
            (3, "old")
        ]
        load_price_fetches(con, archive, list_price_fetches(archive))
        closes = con.execute("select session_date, close from raw.daily_bars order by 1").fetchall()
    assert closes == [(DAYS[0], 100.0), (DAYS[1], 101.0), (DAYS[2], 101.0)]


def test_restated_history_replaces_the_whole_ticker(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    write_price_fetch(
        archive,
        flat_bars("AAPL", DAYS, 200.0),
        source="test",
        fetched_at=T0,
        tickers=["AAPL"],
        start=DAYS[0],
        end=DAYS[-1],
    )
    write_price_fetch(
        archive,
        flat_bars("MSFT", DAYS, 400.0),
        source="test",
        fetched_at=T0,
        tickers=["MSFT"],
        start=DAYS[0],
        end=DAYS[-1],
    )
    # A dividend restates AAPL's adjusted series, and the refetch starts a day later than before.
    write_price_fetch(
        archive,
        flat_bars("AAPL", DAYS[1:], 200.0, adj_factor=0.99),
        source="test",
        fetched_at=T0 + timedelta(days=1),
        tickers=["AAPL"],
        start=DAYS[1],
        end=DAYS[-1],
        replaces_history_of=["AAPL"],
    )
    with warehouse_connection(tmp_path / "w.duckdb") as con:
        load_price_fetches(con, archive, list_price_fetches(archive))
        aapl = con.execute(
            "select session_date, adj_close from raw.daily_bars where ticker = 'AAPL' order by 1"
        ).fetchall()
        msft = con.execute("select count(*) from raw.daily_bars where ticker = 'MSFT'").fetchall()
    assert aapl == [(DAYS[1], pytest.approx(198.0)), (DAYS[2], pytest.approx(198.0))]
    assert msft == [(3,)]


def test_a_broken_archive_file_changes_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    good = write_price_fetch(
        archive,
        flat_bars("BABA", DAYS, 100.0),
        source="test",
        fetched_at=T0,
        tickers=["BABA"],
        start=DAYS[0],
        end=DAYS[-1],
        fmt="csv",
    )
    bad = write_price_fetch(
        archive,
        flat_bars("BABA", DAYS, 555.0),
        source="test",
        fetched_at=T0 + timedelta(days=1),
        tickers=["BABA"],
        start=DAYS[0],
        end=DAYS[-1],
        fmt="csv",
    )
    data = archive / bad.data_file
    data.write_text(data.read_text().replace("2025-03-05", "2025-03-04"))  # duplicate key
    with warehouse_connection(tmp_path / "w.duckdb") as con:
        load_price_fetch(con, archive, good)
        before = table(con, "daily_bars"), table(con, "price_fetches")
        with pytest.raises(ArchiveFileError, match=bad.fetch_id):
            load_price_fetch(con, archive, bad)
        assert (table(con, "daily_bars"), table(con, "price_fetches")) == before


def test_a_second_writer_gets_a_clear_error_not_a_wait(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with (
            pytest.raises(WarehouseBusyError, match="in use by another process"),
            warehouse_connection(path),
        ):
            pass
    finally:
        holder.communicate("")
