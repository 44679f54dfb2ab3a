"""`adrpulse import-prices` and `adrpulse backfill` as a user runs them: a subprocess with its own
ADRPULSE_HOME (and a small universe) under tmp_path, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from assets.calendar import sessions_between
from assets.settings import SAMPLE_ARCHIVE_DIR
from assets.universe import universe_tickers
from tests.support.yfinance_fakes import FakeYahoo, history_frame
from warehouse.archive import list_price_fetches, write_price_fetch
from warehouse.publish import open_published

REPO = Path(__file__).resolve().parent.parent
SESSIONS = sessions_between(date(2025, 3, 3), date(2025, 3, 14))
UNIVERSE = ["AAA", "BBB"]


def adrpulse(
    home: Path, *args: str, small_universe: bool = True, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess. Commands that stop before any Dagster run get a two-ticker
    universe; a full run needs the project's universe (the news aliases name its tickers)."""
    env = {
        **os.environ,
        "ADRPULSE_HOME": str(home),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    for name in ("DAGSTER_HOME", "ADRPULSE_WAREHOUSE", "ADRPULSE_UNIVERSE"):
        env.pop(name, None)
    if small_universe:
        universe = home / "universe.csv"
        home.mkdir(parents=True, exist_ok=True)
        rows = [f"{t},{t} Inc,test_group,NASDAQ,USD" for t in UNIVERSE]
        universe.write_text("ticker,name,group_name,exchange,currency\n" + "\n".join(rows) + "\n")
        env["ADRPULSE_UNIVERSE"] = str(universe)
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
    )


