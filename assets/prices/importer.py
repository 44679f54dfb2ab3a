"""Read daily bars a user brings (CSV or Parquet) into the canonical long form, all or nothing.

Accepted inputs:
- a directory of per-ticker CSVs named `<TICKER>.csv`, header `date,open,high,low,close,volume`
  plus optional `adj_close,dividends,splits`; names are case-insensitive;
- the CSV of yfinance's `Ticker.history(...).to_csv()`: `Date,Open,High,Low,Close,Volume,
  Dividends,Stock Splits` (plus `Adj Close` with auto_adjust=False), dates such as
  `2025-01-02 00:00:00-05:00`; the session is the date as stamped, in the exchange's own zone
  (`+08:00` included), never converted;
- the CSV of `yf.download(...).to_csv()`: two or three header lines (Price / Ticker [/ Date], or
  Ticker / Price with group_by='ticker'), one ticker or several; a ticker's empty cells on a day
  another ticker traded are no bar, as yfinance meant them;
- one CSV or Parquet file in long form with a `ticker` column (a CSV without one is read as a
  per-ticker file named after its stem).

Which close is adjusted: an `adj_close` (`Adj Close`) column is the adjusted close and `close` the
close as Yahoo reports it. A yfinance file without `Adj Close` comes from auto_adjust=True, the
default of both history() and download(): its Close is Yahoo's adjusted close, stored as adj_close
(adj_close_source 'provider'), and there is no unadjusted close, so open/high/low/close hold the
adjusted prices too. Any other file without an adjusted close: adj_close = close and
adj_close_source = 'close', so returns on such a series ignore dividends (and the CLI says so).

Every file is checked completely before anything is returned: a PriceImportError lists each
problem with its file and line (1-based, the header is line 1; Parquet rows are numbered from 1),
so a user can fix the file in one pass. Rows that parse are then checked with the price checks'
own SQL (import_checks.py): the same rules live data meets, before anything is archived.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from assets.calendar import CALENDAR_END, CALENDAR_START, NEW_YORK, exchange_of, is_session
from assets.prices import validation
from assets.prices.checks import PRICE_CHECKS
from assets.prices.import_checks import check_import, rows_already_stored
from assets.prices.normalize import PROVIDER, canonical_dtypes, empty_bars

ADJ_FROM_CLOSE = "close"
REQUIRED_FIELDS = ("date", "open", "high", "low", "close", "volume")
OPTIONAL_FIELDS = ("adj_close", "dividends", "splits", "ticker")
_ALIASES: dict[str, str] = {
    "date": "date",
    "datetime": "date",
    "session_date": "date",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "volume": "volume",
    "adj_close": "adj_close",
    "adjclose": "adj_close",
    "adjusted_close": "adj_close",
    "dividends": "dividends",
    "dividend": "dividends",
    "splits": "splits",
    "stock_splits": "splits",
    "ticker": "ticker",
    "symbol": "ticker",
}
_TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.\-=^]*$")
# A session date, optionally with a midnight time and a zone offset as pandas/yfinance write them.
_DATE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
# How pandas writes a zone-aware timestamp, as in Ticker.history(...).to_csv().
_ZONED_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?[+-]\d{2}:\d{2}$")
_MAX_PROBLEMS = 50
# What an import reads at most, so a hostile or broken file costs bounded memory and time: a CSV
# is read in blocks and refused at the first line longer than _MAX_LINE_BYTES (a row of daily
# bars is under 200 bytes; a header of a yfinance download of 500 tickers about 50 KB), and a
# Parquet file is judged by its footer before its rows are read.
_MAX_FILE_BYTES = 512 * 1024 * 1024
_MAX_LINE_BYTES = 1024 * 1024
_MAX_PARQUET_ROWS = 10_000_000
_MAX_PARQUET_COLUMNS = 1_000
_READ_BLOCK = 1 << 16
_LINE_BREAKS = re.compile(rb"[\r\n]")


@dataclass(frozen=True)
class ImportProblem:
    path: Path
    line: int | None  # CSV: 1-based line (header = 1); Parquet: 1-based row; None: whole file
    message: str
    kind: str = "line"  # line | row

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.message}"
        if self.kind == "row":
            return f"{self.path} row {self.line}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class PriceImportError(ValueError):
    """One or more problems in an import; nothing was imported."""

    def __init__(self, problems: list[ImportProblem], truncated: bool = False) -> None:
        self.problems = problems
        more = " (more problems not shown)" if truncated else ""
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(
            f"price import refused, {len(problems)} problem(s){more}; fix the file(s) and "
            f"import again:\n{lines}"
        )


@dataclass
class PriceImport:
    bars: pd.DataFrame  # canonical long form, warehouse.archive.PRICE_COLUMNS
    new_tickers: list[str]  # tickers not in the universe
    files: list[Path]
    # Tickers from yfinance files without Adj Close: their Close is Yahoo's adjusted close.
    auto_adjusted: list[str] = field(default_factory=list)
    # Tickers a yfinance download names in its header but has no rows for (failed downloads).
    empty_tickers: list[str] = field(default_factory=list)
    # Rows the warehouse already holds with the same values (checked against `stored` only).
    already_stored: int = 0


class _Problems:
    def __init__(self) -> None:
        self.items: list[ImportProblem] = []
        self.truncated = False

    def add(self, path: Path, line: int | None, message: str, kind: str = "line") -> None:
        if len(self.items) >= _MAX_PROBLEMS:
            self.truncated = True
            return
        self.items.append(ImportProblem(path, line, message, kind))


@dataclass
class _Table:
    """One file's rows (or one ticker's rows of a multi-ticker file) as raw values, with the
    line (or row) number of each."""

    path: Path
    fields: dict[str, int]  # canonical field -> column position
    rows: list[list[Any]]
    numbers: list[int]
    kind: str  # line | row
    ticker_from_name: str | None  # the file's ticker: its name, or a yfinance header
    close_is_adjusted: bool = False  # a yfinance file without Adj Close (auto_adjust=True)
    # A yf.download file: each line holds every ticker's columns, so a line number alone does not
    # say whose cell is wrong; its problems name the ticker too.
    shares_lines: bool = False


# Where each parsed row came from: (ticker, session) -> [(file, line or row, kind)].
_Locations = dict[tuple[str, date], list[tuple[Path, int, str]]]


def read_price_import(
    path: Path,
    *,
    universe_tickers: set[str],
    require_sessions: bool = True,
    stored: duckdb.DuckDBPyConnection | None = None,
    today: date | None = None,
) -> PriceImport:
    """Read and validate an import (directory of per-ticker CSVs, or one CSV/Parquet file).

    `require_sessions`: refuse rows dated on a day that is not an XNYS session (a weekend or an
    exchange holiday usually means the file was shifted by a zone conversion).
    `stored`: the warehouse, opened read-only. Gaps are then judged on what raw.daily_bars will
    hold after the load, and `already_stored` counts the rows it holds unchanged. Without it, the
    file is judged alone.
    `today`: the New York date after which a bar is in the future (default: now).
    """
    path = Path(path)
    today = today or datetime.now(NEW_YORK).date()
    problems = _Problems()
    tables: list[_Table] = []
    if path.is_dir():
        entries = [
            p for p in path.iterdir()
            if p.suffix.lower() == ".csv" and not p.name.startswith(".")
        ]
        # A link is not followed: it could point anywhere on the machine, and the refusal of a
        # file that is not a price file quotes its first line.
        for link in sorted(p for p in entries if p.is_symlink()):
            problems.add(link, None, "is a symbolic link, and links in an import folder are not "
                         "followed; copy the file itself into the folder")
        files = sorted(p for p in entries if not p.is_symlink() and p.is_file())
        if not files and not problems.items:
            raise PriceImportError(
                [ImportProblem(path, None, "no <TICKER>.csv files in this directory")]
            )
        for f in files:
            tables.extend(_read_csv(f, problems, per_ticker=True))
    elif path.is_file():
        files = [path]
        suffix = path.suffix.lower()
        if suffix == ".csv":
            tables.extend(_read_csv(path, problems, per_ticker=False))
        elif suffix in (".parquet", ".pq"):
            tables.extend(_read_parquet(path, problems))
        else:
            raise PriceImportError(
                [ImportProblem(path, None, "unsupported file type; give .csv, .parquet or a "
                               "directory of <TICKER>.csv files")]
            )
    else:
        raise PriceImportError([ImportProblem(path, None, "does not exist")])

    records: list[dict[str, Any]] = []
    locations: _Locations = {}
    file_of_ticker: dict[str, Path] = {}
    empty: list[str] = []
    for table in tables:
        if table.ticker_from_name and table.kind == "line":
            other = file_of_ticker.get(table.ticker_from_name)
            if other is not None and other != table.path:
                problems.add(table.path, None,
                             f"ticker {table.ticker_from_name} also comes from {other}")
                continue
            file_of_ticker[table.ticker_from_name] = table.path
        if not table.rows and table.ticker_from_name:
            empty.append(table.ticker_from_name)
            continue
        records.extend(_validate_rows(table, problems, require_sessions, today, locations))

    bars = empty_bars()
    already = 0
    if records:
        bars = pd.DataFrame.from_records(records)
        bars = bars.sort_values(["ticker", "session_date"], kind="stable")
        bars = canonical_dtypes(bars)
        con = stored if stored is not None else duckdb.connect()
        try:
            for failed in check_import(con, bars):
                for problem in _rule_problems(failed, locations, file_of_ticker, path):
                    problems.items.append(problem)
            if stored is not None:
                already = rows_already_stored(stored, bars)
        finally:
            if stored is None:
                con.close()
    if problems.items:
        raise PriceImportError(problems.items, problems.truncated)
    if bars.empty:
        return PriceImport(empty_bars(), [], files, empty_tickers=sorted(set(empty)))
    universe = {t.upper() for t in universe_tickers}
    new_tickers = sorted(t for t in bars["ticker"].unique() if t not in universe)
    auto_adjusted = sorted(
        {t.ticker_from_name for t in tables if t.close_is_adjusted and t.ticker_from_name}
        & set(bars["ticker"])
    )
    return PriceImport(
        bars=bars,
        new_tickers=new_tickers,
        files=files,
        auto_adjusted=auto_adjusted,
        empty_tickers=sorted(set(empty) - set(bars["ticker"])),
        already_stored=already,
    )


# --- the price checks' rules, as import problems --------------------------------------------


def _value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _rule_problems(
    result: validation.CheckResult,
    locations: _Locations,
    file_of_ticker: dict[str, Path],
    root: Path,
) -> list[ImportProblem]:
    """One problem per offending row the check listed (its first rows), each naming the file,
    line, ticker, session and rule; and a count when it listed only the first rows."""
    rule = PRICE_CHECKS.get(result.name, (result.description, True))[0].rstrip(".")
    out: list[ImportProblem] = []
    for example in result.examples:
        ticker = str(example["ticker"])
        session = str(example.get("session_date") or example.get("missing_session"))
        values = {
            k: v for k, v in example.items()
            if k not in ("ticker", "session_date", "missing_session")
        }
        head = f"{ticker} {session} breaks {result.name} ({rule})"
        if result.name == "bars_no_gaps":
            out.append(ImportProblem(
                file_of_ticker.get(ticker, root), None,
                f"{head}: no bar for this XNYS session, neither in the file nor stored; add the "
                "row, or import a file that covers it",
            ))
            continue
        places = locations.get((ticker, date.fromisoformat(session)), [])
        detail = ", ".join(f"{k}={_value_text(v)}" for k, v in values.items())
        if len(places) > 1:
            detail += "; also at " + ", ".join(_where(*p) for p in places[1:])
        path, line, kind = places[0] if places else (file_of_ticker.get(ticker, root), None, "")
        out.append(ImportProblem(path, line, f"{head}: {detail}", kind or "line"))
    if result.failing_rows > len(result.examples):
        out.append(ImportProblem(
            root, None,
            f"{result.name}: {result.description}; the first {len(result.examples)} are listed",
        ))
    return out


def _where(path: Path, line: int, kind: str) -> str:
    return f"{path} row {line}" if kind == "row" else f"{path}:{line}"


# --- reading ---------------------------------------------------------------------------------


def _field_of(name: str) -> str | None:
    return _ALIASES.get(re.sub(r"[\s\-]+", "_", name.strip().lower()))


def _canonical_header(
    raw: list[str], path: Path, problems: _Problems, line: int | None = 1
) -> dict[str, int] | None:
    fields: dict[str, int] = {}
    ok = True
    for position, name in enumerate(raw):
        canonical = _field_of(name)
        if canonical is None:
            continue  # extra columns (e.g. yfinance's Capital Gains) are ignored
        if canonical in fields:
            first = raw[fields[canonical]]
            problems.add(path, line, f"columns {first!r} and {name!r} both mean {canonical}")
            ok = False
        fields[canonical] = position
    missing = [f for f in REQUIRED_FIELDS if f not in fields]
    if missing:
        shown = ",".join(raw)
        if len(shown) > 200:  # a hostile or binary first line is named, not echoed whole
            shown = shown[:200] + "..."
        problems.add(
            path, line,
            f"missing column(s) {', '.join(missing)}; header is {shown!r}, expected "
            f"{','.join(REQUIRED_FIELDS)} (+ optional adj_close,dividends,splits)",
        )
        ok = False
    return fields if ok else None


def _ticker_from_stem(path: Path, problems: _Problems) -> str | None:
    ticker = path.stem.strip().upper()
    if not _TICKER.match(ticker):
        problems.add(path, None, f"file name {path.name!r} is not <TICKER>.csv")
        return None
    return ticker


def _read_text(path: Path, problems: _Problems) -> str | None:
    """The file as UTF-8 text, read in blocks; None (with a problem naming the file and line)
    for a file larger than _MAX_FILE_BYTES, a line longer than _MAX_LINE_BYTES or bytes that
    are not UTF-8. A 200 MB line is refused after its first MiB, not read whole."""
    size = path.stat().st_size
    if size > _MAX_FILE_BYTES:
        problems.add(path, None, f"{size:,} bytes, more than the {_MAX_FILE_BYTES:,} an import "
                     "reads; split it (one <TICKER>.csv per ticker, or one file per year)")
        return None
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    parts: list[str] = []
    line = 1  # the line the next block starts on
    run = 0  # bytes since the last line break
    with open(path, "rb") as fh:
        while block := fh.read(_READ_BLOCK):
            pieces = _LINE_BREAKS.split(block)
            longest = run + len(pieces[0]) if len(pieces) == 1 else max(
                run + len(pieces[0]), *(len(p) for p in pieces[1:])
            )
            if longest > _MAX_LINE_BYTES:
                at = line + (block.count(b"\n") if len(pieces) > 1 else 0)
                problems.add(path, at, f"a line longer than {_MAX_LINE_BYTES:,} bytes (a row of "
                             "daily bars is under 200): not a price file, or a quoted field "
                             "that never ends")
                return None
            run = len(pieces[-1]) if len(pieces) > 1 else run + len(block)
            try:
                parts.append(decoder.decode(block))
            except UnicodeDecodeError as exc:
                at = line + block[: max(exc.start, 0)].count(b"\n")
                problems.add(path, at, f"not UTF-8 text ({exc.reason}); save the file as UTF-8")
                return None
            line += block.count(b"\n")
    try:
        parts.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        problems.add(path, line, f"not UTF-8 text ({exc.reason} at the end of the file)")
        return None
    return "".join(parts)


def _numbered_rows(path: Path, problems: _Problems) -> list[tuple[int, list[str]]] | None:
    text = _read_text(path, problems)
    if text is None:
        return None
    if not text.strip():
        problems.add(path, None, "empty file")
        return None
    reader = csv.reader(text.splitlines(keepends=True))
    numbered: list[tuple[int, list[str]]] = []
    previous_end = 0
    try:
        for row in reader:
            first_line = previous_end + 1
            previous_end = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue  # blank lines carry no data
            numbered.append((first_line, row))
    except csv.Error as exc:  # e.g. a quoted field beyond csv.field_size_limit()
        problems.add(path, previous_end + 1, f"unreadable CSV: {exc}")
        return None
    return numbered


def _read_csv(path: Path, problems: _Problems, *, per_ticker: bool) -> list[_Table]:
    numbered = _numbered_rows(path, problems)
    if numbered is None:
        return []
    layout = _download_layout(numbered)
    if layout is not None:
        return _read_download(path, problems, numbered, layout, per_ticker=per_ticker)

    header_line, header = numbered[0]
    body = numbered[1:]
    fields = _canonical_header(header, path, problems, header_line)
    if fields is None:
        return []
    if not body:
        problems.add(path, header_line, "header but no data rows")
        return []

    # A per-ticker file (or a single CSV without a ticker column) is named after its ticker.
    ticker_from_name = None
    if per_ticker or "ticker" not in fields:
        ticker_from_name = _ticker_from_stem(path, problems)
        if ticker_from_name is None:
            return []

    width = len(header)
    rows: list[list[Any]] = []
    numbers: list[int] = []
    for line, row in body:
        if len(row) != width:
            problems.add(path, line, f"has {len(row)} fields, the header has {width}")
            continue
        rows.append(row)
        numbers.append(line)
    # yfinance's history(): its own column name "Stock Splits", or zone-stamped dates.
    from_yfinance = any(c.strip().lower() == "stock splits" for c in header) or any(
        _ZONED_STAMP.match(r[fields["date"]].strip()) for r in rows[:5]
    )
    close_is_adjusted = from_yfinance and "adj_close" not in fields
    return [_Table(path, fields, rows, numbers, "line", ticker_from_name, close_is_adjusted)]


def _looks_like_ticker(cell: str) -> bool:
    text = cell.strip().upper()
    if not _TICKER.match(text) or not re.search(r"[A-Z]", text):
        return False
    try:
        float(text)
    except ValueError:
        return True
    return False  # 1E5 is a number


def _download_layout(numbered: list[tuple[int, list[str]]]) -> tuple[int, int, int] | None:
    """(field row, ticker row, first data row) of the header yf.download(...).to_csv() writes,
    or None for a one-line header.

        Price,Close,Close,High,...      or  Ticker,JD,JD,...        (group_by='ticker')
        Ticker,BABA,JD,BABA,...             Price,Open,High,...
        Date,,,,...    (absent when the index had no name, or after reset_index())
    """
    if len(numbered) < 2:
        return None
    r1, r2 = numbered[0][1], numbered[1][1]
    first1, first2 = r1[0].strip().lower(), r2[0].strip().lower()
    if first1 not in ("price", "ticker", "", "date") or first2 not in ("price", "ticker", ""):
        return None
    if len(r1) != len(r2) or len(r1) < 2:
        return None
    fields_at, tickers_at = (1, 0) if first1 == "ticker" or first2 == "price" else (0, 1)
    field_cells = (r1, r2)[fields_at][1:]
    ticker_cells = (r1, r2)[tickers_at][1:]
    if not any(_field_of(c) for c in field_cells):
        return None
    if not all(_looks_like_ticker(c) for c in ticker_cells):
        return None
    start = 2
    if len(numbered) > 2:
        r3 = numbered[2][1]
        if r3[0].strip().lower() in ("date", "datetime") and all(not c.strip() for c in r3[1:]):
            start = 3
    return fields_at, tickers_at, start


def _read_download(
    path: Path,
    problems: _Problems,
    numbered: list[tuple[int, list[str]]],
    layout: tuple[int, int, int],
    *,
    per_ticker: bool,
) -> list[_Table]:
    """One table per ticker of a yf.download(...).to_csv() file; the date is the first column."""
    fields_at, tickers_at, start = layout
    field_row, ticker_row = numbered[fields_at], numbered[tickers_at]
    columns: dict[str, dict[str, int]] = {}
    ok = True
    for position in range(1, len(field_row[1])):
        name = field_row[1][position]
        canonical = _field_of(name)
        if canonical is None:
            continue  # Capital Gains and the like
        ticker = ticker_row[1][position].strip().upper()
        mapping = columns.setdefault(ticker, {"date": 0})
        if canonical in mapping:
            problems.add(path, field_row[0], f"column {name!r} appears twice for {ticker}")
            ok = False
        mapping[canonical] = position
    for ticker, mapping in columns.items():
        missing = [f for f in REQUIRED_FIELDS if f not in mapping]
        if missing:
            problems.add(path, field_row[0],
                         f"ticker {ticker} lacks column(s) {', '.join(missing)} in the yfinance "
                         "header")
            ok = False
    if per_ticker and len(columns) == 1:
        [only] = columns
        named = path.stem.strip().upper()
        if named != only:
            problems.add(path, ticker_row[0],
                         f"yfinance header names ticker {only}, the file name {named}")
            ok = False
    if not ok:
        return []
    body = numbered[start:]
    if not body:
        problems.add(path, numbered[start - 1][0], "header but no data rows")
        return []
    width = len(field_row[1])
    good = []
    for line, row in body:
        if len(row) != width:
            problems.add(path, line, f"has {len(row)} fields, the header has {width}")
            continue
        good.append((line, row))
    tables = []
    for ticker, mapping in columns.items():
        names = list(mapping)
        fields = {name: i for i, name in enumerate(names)}
        rows: list[list[Any]] = []
        numbers: list[int] = []
        for line, row in good:
            values = [row[mapping[name]] for name in names]
            if all(not v.strip() for v in values[1:]):
                continue  # yfinance's empty cells: no bar for this ticker that day
            rows.append(values)
            numbers.append(line)
        tables.append(
            _Table(path, fields, rows, numbers, "line", ticker, "adj_close" not in mapping,
                   shares_lines=True)
        )
    return tables


def _parquet_too_large(path: Path, problems: _Problems) -> bool:
    """Judge a Parquet file by its footer: a few KB of compressed file can hold a billion
    rows, which the reader would expand in memory."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises several types for a damaged file
        problems.add(path, None, f"cannot read as Parquet: {exc}")
        return True
    if meta.num_columns > _MAX_PARQUET_COLUMNS:
        problems.add(path, None, f"{meta.num_columns:,} columns, more than the "
                     f"{_MAX_PARQUET_COLUMNS:,} an import reads; keep the bar columns only")
        return True
    if meta.num_rows > _MAX_PARQUET_ROWS:
        problems.add(path, None, f"{meta.num_rows:,} rows, more than the {_MAX_PARQUET_ROWS:,} "
                     "an import reads; split it (one file per year, say)")
        return True
    return False


