"""Reading a daily factor file in the layout of Kenneth French's data library.

The files the library publishes (F-F_Research_Data_Factors_daily.CSV, and the 5-factor
F-F_Research_Data_5_Factors_2x3_daily.CSV) look like this:

    This file was created by CMPT_ME_BEME_RETS_DAILY using the 202412 CRSP database.
    The Tbill return is the simple daily rate that, over the number of trading days
    in the month, compounds to 1-month TBill rate from Ibbotson and Associates Inc.

    ,Mkt-RF,SMB,HML,RF
    19260701,    0.10,   -0.25,   -0.27,    0.01
    ...

    Copyright 2025 Kenneth R. French

a free-text preamble, a header line whose first cell is empty, one row per day with a YYYYMMDD
date and the factors in percent, and possibly, after a blank line, an annual section (its own
header and YYYY rows) and a copyright line. The daily block is the rows between the header and
the first blank line after them; what follows it is not read. Values are returned as fractions
(percent / 100), the unit every return in the warehouse is in.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

# The file's column -> our column. Mkt-RF, SMB, HML and RF are required; RMW and CMA (the
# 5-factor file) come together or not at all.
FACTOR_COLUMNS: dict[str, str] = {
    "Mkt-RF": "mkt_rf",
    "SMB": "smb",
    "HML": "hml",
    "RMW": "rmw",
    "CMA": "cma",
    "RF": "rf",
}
FF3_COLUMNS: tuple[str, ...] = ("Mkt-RF", "SMB", "HML", "RF")
FF5_COLUMNS: tuple[str, ...] = ("Mkt-RF", "SMB", "HML", "RMW", "CMA", "RF")
# The library writes missing values as -99.99 or -999; a daily factor file should have none.
MISSING_CODES: frozenset[float] = frozenset({-99.99, -999.0})

NEXT_STEP = (
    "Download the daily file again from Kenneth French's data library (the .CSV inside the "
    "_daily_CSV.zip), or fix that line, then run `adrpulse import-factors` again; nothing was "
    "stored."
)


class FactorFileError(ValueError):
    """A factor file that cannot be read, with the file, the line (1-based) and what is wrong."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}. {NEXT_STEP}")


@dataclass(frozen=True)
class DailyFactors:
    """One day's factors as fractions; rmw and cma are None in a 3-factor file."""

    session_date: date
    mkt_rf: float
    smb: float
    hml: float
    rf: float
    rmw: float | None = None
    cma: float | None = None


@dataclass(frozen=True)
class FactorFile:
    model: str  # ff3 | ff5: which factors the file holds
    columns: tuple[str, ...]  # the file's factor columns, in its order
    rows: list[DailyFactors]  # oldest first
    header_line: int  # 1-based line of the header

    @property
    def first_date(self) -> date:
        return self.rows[0].session_date

    @property
    def last_date(self) -> date:
        return self.rows[-1].session_date


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in next(csv.reader([line]))] if line.strip() else []


def _is_header(cells: list[str]) -> bool:
    return len(cells) > 1 and cells[0] == "" and "Mkt-RF" in cells[1:]


def _header_columns(cells: list[str], path: str, line: int) -> tuple[str, tuple[str, ...]]:
    columns = tuple(cells[1:])
    unknown = [c for c in columns if c not in FACTOR_COLUMNS]
    if unknown:
        raise FactorFileError(
            path, line, f"unknown factor column(s) {', '.join(unknown)} in the header; expected "
            f"{','.join(FF3_COLUMNS)} or {','.join(FF5_COLUMNS)}"
        )
    if len(set(columns)) != len(columns):
        raise FactorFileError(path, line, "a factor column is repeated in the header")
    if set(columns) == set(FF3_COLUMNS):
        return "ff3", columns
    if set(columns) == set(FF5_COLUMNS):
        return "ff5", columns
    raise FactorFileError(
        path, line, f"the header holds {','.join(columns)}; a daily factor file holds "
        f"{','.join(FF3_COLUMNS)} (3 factors) or {','.join(FF5_COLUMNS)} (5 factors)"
    )


def _date(text: str, path: str, line: int) -> date:
    if not (text.isdigit() and len(text) == 8):
        if text.isdigit() and len(text) == 6:
            raise FactorFileError(
                path, line, f"date {text!r} is a month (YYYYMM): this is a monthly file, and "
                "the event study needs the daily one"
            )
        raise FactorFileError(path, line, f"date {text!r} is not a YYYYMMDD date")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as exc:
        raise FactorFileError(path, line, f"date {text!r} is not a calendar date") from exc


def _percent(text: str, column: str, path: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise FactorFileError(path, line, f"{column} {text!r} is not a number") from exc
    if not math.isfinite(value):
        raise FactorFileError(path, line, f"{column} {text!r} is not a finite number")
    if value in MISSING_CODES:
        raise FactorFileError(path, line, f"{column} is {text}, the library's missing-value code")
    return value / 100.0


def parse_factor_text(text: str, path: str) -> FactorFile:
    """Parse the text of a daily Fama-French factor file; `path` names it in errors."""
    lines = text.splitlines()
    header_index = next(
        (i for i, line in enumerate(lines) if _is_header(_cells(line))), None
    )
    if header_index is None:
        raise FactorFileError(
            path, None, "no header line ',Mkt-RF,SMB,HML,RF' (or the 5-factor "
            "',Mkt-RF,SMB,HML,RMW,CMA,RF') was found"
        )
    model, columns = _header_columns(_cells(lines[header_index]), path, header_index + 1)
    rows: list[DailyFactors] = []
    for index in range(header_index + 1, len(lines)):
        line_no = index + 1
        cells = _cells(lines[index])
        if not cells:
            if rows:
                break  # the daily block ends; an annual section or copyright may follow
            continue
        if len(cells) != len(columns) + 1:
            raise FactorFileError(
                path, line_no, f"{len(cells)} cells where the header has {len(columns) + 1} "
                "(a date and one value per factor)"
            )
        day = _date(cells[0], path, line_no)
        if rows and day <= rows[-1].session_date:
            raise FactorFileError(
                path, line_no, f"date {cells[0]} does not come after the line before's "
                f"{rows[-1].session_date:%Y%m%d} (dates must increase, each once)"
            )
        values = {
            FACTOR_COLUMNS[column]: _percent(cell, column, path, line_no)
            for column, cell in zip(columns, cells[1:], strict=True)
        }
        rows.append(DailyFactors(session_date=day, **values))
    if not rows:
        raise FactorFileError(path, header_index + 1, "no daily rows follow the header")
    return FactorFile(model=model, columns=columns, rows=rows, header_line=header_index + 1)


def read_factor_file(path: Path) -> FactorFile:
    """Read and parse a factor file; an unreadable file is a FactorFileError naming it."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise FactorFileError(str(path), None, f"cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise FactorFileError(str(path), None, "is not a text (UTF-8) file") from exc
    return parse_factor_text(text, str(path))
