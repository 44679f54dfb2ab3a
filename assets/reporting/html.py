"""The report page: one HTML file with inline CSS and the charts as base64 data URIs.

Nothing is fetched when the page opens (no scripts, fonts, stylesheets or images from elsewhere),
so the file can be mailed or archived as is. Every value from the data is HTML-escaped.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Sequence
from datetime import date, datetime
from html import escape
from typing import Any

import pandas as pd

from assets.reporting.data import SUMMARY_WINDOW, ReportData

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; margin-top: 0; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 0.8em 0 1.6em; font-size: 0.88em; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #ddd; }
th { background: #f4f4f4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.neg { color: #b03030; } .pos { color: #1d7a35; }
"""


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def percent(value: Any, digits: int = 1) -> str:
    return "" if _missing(value) else f"{100 * float(value):+.{digits}f}%"


def number(value: Any, digits: int = 2) -> str:
    return "" if _missing(value) else f"{float(value):,.{digits}f}"


def p_value(value: Any) -> str:
    return "" if _missing(value) else ("<0.0001" if value < 1e-4 else f"{float(value):.4f}")


def text(value: Any) -> str:
    if _missing(value):
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value)


Column = tuple[str, str, Callable[[Any], str], bool]  # header, field, formatter, numeric


def html_table(frame: pd.DataFrame, columns: Sequence[Column], css_class: str) -> str:
    head = "".join(f"<th>{escape(header)}</th>" for header, *_ in columns)
    body = []
    for record in frame.to_dict("records"):
        cells = []
        for _, field, formatter, numeric in columns:
            value = record[field]
            shown = escape(formatter(value))
            if numeric:
                sign = "" if _missing(value) or value == 0 else (" neg" if value < 0 else " pos")
                cells.append(f'<td class="num{sign}">{shown}</td>')
            else:
                cells.append(f"<td>{shown}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="{css_class}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


EVENT_COLUMNS: list[Column] = [
    ("#", "marker", text, False),
    ("event", "event_id", text, False),
    ("day 0", "day_zero_date", text, False),
    ("title", "title", text, False),
]
SUMMARY_COLUMNS: list[Column] = [
    ("event", "event_id", text, False),
    ("day 0", "day_zero_date", text, False),
    ("group", "summary_group", text, False),
    ("N", "pairs", lambda v: text(int(v)), False),
    ("CAAR", "caar", percent, True),
    ("95% CI low", "ci_lower", percent, True),
    ("95% CI high", "ci_upper", percent, True),
    ("t (Kolari-Pynnonen)", "t_kp", number, True),
    ("p", "p_kp", p_value, False),
]
TICKER_COLUMNS: list[Column] = [
    ("group", "group_name", text, False),
    ("ticker", "ticker", text, False),
    ("name", "name", text, False),
    ("as of", "session_date", text, False),
    ("close", "close_price", number, False),
    ("1D", "return_1d", percent, True),
    ("1W", "return_1w", percent, True),
    ("1M", "return_1m", percent, True),
    ("3M", "return_3m", percent, True),
    ("YTD", "return_ytd", percent, True),
    ("drawdown", "drawdown", percent, True),
    ("from YTD low", "gain_from_ytd_low", percent, True),
    ("volatility", "volatility_annualized", lambda v: percent(v).lstrip("+"), False),
]


def render_report(
    data: ReportData,
    relative_png: bytes,
    car_png: bytes,
    generated_at: datetime,
) -> str:
    latest = data.relative_performance.iloc[-1]
    base = text(latest["base_date"])
    headline = (
        f"Since the close of {base}: China ADR basket {percent(latest['index_a'] / 100 - 1)}, "
        f"US megacap basket {percent(latest['index_b'] / 100 - 1)}, spread "
        f"{percent(latest['spread'])} (as of {text(latest['session_date'])})."
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ADR Pulse report</title>
<style>{STYLE}</style>
</head>
<body>
<h1>ADR Pulse</h1>
<p class="meta">Published build {escape(data.build_id)} ({escape(text(data.published_at))}),
report generated {escape(generated_at.isoformat(timespec="seconds"))}.</p>

<h2>China ADRs vs US megacaps</h2>
<p>{escape(headline)}</p>
<img id="relative-performance" alt="China ADR basket vs US megacap basket"
 src="{png_data_uri(relative_png)}">
<p>Numbered dashed lines mark the catalogued events (day 0):</p>
{html_table(data.events, EVENT_COLUMNS, "events")}

<h2>Event study</h2>
<p>Mean cumulative abnormal return (market model) of each group over the event window, with a 95%
band (mean &plusmn; 1.96 &times; sd / &radic;N), for events with at least two pairs in a group.</p>
<img id="event-car" alt="CAR by event and group" src="{png_data_uri(car_png)}">
<p>CAAR over {escape(SUMMARY_WINDOW)} with the Kolari-Pynnonen test
(the pairs share the event date):</p>
{html_table(data.event_summary, SUMMARY_COLUMNS, "event-summary")}

<h2>Ticker performance</h2>
{html_table(data.ticker_performance, TICKER_COLUMNS, "ticker-performance")}
</body>
</html>
"""