def _read_parquet(path: Path, problems: _Problems) -> list[_Table]:
    if _parquet_too_large(path, problems):
        return []
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        problems.add(path, None, f"cannot read as Parquet: {exc}")
        return []
    if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    header = [str(c) for c in frame.columns]
    fields = _canonical_header(header, path, problems, None)
    if fields is None:
        return []
    if "ticker" not in fields:
        problems.add(path, None, "no ticker column (a Parquet import is in long form)")
        return []
    if frame.empty:
        problems.add(path, None, "empty file (no rows)")
        return []
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    return [_Table(path, fields, rows, list(range(1, len(rows) + 1)), "row", None)]


# --- validating ------------------------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _parse_date(value: Any) -> tuple[date | None, str | None]:
    """A session date from a cell: text, a date, or a timestamp at midnight (zone kept as is)."""
    if isinstance(value, (datetime, pd.Timestamp, np.datetime64)):
        stamp = pd.Timestamp(value)
        if stamp.tz is not None:
            stamp = stamp.tz_localize(None)  # the wall date as stamped; never convert zones
        if stamp != stamp.normalize():
            return None, f"date {value} has a time of day; give the session date (YYYY-MM-DD)"
        return stamp.date(), None
    if isinstance(value, date):
        return value, None
    text = str(value).strip()
    match = _DATE.match(text)
    if not match:
        return None, f"unparseable date {text!r}; expected YYYY-MM-DD"
    time_part = match.group(2)
    if time_part and any(ch not in "0:." for ch in time_part):
        return None, (
            f"date {text!r} has a time of day; give the session date (YYYY-MM-DD), or the "
            "midnight stamp yfinance writes in the exchange's zone (a converted zone shifts it)"
        )
    try:
        return date.fromisoformat(match.group(1)), None
    except ValueError:
        return None, f"unparseable date {text!r} (no such day)"


