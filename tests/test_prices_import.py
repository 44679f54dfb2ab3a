"""read_price_import: each accepted format (yfinance's own CSVs included), malformed files named by
file and line, and the price checks' rules applied before anything is archived."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import yfinance.utils

from assets.calendar import sessions_between
from assets.prices.importer import PriceImportError, read_price_import
from tests.support.yfinance_fakes import FakeYahoo, history_frame
from warehouse.archive import PRICE_COLUMNS
from warehouse.schema import create_raw_schema

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
TODAY = date(2026, 6, 1)
GOOD = "2025-01-02,80,82,79,81,1000\n"


@pytest.mark.parametrize(
    ("body", "line", "problem"),
    [
        (HEADER + GOOD + "2025-13-02,80,82,79,81,1000\n", 3, "unparseable date"),
        (HEADER + GOOD + "01/03/2025,80,82,79,81,1000\n", 3, "unparseable date"),
        (HEADER + GOOD + "2025-01-03,80,82,79,eighty,1000\n", 3, "non-numeric close"),
        (HEADER + GOOD + "2025-01-03,80,82,79,81,-5\n", 3,
         "BABA 2025-01-03 breaks volume_non_negative (volume >= 0 on every bar): volume=-5"),
        (HEADER + GOOD + "2025-01-03,80,82,79,-81,5\n", 3,
         "BABA 2025-01-03 breaks prices_positive (close and adj_close are present, not NaN, and "
         "> 0): close=-81, adj_close=-81"),
        (HEADER + GOOD + "2025-01-03,80,82,79,0,5\n", 3, "BABA 2025-01-03 breaks prices_positive"),
        (HEADER + GOOD + "2025-01-03,0,82,79,81,5\n", 3, "open must be positive"),
        (HEADER + GOOD + "2025-01-03,80,82,79,83,5\n", 3,
         "BABA 2025-01-03 breaks ohlc_consistent (low <= open, close <= high on every bar): "
         "open=80, high=82, low=79, close=83"),
        (HEADER + GOOD + "2025-01-03,80,78,79,78.5,5\n", 3,
         "BABA 2025-01-03 breaks ohlc_consistent"),  # high below low
        (HEADER + GOOD + "2025-01-03,80,82,79,nan,5\n", 3, "non-finite close 'nan'"),
        (HEADER + GOOD + "2025-01-03,80,82,79,inf,5\n", 3, "non-finite close 'inf'"),
        (HEADER + GOOD + "2025-01-03,80,82,79,81,5.5\n", 3, "volume '5.5' is not a whole number"),
        (HEADER + GOOD + "1999-12-31,80,82,79,81,5\n", 3, "outside the XNYS calendar range"),
        (HEADER + GOOD + "2027-01-04,80,82,79,81,5\n", 3, "date 2027-01-04 is in the future"),
        (HEADER + GOOD + "2025-01-03,80,82,79,,5\n", 3, "empty close"),
        # A vendor file whose first bar has a close but no adjusted close: refused, not stored
        # with the close standing in (a return from it would be a return on another scale).
        ("date,open,high,low,close,volume,adj_close\n2025-01-02,80,82,79,81,1000,\n"
         "2025-01-03,80,82,79,81,5,80.5\n", 2, "empty adj_close"),
        (HEADER + GOOD + GOOD, 2, "BABA 2025-01-02 breaks bars_unique"),
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
        read_price_import(tmp_path, universe_tickers=UNIVERSE, today=TODAY)
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
    assert problems == [
        f"{bad}:2: non-numeric open 'x'",
        f"{bad}:3: JD 2025-01-03 breaks volume_non_negative (volume >= 0 on every bar): volume=-1",
    ]


def test_parquet_problems_name_the_row(tmp_path):
    parquet = tmp_path / "bars.parquet"
    pd.DataFrame({
        "ticker": ["JD", "JD"], "date": ["2025-01-02", "2025-01-02"],
        "open": [35.0, 35.0], "high": [36.0, 36.0], "low": [34.0, 34.0],
        "close": [35.5, 35.5], "volume": [10, 10],
    }).to_parquet(parquet)
    with pytest.raises(PriceImportError) as err:
        read_price_import(parquet, universe_tickers=UNIVERSE)
    [problem] = [str(p) for p in err.value.problems]
    assert problem.startswith(f"{parquet} row 1: JD 2025-01-02 breaks bars_unique")
    assert problem.endswith(f"copies=2; also at {parquet} row 2")


def test_long_csv_ticker_must_match_a_per_ticker_file_name(tmp_path):
    write(tmp_path / "BABA.csv", "ticker," + HEADER + "JD," + GOOD)
    with pytest.raises(PriceImportError, match=r"BABA.csv:2: ticker JD in a file named for BABA"):
        read_price_import(tmp_path, universe_tickers=UNIVERSE)


def test_only_the_first_offending_rows_are_listed_with_the_count(tmp_path):
    days = sessions_between(date(2025, 1, 2), date(2025, 1, 31))[:15]
    rows = "".join(f"{d},80,82,79,90,1000\n" for d in days)  # close above high on every row
    path = write(tmp_path / "BABA.csv", HEADER + rows)
    with pytest.raises(PriceImportError) as err:
        read_price_import(tmp_path, universe_tickers=UNIVERSE)
    problems = [str(p) for p in err.value.problems]
    assert problems[:10] == [
        f"{path}:{i + 2}: BABA {d} breaks ohlc_consistent (low <= open, close <= high on every "
        "bar): open=80, high=82, low=79, close=90"
        for i, d in enumerate(days[:10])
    ]
    assert problems[10] == (
        f"{tmp_path}: ohlc_consistent: 15 rows have open or close outside [low, high]; the "
        "first 10 are listed"
    )
    assert len(problems) == 11


# --- yfinance's own CSVs ---------------------------------------------------------------------

DAYS = ["2025-01-02", "2025-01-03", "2025-01-06"]


def yahoo_history(zone: str = "America/New_York") -> pd.DataFrame:
    """BABA as `Ticker.history(auto_adjust=False)` returns it, stamped in `zone`: a dividend on
    2025-01-03 and a 2:1 split on 2025-01-06 (adjusted close below the close)."""
    frame = history_frame(
        DAYS, [81.0, 82.0, 41.5], adj_closes=[39.6, 40.3, 41.5], volumes=[100, 200, 400],
        dividends={"2025-01-03": 0.5}, splits={"2025-01-06": 2.0},
    )
    frame.index = frame.index.tz_localize(None).tz_localize(zone)
    frame.index.name = "Date"
    return frame


def test_history_to_csv_is_auto_adjusted_by_default(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # yfinance 1.7's inplace= on pandas 3.1: library noise
        adjusted = yfinance.utils.auto_adjust(yahoo_history())  # what history() returns
    adjusted.to_csv(tmp_path / "BABA.csv")
    text = (tmp_path / "BABA.csv").read_text().splitlines()
    assert text[0] == "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits"
    assert text[1].startswith("2025-01-02 00:00:00-05:00,")

    result = read_price_import(tmp_path, universe_tickers=UNIVERSE)

    bars = result.bars
    assert bars["session_date"].tolist() == [date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 6)]
    # Close is Yahoo's adjusted close: it is the adjusted close, and the only close there is.
    assert bars["adj_close"].tolist() == bars["close"].tolist() == [39.6, 40.3, 41.5]
    assert bars["open"].tolist() == adjusted["Open"].tolist()
    assert bars["high"].tolist() == adjusted["High"].tolist()
    assert bars["low"].tolist() == adjusted["Low"].tolist()
    assert bars["volume"].tolist() == [100, 200, 400]
    assert bars["dividends"].tolist() == [0.0, 0.5, 0.0]
    assert bars["stock_splits"].tolist() == [0.0, 0.0, 2.0]
    assert set(bars["adj_close_source"]) == {"provider"}
    assert result.auto_adjusted == ["BABA"]


def test_history_to_csv_with_an_asian_offset_keeps_the_local_session_date(tmp_path):
    # Stamped at midnight +08:00: in UTC (or New York) that is the previous calendar day.
    yahoo_history("Asia/Hong_Kong").to_csv(tmp_path / "BABA.csv")
    assert (tmp_path / "BABA.csv").read_text().splitlines()[1].startswith(
        "2025-01-02 00:00:00+08:00,"
    )

    result = read_price_import(tmp_path, universe_tickers=UNIVERSE)

    bars = result.bars
    assert bars["session_date"].tolist() == [date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 6)]
    assert bars["close"].tolist() == [81.0, 82.0, 41.5]  # with Adj Close, Close is unadjusted
    assert bars["adj_close"].tolist() == [39.6, 40.3, 41.5]
    assert bars["open"].tolist() == [80.5, 81.5, 41.0]
    assert bars["dividends"].tolist() == [0.0, 0.5, 0.0]
    assert bars["stock_splits"].tolist() == [0.0, 0.0, 2.0]
    assert set(bars["adj_close_source"]) == {"provider"} and result.auto_adjusted == []


def test_a_re_zoned_history_is_refused_not_shifted(tmp_path):
    yahoo_history().tz_convert("Asia/Hong_Kong").to_csv(tmp_path / "BABA.csv")  # 13:00+08:00
    with pytest.raises(PriceImportError, match=r"BABA.csv:2: date '2025-01-02 13:00:00\+08:00' "
                                               r"has a time of day"):
        read_price_import(tmp_path, universe_tickers=UNIVERSE)


def download_script() -> dict[str, pd.DataFrame]:
    jd = history_frame(DAYS[:2], [30.0, 31.0], adj_closes=[29.5, 30.5], volumes=[10, 20],
                       dividends={"2025-01-03": 0.25})
    return {"BABA": yahoo_history(), "JD": jd}  # JD's data ends a session earlier


def download(**kwargs: Any) -> pd.DataFrame:
    return FakeYahoo(script=download_script()).download(
        ["BABA", "JD"], start="2025-01-02", end="2025-01-07", progress=False, **kwargs)


def by_ticker(bars: pd.DataFrame) -> dict[str, dict[str, list]]:
    return {
        t: {c: g[c].tolist() for c in ("session_date", "open", "high", "low", "close",
                                       "adj_close", "volume", "dividends", "stock_splits")}
        for t, g in bars.groupby("ticker")
    }


EXPECTED_RAW = {
    "BABA": {
        "session_date": [date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 6)],
        "open": [80.5, 81.5, 41.0], "high": [82.0, 83.0, 42.5], "low": [80.0, 81.0, 40.5],
        "close": [81.0, 82.0, 41.5], "adj_close": [39.6, 40.3, 41.5], "volume": [100, 200, 400],
        "dividends": [0.0, 0.5, 0.0], "stock_splits": [0.0, 0.0, 2.0],
    },
    "JD": {
        "session_date": [date(2025, 1, 2), date(2025, 1, 3)],
        "open": [29.5, 30.5], "high": [31.0, 32.0], "low": [29.0, 30.0],
        "close": [30.0, 31.0], "adj_close": [29.5, 30.5], "volume": [10, 20],
        "dividends": [0.0, 0.25], "stock_splits": [0.0, 0.0],
    },
}


@pytest.mark.parametrize("group_by", ["column", "ticker"])
def test_download_to_csv_of_several_tickers(tmp_path, group_by):
    frame = download(auto_adjust=False, actions=True, group_by=group_by)
    frame.to_csv(tmp_path / "download.csv")
    lines = (tmp_path / "download.csv").read_text().splitlines()
    assert lines[0].split(",")[0] == ("Price" if group_by == "column" else "Ticker")
    assert lines[2].startswith("Date,")
    assert lines[-1].startswith("2025-01-06,") and ",," in lines[-1]  # JD's empty cells

    result = read_price_import(tmp_path, universe_tickers=UNIVERSE)

    assert by_ticker(result.bars) == EXPECTED_RAW
    assert set(result.bars["adj_close_source"]) == {"provider"} and result.auto_adjusted == []


def test_download_to_csv_auto_adjusted_by_default(tmp_path):
    frame = download(actions=True)  # yfinance's default auto_adjust=True: no Adj Close
    frame.to_csv(tmp_path / "download.csv")
    assert "Adj Close" not in (tmp_path / "download.csv").read_text()

    result = read_price_import(tmp_path / "download.csv", universe_tickers=UNIVERSE)

    got = by_ticker(result.bars)
    assert got["BABA"]["close"] == got["BABA"]["adj_close"] == [39.6, 40.3, 41.5]
    assert got["BABA"]["open"] == frame[("Open", "BABA")].tolist()
    assert got["JD"]["close"] == got["JD"]["adj_close"] == [29.5, 30.5]
    assert got["JD"]["session_date"] == [date(2025, 1, 2), date(2025, 1, 3)]
    assert got["BABA"]["stock_splits"] == [0.0, 0.0, 2.0]
    assert result.auto_adjusted == ["BABA", "JD"]
    assert set(result.bars["adj_close_source"]) == {"provider"}


def test_a_download_with_a_missing_adj_close_is_refused_naming_file_and_line(tmp_path):
    """yf.download(auto_adjust=False) leaves Adj Close NaN where Yahoo had none; to_csv writes an
    empty cell. The file is refused at that line, naming the ticker whose cell it is (the line
    holds every ticker's columns), not imported with the close standing in."""
    frame = download(auto_adjust=False, actions=True)
    frame.loc[frame.index[0], ("Adj Close", "BABA")] = float("nan")
    path = tmp_path / "download.csv"
    frame.to_csv(path)
    assert path.read_text().splitlines()[3].startswith("2025-01-02,,29.5,")

    with pytest.raises(PriceImportError) as err:
        read_price_import(path, universe_tickers=UNIVERSE)

    assert f"{path}:4: BABA: empty adj_close" in str(err.value)


@pytest.mark.parametrize("variant", ["unnamed index", "reset_index"])
def test_download_to_csv_with_a_two_line_header(tmp_path, variant):
    frame = download(auto_adjust=False, actions=True)
    if variant == "unnamed index":
        frame.index.name = None
        frame.to_csv(tmp_path / "download.csv")
    else:
        frame.reset_index().to_csv(tmp_path / "download.csv", index=False)
    lines = (tmp_path / "download.csv").read_text().splitlines()
    assert lines[2].startswith("2025-01-02,")  # no "Date" line

    result = read_price_import(tmp_path / "download.csv", universe_tickers=UNIVERSE)

    assert by_ticker(result.bars) == EXPECTED_RAW


def test_a_ticker_the_download_could_not_get_is_named_not_imported(tmp_path):
    fake = FakeYahoo(script={"BABA": yahoo_history()})  # NIO: unknown to the fake, as to Yahoo
    frame = fake.download(["BABA", "NIO"], start="2025-01-02", end="2025-01-07", progress=False,
                          auto_adjust=False)
    frame.to_csv(tmp_path / "download.csv")

    result = read_price_import(tmp_path / "download.csv", universe_tickers=UNIVERSE)

    assert sorted(set(result.bars["ticker"])) == ["BABA"]
    assert result.empty_tickers == ["NIO"]


def test_a_single_ticker_download_must_match_its_file_name(tmp_path):
    FakeYahoo(script={"JD": yahoo_history()}).download(
        ["JD"], start="2025-01-02", end="2025-01-07", progress=False).to_csv(tmp_path / "BABA.csv")
    with pytest.raises(PriceImportError,
                       match="BABA.csv:2: yfinance header names ticker JD, the file name BABA"):
        read_price_import(tmp_path, universe_tickers=UNIVERSE)


def test_a_ticker_in_two_files_is_refused(tmp_path):
    download(auto_adjust=False).to_csv(tmp_path / "download.csv")
    write(tmp_path / "JD.csv", HEADER + GOOD)
    with pytest.raises(PriceImportError, match=r"ticker JD also comes from .*JD.csv"):
        read_price_import(tmp_path, universe_tickers=UNIVERSE)


# --- gaps: judged on what the warehouse will hold after the load -----------------------------

JANUARY = sessions_between(date(2025, 1, 2), date(2025, 1, 31))


def csv_rows(days: list[date], close: float = 81.0) -> str:
    return "".join(f"{d},80,82,79,{close},1000\n" for d in days)


@pytest.fixture
def warehouse(tmp_path):
    """A warehouse holding BABA's bars for the first ten January sessions (one fetch)."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    create_raw_schema(con)
    for day in JANUARY[:10]:
        con.execute(
            "insert into raw.daily_bars values ('BABA', ?, 80, 82, 79, 81, 81, 1000, 0, 0, "
            "'close', '20250115T000000000000Z-import-aaaaaa')", [day])
    yield con
    con.close()


def test_a_gap_inside_the_file_is_refused(tmp_path):
    path = write(tmp_path / "in" / "BABA.csv", HEADER + csv_rows(JANUARY[:3] + JANUARY[5:8]))
    with pytest.raises(PriceImportError) as err:
        read_price_import(tmp_path / "in", universe_tickers=UNIVERSE)
    assert [str(p) for p in err.value.problems] == [
        f"{path}: BABA {d} breaks bars_no_gaps (No XNYS session is missing between a US ticker's "
        "first and last bar): no bar for this XNYS session, neither in the file nor stored; add "
        "the row, or import a file that covers it"
        for d in JANUARY[3:5]
    ]


def test_stored_bars_fill_the_gaps_of_a_file(tmp_path, warehouse):
    # The file skips sessions 3 and 4, which the warehouse holds: after loading there is no gap.
    write(tmp_path / "in" / "BABA.csv", HEADER + csv_rows(JANUARY[:3] + JANUARY[5:12]))
    result = read_price_import(tmp_path / "in", universe_tickers=UNIVERSE, stored=warehouse)
    assert len(result.bars) == 10
    assert result.already_stored == 8  # sessions 0-2 and 5-9 hold the same values already


def test_a_file_that_starts_after_a_gap_in_the_stored_history_is_refused(tmp_path, warehouse):
    write(tmp_path / "in" / "BABA.csv", HEADER + csv_rows(JANUARY[12:15]))
    with pytest.raises(PriceImportError) as err:
        read_price_import(tmp_path / "in", universe_tickers=UNIVERSE, stored=warehouse)
    assert [p.message.split(" breaks")[0] for p in err.value.problems] == [
        f"BABA {JANUARY[10]}", f"BABA {JANUARY[11]}"
    ]


def test_the_same_rows_again_are_all_already_stored(tmp_path, warehouse):
    write(tmp_path / "in" / "BABA.csv", HEADER + csv_rows(JANUARY[:10]))
    result = read_price_import(tmp_path / "in", universe_tickers=UNIVERSE, stored=warehouse)
    assert result.already_stored == len(result.bars) == 10
    write(tmp_path / "in" / "BABA.csv", HEADER + csv_rows(JANUARY[:10], close=81.5))
    changed = read_price_import(tmp_path / "in", universe_tickers=UNIVERSE, stored=warehouse)
    assert changed.already_stored == 0