def ticker_csv(path: Path, base: float, *, adj: bool = True, bad_line: int | None = None) -> Path:
    header = "date,open,high,low,close,volume" + (",adj_close" if adj else "")
    lines = [header]
    for i, day in enumerate(SESSIONS):
        close = base + i
        row = f"{day},{close - 0.5},{close + 1},{close - 1},{close},{1000 + i}"
        lines.append(row + (f",{close * 0.99:.4f}" if adj else ""))
    if bad_line is not None:
        lines[bad_line - 1] = f"{SESSIONS[bad_line - 2]},abc,{base + 1},{base - 1},{base},1000" + (
            f",{base}" if adj else ""
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def assert_nothing_stored(home: Path) -> None:
    assert list_price_fetches(home / "archive") == []
    assert not (home / "warehouse.duckdb").exists()


def test_a_malformed_row_is_refused_with_file_and_line_and_nothing_is_stored(tmp_path: Path):
    home, folder = tmp_path / "home", tmp_path / "import"
    folder.mkdir()
    ticker_csv(folder / "AAA.csv", 10.0)  # a good file next to the bad one: all or nothing
    bad = ticker_csv(folder / "BBB.csv", 20.0, bad_line=4)

    result = adrpulse(home, "import-prices", str(folder))

    assert result.returncode == 1
    assert f"{bad}:4: non-numeric open 'abc'" in result.stderr
    assert "nothing was stored" in result.stderr
    assert_nothing_stored(home)


def test_a_malformed_long_file_names_its_line(tmp_path: Path):
    home = tmp_path / "home"
    long_csv = tmp_path / "prices.csv"
    long_csv.write_text(
        "ticker,date,open,high,low,close,volume\n"
        "AAA,2025-03-03,10,11,9,10.5,100\n"
        "AAA,2025-03-08,10,11,9,10.5,100\n"  # a Saturday
    )
    result = adrpulse(home, "import-prices", str(long_csv))

    assert result.returncode == 1
    assert f"{long_csv}:3: date 2025-03-08 is not an XNYS session" in result.stderr
    assert_nothing_stored(home)


def test_a_missing_path_is_named(tmp_path: Path):
    result = adrpulse(tmp_path / "home", "import-prices", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert f"{tmp_path / 'nope'} does not exist" in result.stderr


def archive_snapshot(home: Path) -> list[tuple[str, int]]:
    """Every file under the archive, with its size: what must not change when an import is
    refused."""
    root = home / "archive"
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*") if p.is_file()
    ) if root.exists() else []


def home_with_a_stored_fetch(home: Path, source_archive: Path | None = None) -> int:
    """A home whose warehouse holds one archived fetch: the bundled sample's first fetch (as
    `adrpulse demo` loads it) or, by default, a real-looking import of AAA and BBB. Returns the
    number of stored bars."""
    from warehouse.connection import warehouse_connection
    from warehouse.load import load_price_fetch

    if source_archive is None:
        source_archive = home / "archive"
        folder = home.parent / "earlier"
        folder.mkdir(parents=True, exist_ok=True)
        earlier = sessions_between(date(2025, 2, 24), date(2025, 2, 28))
        rows = [
            {"ticker": t, "session_date": d, "open": 9.5, "high": 11.0, "low": 9.0, "close": 10.0,
             "adj_close": 10.0, "volume": 100, "dividends": 0.0, "stock_splits": 0.0,
             "adj_close_source": "provider"}
            for t in UNIVERSE for d in earlier
        ]
        manifest = write_price_fetch(
            source_archive, pd.DataFrame(rows), source="import",
            fetched_at=datetime(2025, 3, 1, tzinfo=UTC), tickers=UNIVERSE,
            start=earlier[0], end=earlier[-1], note="an earlier import",
        )
    else:
        manifest = list_price_fetches(source_archive)[0]
    with warehouse_connection(home / "warehouse.duckdb") as con:
        return load_price_fetch(con, source_archive, manifest).rows


def stored_rows(home: Path) -> int:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select count(*) from raw.daily_bars").fetchall()[0][0]


def test_bad_rows_are_refused_before_archiving_naming_ticker_session_and_rule(tmp_path: Path):
    home, folder = tmp_path / "home", tmp_path / "import"
    folder.mkdir()
    stored = home_with_a_stored_fetch(home)
    before = archive_snapshot(home)
    aaa = ticker_csv(folder / "AAA.csv", 10.0)
    lines = aaa.read_text().splitlines()
    lines[3] = f"{SESSIONS[2]},10,11,9,0,1000,0"  # close 0
    aaa.write_text("\n".join(lines) + "\n")
    bbb = ticker_csv(folder / "BBB.csv", 20.0)
    lines = bbb.read_text().splitlines()
    lines[5] = f"{SESSIONS[4]},20,19,21,20,1000,20"  # high below low
    bbb.write_text("\n".join(lines) + "\n")

    result = adrpulse(home, "import-prices", str(folder))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "import rejected, nothing was stored" in result.stderr
    assert f"{aaa}:4: AAA {SESSIONS[2]} breaks prices_positive" in result.stderr
    assert f"{bbb}:6: BBB {SESSIONS[4]} breaks ohlc_consistent" in result.stderr
    assert "Traceback" not in result.stderr
    assert archive_snapshot(home) == before
    assert stored_rows(home) == stored


def test_an_import_into_the_demo_home_is_refused_as_a_live_run_is(tmp_path: Path):
    from assets.prices.live import PriceRunError, refuse_real_prices_into_synthetic_warehouse

    home, folder = tmp_path / "home", tmp_path / "import"
    folder.mkdir()
    stored = home_with_a_stored_fetch(home, SAMPLE_ARCHIVE_DIR)  # as `adrpulse demo` loads it
    ticker_csv(folder / "AAA.csv", 10.0)

    result = adrpulse(home, "import-prices", str(folder))

    assert result.returncode == 1
    with (
        duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con,
        pytest.raises(PriceRunError) as live,
    ):
        refuse_real_prices_into_synthetic_warehouse(con, str(home))
    assert "SYNTHETIC demo sample" in str(live.value)
    assert f"adrpulse import-prices: {live.value}" in result.stderr
    assert archive_snapshot(home) == []
    assert stored_rows(home) == stored


# The project universe split as a vendor delivers it: most tickers through the last session, the
# China ADRs three sessions shorter, a few universe tickers missing, one ticker outside it.
ENDING_EARLY = ["BABA", "BIDU", "JD", "PDD"]
MISSING = ["BYDDY", "MCHI", "TME"]
IN_A_DOWNLOAD = ["LI", "NIO"]


def vendor_files(folder: Path, universe: list[str]) -> None:
    for i, ticker in enumerate(universe):
        if ticker in MISSING or ticker in IN_A_DOWNLOAD:
            continue
        path = ticker_csv(folder / f"{ticker}.csv", 10.0 + 5 * i, adj=ticker != "AAPL")
        if ticker in ENDING_EARLY:
            path.write_text("\n".join(path.read_text().splitlines()[:-3]) + "\n")
    ticker_csv(folder / "ZZZ.csv", 30.0)  # not in the universe
    # Two tickers as yf.download(...).to_csv() saves them (auto_adjust=True, three header lines).
    history = {t: history_frame(SESSIONS, [40.0 + i + 0.1 * n for n in range(len(SESSIONS))])
               for i, t in enumerate(IN_A_DOWNLOAD)}
    frame = FakeYahoo(script=history).download(
        IN_A_DOWNLOAD, start=str(SESSIONS[0]), end=str(SESSIONS[-1] + timedelta(days=1)),
        progress=False, actions=True)
    frame.to_csv(folder / "download.csv")


@pytest.mark.e2e
def test_a_vendors_files_for_part_of_the_universe_build_the_marts_and_warn(tmp_path: Path):
    home, folder = tmp_path / "home", tmp_path / "import"
    folder.mkdir()
    universe = universe_tickers(REPO / "dbt_project" / "seeds" / "universe.csv")
    vendor_files(folder, universe)

    result = adrpulse(home, "import-prices", str(folder), small_universe=False)

    out = result.stdout
    assert result.returncode == 0, out + result.stderr[-4000:]
    assert "added as group 'unclassified': ZZZ" in out
    assert "No adjusted close given for AAPL" in out
    assert "yfinance files without Adj Close (auto_adjust=True) for LI, NIO" in out
    imported = len(universe) - len(MISSING) + 1
    rows = 10 * imported - 3 * len(ENDING_EARLY)
    assert f"Archived {rows} rows for {imported} tickers (2025-03-03..2025-03-14)" in out
    # The warning names every ticker that ends early or is missing, with its last bar.
    warning = out[out.index("bars_fresh (WARN)"):]
    for ticker in ENDING_EARLY:
        assert f"{ticker} (ends {SESSIONS[-4]})" in warning
    for ticker in MISSING:
        assert f"{ticker} (no bars)" in warning
    [manifest] = list_price_fetches(home / "archive")
    assert manifest.source == "import" and "ZZZ" in manifest.tickers
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        stored = {
            r[0]: r[1:] for r in con.execute(
                "select ticker, count(*), max(session_date), list(distinct adj_close_source), "
                "bool_and(fetch_id = ?) from raw.daily_bars group by 1", [manifest.fetch_id],
            ).fetchall()
        }
    assert len(stored) == imported
    assert stored["AAPL"] == (10, SESSIONS[-1], ["close"], True)
    assert stored["BABA"] == (7, SESSIONS[-4], ["provider"], True)
    assert stored["NIO"] == (10, SESSIONS[-1], ["provider"], True)
    # The marts were built and published from the import.
    published = open_published(home / "published")
    try:
        marts = dict(published.execute(
            "select ticker, max(session_date) from marts.fct_ticker_performance group by 1"
        ).fetchall())
    finally:
        published.close()
    assert marts["AAPL"] == SESSIONS[-1] and marts["BABA"] == SESSIONS[-4]
    assert not set(MISSING) & set(marts)

    again = adrpulse(home, "import-prices", str(folder), small_universe=False)

    assert again.returncode == 0, again.stdout + again.stderr[-4000:]
    assert f"Nothing new: the warehouse already holds all {rows} rows" in again.stdout
    assert list_price_fetches(home / "archive") == [manifest]
    assert stored_rows(home) == rows


# --- backfill --------------------------------------------------------------------------------


def test_backfill_help_explains_the_range_and_the_single_run(tmp_path: Path):
    result = adrpulse(tmp_path / "home", "backfill", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "START" in text and "END" in text
    assert "ONE Dagster run" in text and "not one per day" in text


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-03-14", "2025-03-03", "END 2025-03-03 is before START 2025-03-14"),
        ("2025-03-08", "2025-03-09", "no XNYS session between 2025-03-08 and 2025-03-09"),
        ("2025-03-xx", "2025-03-09", "START '2025-03-xx' is not a date"),
        ("2019-01-02", "2019-12-31", "before the first price partition 2024-01-02"),
    ],
)
def test_backfill_refuses_a_range_without_sessions(
    tmp_path: Path, start: str, end: str, message: str
):
    home = tmp_path / "home"
    result = adrpulse(home, "backfill", start, end)
    assert result.returncode == 1
    assert message in result.stderr
    assert_nothing_stored(home)