def _parse_number(value: Any, name: str) -> tuple[float | None, str | None]:
    if _is_blank(value):
        return None, f"empty {name}"
    if isinstance(value, bool):
        return None, f"non-numeric {name} {value!r}"
    try:
        number = float(str(value).strip().replace("_", "")) if isinstance(value, str) else float(
            value
        )
    except (TypeError, ValueError):
        return None, f"non-numeric {name} {value!r}"
    if not math.isfinite(number):
        return None, f"non-finite {name} {value!r}"
    return number, None


def _validate_rows(
    table: _Table,
    problems: _Problems,
    require_sessions: bool,
    today: date,
    locations: _Locations,
) -> list[dict[str, Any]]:
    """Each row parsed into a canonical bar, or its parse problems reported.

    What a cell must be to make a bar at all is checked here (a date on the XNYS calendar and not
    in the future, finite numbers, a whole volume, positive open/high/low, non-negative
    dividends and splits). The rules the price checks apply to stored bars (unique key,
    positive close and adj_close, OHLC consistency, volume >= 0, gaps) are not repeated here:
    import_checks.py runs the checks' own SQL on the parsed rows.
    """
    f = table.fields
    has_adj = "adj_close" in f
    if has_adj:
        source = PROVIDER
    elif table.close_is_adjusted:
        source = PROVIDER  # yfinance auto_adjust=True: Close is Yahoo's adjusted close
    else:
        source = ADJ_FROM_CLOSE
    out: list[dict[str, Any]] = []
    for row, number in zip(table.rows, table.numbers, strict=True):
        def bad(message: str, number: int = number) -> None:
            if table.shares_lines:
                message = f"{table.ticker_from_name}: {message}"
            problems.add(table.path, number, message, table.kind)

        ok = True
        if "ticker" in f:
            raw_ticker = row[f["ticker"]]
            ticker = "" if _is_blank(raw_ticker) else str(raw_ticker).strip().upper()
            if not _TICKER.match(ticker):
                bad(f"invalid ticker {raw_ticker!r}")
                ok = False
            elif table.ticker_from_name and ticker != table.ticker_from_name:
                bad(f"ticker {ticker} in a file named for {table.ticker_from_name}")
                ok = False
        else:
            ticker = table.ticker_from_name or ""

        day, error = _parse_date(row[f["date"]])
        if error:
            bad(error)
            ok = False
        elif day > today:
            bad(f"date {day} is in the future (today is {today} in New York)")
            ok = False
        elif require_sessions:
            # Each ticker against its own exchange: 9988.HK trades on Presidents' Day, not in
            # Lunar New Year.
            exchange = exchange_of(ticker)
            if not CALENDAR_START <= day <= CALENDAR_END:
                bad(f"date {day} is outside the {exchange} calendar range "
                    f"{CALENDAR_START}..{CALENDAR_END}")
                ok = False
            elif not is_session(day, exchange):
                bad(f"date {day} is not an {exchange} session (weekend or exchange holiday)")
                ok = False

        values: dict[str, float | None] = {}
        price_fields = ["open", "high", "low", "close"] + (["adj_close"] if has_adj else [])
        for name in price_fields:
            number_value, error = _parse_number(row[f[name]], name)
            if error:
                bad(error)
                ok = False
            elif name in ("open", "high", "low") and number_value <= 0:
                # close and adj_close are the prices_positive check's (import_checks.py).
                bad(f"{name} must be positive, got {row[f[name]]!r}")
                ok = False
            values[name] = number_value

        volume, error = _parse_number(row[f["volume"]], "volume")
        if error:
            bad(error)
            ok = False
        elif volume != int(volume):
            bad(f"volume {row[f['volume']]!r} is not a whole number")
            ok = False
        elif abs(volume) >= 2**63:  # the warehouse stores volume as BIGINT
            bad(f"volume {row[f['volume']]!r} is out of range (at most {2**63 - 1:,})")
            ok = False

        for name in ("dividends", "splits"):
            values[name] = 0.0
            if name in f and not _is_blank(row[f[name]]):
                number_value, error = _parse_number(row[f[name]], name)
                if error:
                    bad(error)
                    ok = False
                elif number_value < 0:
                    bad(f"negative {name} {row[f[name]]!r}")
                    ok = False
                else:
                    values[name] = number_value

        if not ok:
            continue
        locations.setdefault((ticker, day), []).append((table.path, number, table.kind))
        out.append(
            {
                "ticker": ticker,
                "session_date": day,
                "open": values["open"],
                "high": values["high"],
                "low": values["low"],
                "close": values["close"],
                "adj_close": values["adj_close"] if has_adj else values["close"],
                "volume": int(volume),
                "dividends": values["dividends"],
                "stock_splits": values["splits"],
                "adj_close_source": source,
            }
        )
    return out
