"""The build gate's algorithm (assets/gate.py) on a warehouse holding the sample's bars, the
record of forced builds (warehouse/builds.py), and how a forced build is published
(warehouse/publish.py). No Dagster: tests/test_build_cli.py runs the gate through the CLI."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from assets.gate import FIXES, FORCE_HINT, FailedCheck, GateResult, check_stored_data
from assets.universe import universe_tickers
from tests.support.dbt import SAMPLE_ARCHIVE, SEEDS_DIR, load_archive_prices
from warehouse.archive import write_price_fetch
from warehouse.builds import latest_marts_build, record_gate, record_marts_built
from warehouse.load import load_price_fetch
from warehouse.publish import current_build, open_published, publish
from warehouse.schema import create_raw_schema

UNIVERSE = universe_tickers(SEEDS_DIR / "universe.csv")
LAST = date(2025, 3, 31)


@pytest.fixture(scope="module")
def sample_bars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse file with the sample archive's bars whose checks have passed once."""
    path = tmp_path_factory.mktemp("gate") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    try:
        load_archive_prices(con, SAMPLE_ARCHIVE)
        assert not check_stored_data(con, UNIVERSE).failed  # moves the watermark
    finally:
        con.close()
    return path


@pytest.fixture
def warehouse(sample_bars: Path, tmp_path: Path):
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(sample_bars.read_bytes())
    con = duckdb.connect(str(copy))
    yield con, tmp_path / "archive"
    con.close()


def _store(con: duckdb.DuckDBPyConnection, archive: Path, bars: pd.DataFrame, minute: int) -> str:
    """Archive and load `bars` as a fetch, the way a fetch or an import stores them."""
    bars = bars.assign(adj_close_source="provider")
    day = pd.Timestamp(bars["session_date"].max()).date()
    manifest = write_price_fetch(
        archive,
        bars,
        source="yfinance",
        fetched_at=datetime(2025, 4, 1, tzinfo=UTC) + timedelta(minutes=minute),
        tickers=sorted(set(bars["ticker"])),
        start=pd.Timestamp(bars["session_date"].min()).date(),
        end=day,
    )
    assert not load_price_fetch(con, archive, manifest).skipped
    return manifest.fetch_id


def _last_bar(con: duckdb.DuckDBPyConnection, ticker: str) -> pd.DataFrame:
    return con.execute(
        "select * exclude (fetch_id, adj_close_source) from raw.daily_bars "
        "where ticker = ? and session_date = ?",
        [ticker, LAST],
    ).df()


def test_stored_bars_that_passed_pass_the_gate(warehouse) -> None:
    con, _ = warehouse
    result = check_stored_data(con, UNIVERSE)
    assert result.failed == [] and result.fetches == []
    assert result.as_of == LAST
    assert "raw/daily_bars:prices_positive" in result.passed
    assert "raw/news_items:unique_item_key" in result.passed
    assert result.next_steps("raw/daily_bars") == ""


def test_a_stored_bad_bar_fails_the_gate_with_its_row_and_fetch(warehouse) -> None:
    con, archive = warehouse
    bad = _last_bar(con, "BABA")
    bad["high"] = bad["close"] * 0.99  # closes above its high
    fetch_id = _store(con, archive, bad, minute=1)

    result = check_stored_data(con, UNIVERSE)

    assert [f.qualified for f in result.failed] == ["raw/daily_bars:ohlc_consistent"]
    failure = result.failed[0]
    assert "1 rows have open or close outside [low, high]" in failure.message
    assert failure.rows == [
        {
            "ticker": "BABA",
            "session_date": "2025-03-31",
            "open": pytest.approx(bad["open"].iloc[0]),
            "high": pytest.approx(bad["high"].iloc[0]),
            "low": pytest.approx(bad["low"].iloc[0]),
            "close": pytest.approx(bad["close"].iloc[0]),
            "fetch_id": fetch_id,
        }
    ]
    assert [f["fetch_id"] for f in result.fetches] == [fetch_id]
    assert result.fetches[0]["source"] == "yfinance"
    steps = result.next_steps("raw/daily_bars")
    assert "adrpulse import-prices" in steps and FORCE_HINT in steps
    assert FORCE_HINT not in result.next_steps("raw/daily_bars", forced=True)
    assert result.next_steps("raw/news_items") == ""


