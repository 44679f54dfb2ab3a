"""`adrpulse import-prices` and `adrpulse backfill` as a user runs them: a subprocess with its own
ADRPULSE_HOME (and a small universe) under tmp_path, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from assets.calendar import sessions_between
from assets.universe import universe_tickers
from warehouse.archive import list_price_fetches

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


@pytest.mark.e2e
def test_good_files_are_archived_and_loaded_through_dagster(tmp_path: Path):
    home, folder = tmp_path / "home", tmp_path / "import"
    folder.mkdir()
    universe = universe_tickers(REPO / "dbt_project" / "seeds" / "universe.csv")
    for i, ticker in enumerate(universe):
        ticker_csv(folder / f"{ticker}.csv", 10.0 + 5 * i, adj=ticker != "AAPL")
    ticker_csv(folder / "ZZZ.csv", 30.0)  # not in the universe

    result = adrpulse(home, "import-prices", str(folder), small_universe=False)

    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert "added as group 'unclassified': ZZZ" in result.stdout
    assert "No adjusted close given for AAPL" in result.stdout
    n = len(universe) + 1
    assert f"Archived {10 * n} rows for {n} tickers (2025-03-03..2025-03-14)" in result.stdout
    [manifest] = list_price_fetches(home / "archive")
    assert manifest.source == "import" and "ZZZ" in manifest.tickers
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = dict(
            (r[0], r[1:]) for r in con.execute(
                "select ticker, count(*), min(session_date), max(session_date), "
                "list(distinct adj_close_source), bool_and(fetch_id = ?) "
                "from raw.daily_bars group by 1",
                [manifest.fetch_id],
            ).fetchall()
        )
    first, last = SESSIONS[0], SESSIONS[-1]
    assert len(rows) == n
    assert rows["AAPL"] == (10, first, last, ["close"], True)
    assert rows["ZZZ"] == (10, first, last, ["provider"], True)
    # the price checks ran in the same run and all passed (only failures would be listed)
    assert "Checks: " in result.stdout and " passed, 0 failed" in result.stdout


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
