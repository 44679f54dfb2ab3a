"""read_price_import: each accepted format, and malformed files named by file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from assets.prices.importer import PriceImportError, read_price_import
from tests.support.yfinance_fakes import FakeYahoo, history_frame
from warehouse.archive import PRICE_COLUMNS

UNIVERSE = {"BABA", "JD"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_directory_of_per_ticker_csvs(tmp_path):
    write(tmp_path / "BABA.csv",
          "date,open,high,low,close,volume\n"
          "2025-01-02,80,82,79,81,1000\n"
          "2025-01-03,81,83,80,82.5,1100\n")
    write(tmp_path / "nvda.csv",
          "Date,Open,High,Low,Close,Adj Close,Volume,Dividends,Stock Splits\n"
          "2025-01-02,136,139,134,138.31,138.29,198247200,0.0,0.0\n"
          "2025-01-03,140,144.9,139.7,144.47,144.45,229322500,0.01,0\n")
    write(tmp_path / "notes.txt", "ignored")

    result = read_price_import(tmp_path, universe_tickers=UNIVERSE)

    assert list(result.bars.columns) == list(PRICE_COLUMNS)
    assert result.files == [tmp_path / "BABA.csv", tmp_path / "nvda.csv"]
    assert result.new_tickers == ["NVDA"]
    baba = result.bars[result.bars["ticker"] == "BABA"]
    assert baba["adj_close"].tolist() == baba["close"].tolist() == [81.0, 82.5]
    assert set(baba["adj_close_source"]) == {"close"}
    nvda = result.bars[result.bars["ticker"] == "NVDA"]
    assert nvda["adj_close"].tolist() == [138.29, 144.45]
    assert nvda["dividends"].tolist() == [0.0, 0.01]
    assert nvda["volume"].tolist() == [198247200, 229322500]
    assert set(nvda["adj_close_source"]) == {"provider"}
    assert nvda["session_date"].tolist() == [date(2025, 1, 2), date(2025, 1, 3)]


def test_csv_saved_from_a_yfinance_download(tmp_path):
    history = history_frame(["2025-01-02", "2025-01-03"], [81.0, 82.0], adj_closes=[80.0, 81.0])
    frame = FakeYahoo(script={"BABA": history}).download(
        ["BABA"], start="2025-01-02", end="2025-01-04", auto_adjust=False, actions=True,
        progress=False)
    frame.to_csv(tmp_path / "BABA.csv")  # three header lines: Price / Ticker / Date
    assert (tmp_path / "BABA.csv").read_text().splitlines()[1].startswith("Ticker,")

    bars = read_price_import(tmp_path, universe_tickers=UNIVERSE).bars
    assert bars["adj_close"].tolist() == [80.0, 81.0]
    assert bars["session_date"].tolist() == [date(2025, 1, 2), date(2025, 1, 3)]


def test_long_csv_and_parquet(tmp_path):
    long_csv = write(tmp_path / "bars.csv",
                     "ticker,date,open,high,low,close,adj_close,volume\n"
                     "JD,2025-01-02,35,36,34,35.5,35.1,10\n"
                     "BABA,2025-01-02,80,82,79,81,80.5,20\n")
    from_csv = read_price_import(long_csv, universe_tickers=UNIVERSE)
    assert sorted(from_csv.bars["ticker"]) == ["BABA", "JD"] and from_csv.new_tickers == []

    parquet = tmp_path / "bars.parquet"
    pd.DataFrame({
        "ticker": ["JD", "BABA"],
        "session_date": pd.to_datetime(["2025-01-02", "2025-01-02"]).date,
        "open": [35.0, 80.0], "high": [36.0, 82.0], "low": [34.0, 79.0],
        "close": [35.5, 81.0], "adj_close": [35.1, 80.5], "volume": [10, 20],
    }).to_parquet(parquet)
    from_parquet = read_price_import(parquet, universe_tickers=UNIVERSE)
    pd.testing.assert_frame_equal(from_parquet.bars, from_csv.bars)


HEADER = "date,open,high,low,close,volume\n"
GOOD = "2025-01-02,80,82,79,81,1000\n"


@pytest.mark.parametrize(
    ("body", "line", "problem"),
    [
        (HEADER + GOOD + "2025-13-02,80,82,79,81,1000\n", 3, "unparseable date"),
        (HEADER + GOOD + "01/03/2025,80,82,79,81,1000\n", 3, "unparseable date"),
        (HEADER + GOOD + "2025-01-03,80,82,79,eighty,1000\n", 3, "non-numeric close"),
        (HEADER + GOOD + "2025-01-03,80,82,79,81,-5\n", 3, "negative volume"),
        (HEADER + GOOD + "2025-01-03,80,82,79,-81,5\n", 3, "close must be positive"),
        (HEADER + GOOD + "2025-01-03,80,82,79,,5\n", 3, "empty close"),
        (HEADER + GOOD + GOOD, 3, "duplicate (BABA, 2025-01-02)"),
        (HEADER + GOOD + "2025-01-04,80,82,79,81,5\n", 3, "not an XNYS session"),
        (HEADER + GOOD + "2025-01-03 14:30:00,80,82,79,81,5\n", 3, "time of day"),
        (HEADER + GOOD + "2025-01-03,80,82,79,81\n", 3, "has 5 fields"),
        ("date,open,high,low,volume\n" + "2025-01-02,80,82,79,1000\n", 1, "missing column"),
        (HEADER, 1, "no data rows"),
    ],
)
def test_malformed_csv_names_file_and_line(tmp_path, body, line, problem):
    path = write(tmp_path / "BABA.csv", body)
    with pytest.raises(PriceImportError) as err:
        read_price_import(tmp_path, universe_tickers=UNIVERSE)
    assert f"{path}:{line}: " in str(err.value)
    assert problem in str(err.value)


def test_empty_file_is_named(tmp_path):
    path = write(tmp_path / "BABA.csv", "")
    with pytest.raises(PriceImportError, match="empty file") as err:
        read_price_import(tmp_path, universe_tickers=UNIVERSE)
    assert str(path) in str(err.value)


def test_all_or_nothing_and_every_problem_listed(tmp_path):
    write(tmp_path / "BABA.csv", HEADER + GOOD)
    bad = write(tmp_path / "JD.csv", HEADER + "2025-01-02,x,82,79,81,1\n2025-01-03,1,2,1,1,-1\n")
    with pytest.raises(PriceImportError) as err:
        read_price_import(tmp_path, universe_tickers=UNIVERSE)
    problems = [str(p) for p in err.value.problems]
    assert problems == [f"{bad}:2: non-numeric open 'x'", f"{bad}:3: negative volume '-1'"]


def test_parquet_problems_name_the_row(tmp_path):
    parquet = tmp_path / "bars.parquet"
    pd.DataFrame({
        "ticker": ["JD", "JD"], "date": ["2025-01-02", "2025-01-02"],
        "open": [35.0, 35.0], "high": [36.0, 36.0], "low": [34.0, 34.0],
        "close": [35.5, 35.5], "volume": [10, 10],
    }).to_parquet(parquet)
    with pytest.raises(PriceImportError, match=r"bars.parquet row 2: duplicate \(JD, 2025-01-02\)"):
        read_price_import(parquet, universe_tickers=UNIVERSE)


def test_long_csv_ticker_must_match_a_per_ticker_file_name(tmp_path):
    write(tmp_path / "BABA.csv", "ticker," + HEADER + "JD," + GOOD)
    with pytest.raises(PriceImportError, match=r"BABA.csv:2: ticker JD in a file named for BABA"):
        read_price_import(tmp_path, universe_tickers=UNIVERSE)
