"""Read daily bars a user brings (CSV or Parquet) into the canonical long form, all or nothing.

Accepted inputs:
- a directory of per-ticker CSVs named `<TICKER>.csv`, header `date,open,high,low,close,volume`
  plus optional `adj_close,dividends,splits`; yfinance's spellings (`Date,Open,High,Low,Close,
  Adj Close,Volume,Dividends,Stock Splits`) and yfinance's three-line `to_csv` header of a
  downloaded frame (Price / Ticker / Date) are accepted too; names are case-insensitive;
- one CSV or Parquet file in long form with a `ticker` column (a CSV without one is read as a
  per-ticker file named after its stem).

Every file is checked completely before anything is returned: a PriceImportError lists each
problem with its file and line (1-based, the header is line 1; Parquet rows are numbered from 1),
so a user can fix the file in one pass. Without an adjusted close, adj_close = close and
adj_close_source = 'close', so returns on such a series ignore dividends (and say so).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from assets.calendar import CALENDAR_END, CALENDAR_START, is_session
from assets.prices.normalize import PROVIDER, canonical_dtypes, empty_bars

ADJ_FROM_CLOSE = "close"
REQUIRED_FIELDS = ("date", "open", "high", "low", "close", "volume")
OPTIONAL_FIELDS = ("adj_close", "dividends", "splits", "ticker")
_ALIASES: dict[str, str] = {
    "date": "date",
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
_MAX_PROBLEMS = 50


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
    """One file's rows as raw values, with the line (or row) number of each."""

    path: Path
    fields: dict[str, int]  # canonical field -> column position
    rows: list[list[Any]]
    numbers: list[int]
    kind: str  # line | row
    ticker_from_name: str | None


def read_price_import(
    path: Path, *, universe_tickers: set[str], require_sessions: bool = True
) -> PriceImport:
    """Read and validate an import (directory of per-ticker CSVs, or one CSV/Parquet file).

    `require_sessions`: refuse rows dated on a day that is not an XNYS session (a weekend or an
    exchange holiday usually means the file was shifted by a zone conversion).
    """
    path = Path(path)
    problems = _Problems()
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir()
            if p.is_file() and p.suffix.lower() == ".csv" and not p.name.startswith(".")
        )
        if not files:
            raise PriceImportError(
                [ImportProblem(path, None, "no <TICKER>.csv files in this directory")]
            )
        tables = [_read_csv(f, problems, per_ticker=True) for f in files]
    elif path.is_file():
        files = [path]
        suffix = path.suffix.lower()
        if suffix == ".csv":
            tables = [_read_csv(path, problems, per_ticker=False)]
        elif suffix in (".parquet", ".pq"):
            tables = [_read_parquet(path, problems)]
        else:
            raise PriceImportError(
                [ImportProblem(path, None, "unsupported file type; give .csv, .parquet or a "
                               "directory of <TICKER>.csv files")]
            )
    else:
        raise PriceImportError([ImportProblem(path, None, "does not exist")])

    records: list[dict[str, Any]] = []
    seen: dict[tuple[str, date], str] = {}
    seen_file_tickers: dict[str, Path] = {}
    for table in tables:
        if table is None:
            continue
        if table.ticker_from_name and table.kind == "line" and path.is_dir():
            other = seen_file_tickers.get(table.ticker_from_name)
            if other is not None:
                problems.add(table.path, None,
                             f"ticker {table.ticker_from_name} also comes from {other}")
                continue
            seen_file_tickers[table.ticker_from_name] = table.path
        records.extend(_validate_rows(table, problems, seen, require_sessions))

    if problems.items:
        raise PriceImportError(problems.items, problems.truncated)
    if not records:
        return PriceImport(empty_bars(), [], files)
    bars = pd.DataFrame.from_records(records)
    bars = bars.sort_values(["ticker", "session_date"], kind="stable")
    bars = canonical_dtypes(bars)
    universe = {t.upper() for t in universe_tickers}
    new_tickers = sorted(t for t in bars["ticker"].unique() if t not in universe)
    return PriceImport(bars=bars, new_tickers=new_tickers, files=files)


# --- reading ---------------------------------------------------------------------------------


