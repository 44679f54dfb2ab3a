"""Plain-text output for people: aligned tables, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return "NaN"
        return (
            f"{value:,.6g}"
            if abs(value) >= 1e6 or (value and abs(value) < 1e-3)
            else (f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.1f}")
        )
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _is_numeric(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 48) -> str:
    """An aligned text table; numbers right-aligned, long cells cut with an ellipsis."""
    text = [[_cell(v) for v in row] for row in rows]
    text = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in text]
    widths = [len(c) for c in columns]
    for row in text:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    numeric = [
        bool(rows) and all(_is_numeric(r[i]) or r[i] is None for r in rows)
        for i in range(len(columns))
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out.extend(line(row) for row in text)
    return "\n".join(out)


def format_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def format_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def default(value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return float(value)
        return str(value)

    return json.dumps(
        [dict(zip(columns, row, strict=True)) for row in rows], default=default, indent=2
    )


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """'1 ticker', '2 tickers', '1,000 rows'; plural_form for irregular nouns ('batches')."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"