def test_the_gate_keeps_failing_until_the_bar_is_replaced(warehouse) -> None:
    con, archive = warehouse
    good = _last_bar(con, "BABA")
    bad = good.copy()
    bad["close"] = 0.0
    bad["adj_close"] = 0.0
    _store(con, archive, bad, minute=1)
    first = check_stored_data(con, UNIVERSE)
    assert "raw/daily_bars:prices_positive" in [f.qualified for f in first.failed]
    # A failed gate does not move the watermark: the same bar fails the next build too.
    again = check_stored_data(con, UNIVERSE)
    assert [f.qualified for f in again.failed] == [f.qualified for f in first.failed]
    # A corrected fetch of the same ticker and session replaces the bar.
    _store(con, archive, good, minute=2)
    assert check_stored_data(con, UNIVERSE).failed == []


def test_each_failure_says_how_to_fix_it() -> None:
    result = GateResult(
        LAST,
        [
            FailedCheck("raw/daily_bars", "bars_fresh", "2 of 25 tickers lack 2025-03-31"),
            FailedCheck("raw/daily_bars", "bars_no_gaps", "1 session missing"),
            FailedCheck("raw/news_items", "unique_item_key", "2 extra copies"),
        ],
        [],
        [],
    )
    prices = result.next_steps("raw/daily_bars").splitlines()
    assert prices == [FIXES["bars_fresh"], FIXES["bars_no_gaps"], FORCE_HINT]
    assert result.next_steps("raw/news_items").splitlines() == [
        "Rebuild the news tables from the raw archive: `adrpulse rebuild`.",
        FORCE_HINT,
    ]


def test_marts_builds_follow_the_latest_build() -> None:
    con = duckdb.connect()
    create_raw_schema(con)
    assert latest_marts_build(con).forced is False
    record_gate(con, "run-1", forced=True, failed_checks=["raw/daily_bars:ohlc_consistent"])
    assert latest_marts_build(con).run_id is None  # gated, not built yet
    record_marts_built(con, "run-1")
    built = latest_marts_build(con)
    assert (built.run_id, built.forced, built.failed_checks) == (
        "run-1",
        True,
        ["raw/daily_bars:ohlc_consistent"],
    )
    record_marts_built(con, "run-2")  # a later build without the gate (e.g. the daily run)
    assert latest_marts_build(con).forced is False


def test_a_forced_build_is_published_as_such(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.t as select 1 as v")
    published = tmp_path / "published"
    publish(con, published, tables=[("marts", "t")])
    assert current_build(published).forced is False
    result = publish(
        con,
        published,
        tables=[("marts", "t")],
        now=datetime.now(UTC) + timedelta(seconds=1),
        forced=True,
        failed_checks=["raw/daily_bars:ohlc_consistent"],
    )
    build = current_build(published)
    assert build.build_id == result.build_id
    assert (build.forced, build.failed_checks) == (True, ("raw/daily_bars:ohlc_consistent",))
    reader = open_published(published)
    try:
        row = reader.execute("select forced, failed_checks from published_build").fetchall()
    finally:
        reader.close()
    assert row == [(True, ["raw/daily_bars:ohlc_consistent"])]


def test_a_catalog_from_before_forced_builds_reads_as_not_forced(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.t as select 1 as v")
    published = tmp_path / "published"
    publish(con, published, tables=[("marts", "t")])
    catalog = duckdb.connect(str(published / "catalog.duckdb"))
    catalog.execute("alter table main.published_build drop column forced")
    catalog.execute("alter table main.published_build drop column failed_checks")
    catalog.close()
    build = current_build(published)
    assert (build.forced, build.failed_checks) == (False, ())