def _canonical_header(
    raw: list[str], path: Path, problems: _Problems, line: int | None = 1
) -> dict[str, int] | None:
    fields: dict[str, int] = {}
    ok = True
    for position, name in enumerate(raw):
        key = re.sub(r"[\s\-]+", "_", name.strip().lower())
        field = _ALIASES.get(key)
        if field is None:
            continue  # extra columns (e.g. yfinance's Capital Gains) are ignored
        if field in fields:
            first = raw[fields[field]]
            problems.add(path, line, f"columns {first!r} and {name!r} both mean {field}")
            ok = False
        fields[field] = position
    missing = [f for f in REQUIRED_FIELDS if f not in fields]
    if missing:
        problems.add(
            path, line,
            f"missing column(s) {', '.join(missing)}; header is {','.join(raw)!r}, expected "
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


def _read_csv(path: Path, problems: _Problems, *, per_ticker: bool) -> _Table | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        return None
    if not text.strip():
        problems.add(path, None, "empty file")
        return None
    reader = csv.reader(text.splitlines(keepends=True))
    numbered: list[tuple[int, list[str]]] = []
    previous_end = 0
    for row in reader:
        first_line = previous_end + 1
        previous_end = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue  # blank lines carry no data
        numbered.append((first_line, row))
    header_line, header = numbered[0]
    body = numbered[1:]

    file_ticker: str | None = None
    # yfinance's to_csv of a downloaded frame: Price,<fields> / Ticker,<symbols> / Date,,,
    if (
        header and header[0].strip().lower() == "price"
        and len(body) >= 2
        and body[0][1] and body[0][1][0].strip().lower() == "ticker"
        and body[1][1] and body[1][1][0].strip().lower() == "date"
    ):
        symbols = {s.strip().upper() for s in body[0][1][1:] if s.strip()}
        if len(symbols) != 1:
            problems.add(path, body[0][0], "yfinance header lists several tickers "
                         f"{sorted(symbols)}; save one ticker per file")
            return None
        file_ticker = symbols.pop()
        header = ["date", *header[1:]]
        body = body[2:]

    fields = _canonical_header(header, path, problems, header_line)
    if fields is None:
        return None
    if not body:
        problems.add(path, header_line, "header but no data rows")
        return None

    # A per-ticker file (or a single CSV without a ticker column) is named after its ticker.
    ticker_from_name = None
    if per_ticker or "ticker" not in fields:
        ticker_from_name = _ticker_from_stem(path, problems)
        if ticker_from_name is None:
            return None
        if file_ticker and file_ticker != ticker_from_name:
            problems.add(path, header_line + 1,
                         f"yfinance header names ticker {file_ticker}, the file name "
                         f"{ticker_from_name}")
            return None

    width = len(header)
    rows: list[list[Any]] = []
    numbers: list[int] = []
    for line, row in body:
        if len(row) != width:
            problems.add(path, line, f"has {len(row)} fields, the header has {width}")
            continue
        rows.append(row)
        numbers.append(line)
    return _Table(path, fields, rows, numbers, "line", ticker_from_name)


def _read_parquet(path: Path, problems: _Problems) -> _Table | None:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        problems.add(path, None, f"cannot read as Parquet: {exc}")
        return None
    if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    header = [str(c) for c in frame.columns]
    fields = _canonical_header(header, path, problems, None)
    if fields is None:
        return None
    if "ticker" not in fields:
        problems.add(path, None, "no ticker column (a Parquet import is in long form)")
        return None
    if frame.empty:
        problems.add(path, None, "empty file (no rows)")
        return None
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    return _Table(path, fields, rows, list(range(1, len(rows) + 1)), "row", None)


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
        return None, f"date {text!r} has a time of day; give the session date (YYYY-MM-DD)"
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
    seen: dict[tuple[str, date], str],
    require_sessions: bool,
) -> list[dict[str, Any]]:
    f = table.fields
    has_adj = "adj_close" in f
    out: list[dict[str, Any]] = []
    for row, number in zip(table.rows, table.numbers, strict=True):
        def bad(message: str, number: int = number) -> None:
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
        elif require_sessions:
            if not CALENDAR_START <= day <= CALENDAR_END:
                bad(f"date {day} is outside the XNYS calendar range "
                    f"{CALENDAR_START}..{CALENDAR_END}")
                ok = False
            elif not is_session(day):
                bad(f"date {day} is not an XNYS session (weekend or exchange holiday)")
                ok = False

        values: dict[str, float | None] = {}
        price_fields = ["open", "high", "low", "close"] + (["adj_close"] if has_adj else [])
        for name in price_fields:
            number_value, error = _parse_number(row[f[name]], name)
            if error:
                bad(error)
                ok = False
            elif number_value <= 0:
                bad(f"{name} must be positive, got {row[f[name]]!r}")
                ok = False
            values[name] = number_value

        volume, error = _parse_number(row[f["volume"]], "volume")
        if error:
            bad(error)
            ok = False
        elif volume < 0:
            bad(f"negative volume {row[f['volume']]!r}")
            ok = False
        elif volume != int(volume):
            bad(f"volume {row[f['volume']]!r} is not a whole number")
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
        key = (ticker, day)
        where = f"{table.path}:{number}" if table.kind == "line" else f"{table.path} row {number}"
        if key in seen:
            bad(f"duplicate ({ticker}, {day}); first at {seen[key]}")
            continue
        seen[key] = where
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
                "adj_close_source": PROVIDER if has_adj else ADJ_FROM_CLOSE,
            }
        )
    return out
