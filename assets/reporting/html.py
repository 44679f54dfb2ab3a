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

from assets.reporting.data import SUMMARY_WINDOW, ReportData, why_no_event_study

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; margin-top: 0; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 0.8em 0 1.6em; font-size: 0.88em; }
th, td { padding: 0.25em 0.45em; border-bottom: 1px solid #ddd; }
th { background: #f4f4f4; text-align: left; }
td.date { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.neg { color: #b03030; } .pos { color: #1d7a35; }
.synthetic { background: #fff4d6; border: 1px solid #e0b44c; padding: 0.6em 0.9em; }
.forced { background: #fde2e1; border: 1px solid #c9403a; padding: 0.6em 0.9em; }
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
            elif isinstance(value, datetime | date):  # pandas' Timestamp is a datetime
                cells.append(f'<td class="date">{shown}</td>')  # never wrapped at a hyphen
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


ANALYST_COLUMNS: list[Column] = [
    ("graded", "graded_at", text, False),
    ("day 0", "day_zero_date", text, False),
    ("ticker", "ticker", text, False),
    ("firm", "firm", text, False),
    ("action", "action_category", text, False),
    ("from", "from_grade", text, False),
    ("to", "to_grade", text, False),
    ("target before", "prior_price_target", number, False),
    ("target after", "current_price_target", number, False),
    ("target change", "price_target_change_fraction", percent, True),
    ("AR day 0", "car", percent, True),
    ("p", "p_value", p_value, False),
]


def _valuation_section(data: ReportData, valuation_png: bytes) -> str:
    """The valuation spread chart with today's discount, and the latest analyst actions."""
    spread = data.valuation_spread
    usable = spread.dropna(subset=["forward_pe_discount"]) if not spread.empty else spread
    if usable.empty:
        headline = (
            "No valuation spread yet: it starts with the first daily run that snapshots enough "
            "members of both baskets."
        )
    else:
        last = usable.iloc[-1]
        headline = (
            f"On {text(last['session_date'])} the {last['basket_a']} basket's median forward P/E "
            f"was {number(last['median_forward_pe_a'], 1)} against "
            f"{number(last['median_forward_pe_b'], 1)} for {last['basket_b']}: a discount of "
            f"{percent(last['forward_pe_discount']).lstrip('+')}, wider than or as wide as on "
            f"{percent(last['forward_pe_discount_percentile'], 0).lstrip('+')} of the "
            f"{int(last['forward_pe_history_sessions'])} sessions stored."
        )
    actions = (
        html_table(data.analyst_actions, ANALYST_COLUMNS, "analyst-actions")
        if not data.analyst_actions.empty
        else '<p id="no-analyst-actions">No analyst action stored.</p>'
    )
    return (
        f"<p>{escape(headline)}</p>\n"
        f'<img id="valuation-spread" alt="Forward P/E spread between the baskets" '
        f'src="{png_data_uri(valuation_png)}">\n'
        "<h3>Latest analyst actions</h3>\n"
        "<p>Day 0: the first session that could trade the action (after the 16:00 New York close:"
        " the next). AR day 0: the abnormal return of the action's event on day 0 (market "
        "model).</p>\n"
        f"{actions}"
    )


PREMIUM_COLUMNS: list[Column] = [
    ("ADR", "adr_ticker", text, False),
    ("home line", "home_ticker", text, False),
    ("as of", "session_date", text, False),
    ("ADR close", "adr_close", number, False),
    ("home close", "home_close_same_day", number, False),
    ("HKD per USD", "hkd_per_usd", lambda v: number(v, 4), False),
    ("shares per ADS", "shares_per_ads", lambda v: number(v, 0), False),
    ("premium", "premium_same_day", percent, True),
    ("z (60 sessions)", "premium_zscore", number, True),
    ("next-session premium", "premium_next_session", percent, True),
    ("lead-lag beta", "lead_lag_beta", number, False),
]


def _premium_section(data: ReportData, premium_png: bytes | None) -> str:
    """The premium chart per pair and the latest premium table, or why there are none."""
    if data.latest_premiums.empty or premium_png is None:
        return (
            '<p id="no-premiums">No ADR premium: no dual-listed pair (dbt_project/seeds/'
            "dual_listings.csv) has prices for both lines and HKD=X.</p>"
        )
    return (
        "<p>Premium = ADR close / (home close &times; shares per ADS / HKD per USD) &minus; 1, "
        "against the Hong Kong close of the same date (docs/dual_listings.md). |z| &ge; 2 is "
        "unusual for the pair.</p>\n"
        f'<img id="adr-premium" alt="ADR premium per pair" src="{png_data_uri(premium_png)}">\n'
        f"{html_table(data.latest_premiums, PREMIUM_COLUMNS, 'adr-premiums')}"
    )


SYNTHETIC_BANNER = (
    '<p class="synthetic" id="synthetic-banner"><strong>SYNTHETIC DATA.</strong> This build '
    "replays the bundled sample archive, generated by "
    "orchestration/tools/sample_data/generate.py: the prices and headlines are invented to "
    "exercise the pipeline and are not market data.</p>"
)


# How the report names the expected-return model of the event study (setting
# ADRPULSE_EXPECTED_RETURN_MODEL, the marts' expected_return_model).
MODEL_LABELS = {
    "market_model": "market model",
    "ff3": "Fama-French three-factor model",
    "ff5": "Fama-French five-factor model",
}


def model_label(model: str) -> str:
    return MODEL_LABELS.get(model, model)


def _event_summary_section(data: ReportData) -> str:
    """The CAAR table, or, when no group has two included pairs, why there is none."""
    if data.event_summary.empty:
        return (
            f'<p id="no-event-summary">No CAAR table over {escape(SUMMARY_WINDOW)}: '
            f"{escape(why_no_event_study(data))}.</p>"
        )
    return (
        f"<p>CAAR over {escape(SUMMARY_WINDOW)} with the Kolari-Pynnonen test\n"
        "(the pairs share the event date; abnormal returns of the "
        f"{escape(model_label(data.expected_return_model))}):</p>\n"
        f"{html_table(data.event_summary, SUMMARY_COLUMNS, 'event-summary')}"
    )


ALERT_COLUMNS: list[Column] = [
    ("ticker", "ticker", text, False),
    ("group", "group_name", text, False),
    ("session", "session_date", text, False),
    ("abnormal return", "abnormal_return", percent, True),
    ("SAR", "standardized_abnormal_return", number, True),
    ("headlines", "headline_count", lambda v: text(int(v)), False),
]


def _ratio(value: Any) -> str:
    return number(value, 2)


def _plain_percent(value: Any) -> str:
    return percent(value).lstrip("+")


PERFORMANCE_COLUMNS: list[Column] = [
    ("period", "period", text, False),
    ("basket", "basket", text, False),
    ("from close of", "anchor_date", text, False),
    ("to", "as_of_date", text, False),
    ("return", "total_return", percent, True),
    ("CAGR", "cagr", percent, True),
    ("volatility", "volatility_annualized", _plain_percent, False),
    ("Sharpe", "sharpe_ratio", _ratio, True),
    ("Sortino", "sortino_ratio", _ratio, True),
    ("max drawdown", "max_drawdown", percent, True),
    ("trough", "max_drawdown_trough_date", text, False),
    ("recovered", "max_drawdown_recovery_date", text, False),
    ("VaR 95%", "var_95", percent, True),
    ("CVaR 95%", "cvar_95", percent, True),
    ("beta", "beta", _ratio, False),
    ("IR vs other", "information_ratio", _ratio, True),
]


def _performance_section(data: ReportData, monthly_png: bytes, drawdown_png: bytes) -> str:
    """The baskets' risk and return by period, their monthly returns and drawdowns."""
    if data.basket_performance.empty:
        return (
            '<p id="no-performance">This build predates the performance marts '
            "(marts.fct_performance_summary): rebuild with <code>adrpulse build</code>.</p>"
        )
    event = data.basket_performance["event_id"].dropna()
    since_event = f" since_event starts before day 0 of {event.iloc[0]}." if len(event) else ""
    return f"""<p>Equal-weight baskets rebalanced daily, from the close of each period's anchor
session. Annualised with 252 sessions a year; Sharpe and Sortino over the risk-free rate of the
setting ADRPULSE_RISK_FREE_RATE; VaR and CVaR are historical, one session, as returns; IR is the
annualised information ratio against the other basket (docs/performance.md).{escape(since_event)}
</p>
{html_table(data.basket_performance, PERFORMANCE_COLUMNS, "basket-performance")}
<img id="monthly-returns" alt="Monthly returns of each basket"
 src="{png_data_uri(monthly_png)}">
<img id="drawdowns" alt="Drawdown of each basket" src="{png_data_uri(drawdown_png)}">"""


def _alerts_section(data: ReportData) -> str:
    """The latest session's alerts, each with the headlines of days -1 and 0 (the report's first
    section: what moved abnormally, and what may explain it)."""
    if data.alerts.empty:
        return (
            '<p id="no-alerts">No significant abnormal move on the latest session '
            "(no ticker's absolute standardised abnormal return reached the threshold).</p>"
        )
    threshold = number(data.alerts["sar_threshold"].iloc[0])
    parts = [
        f"<p>Tickers whose absolute standardised abnormal return on the latest session is at "
        f"least {escape(threshold)} (market model; <code>adrpulse alerts</code> lists the "
        "history):</p>",
        html_table(data.alerts, ALERT_COLUMNS, "alerts"),
    ]
    for alert in data.alerts.to_dict("records"):
        rows = (
            data.alert_headlines[data.alert_headlines["alert_id"] == alert["alert_id"]]
            if not data.alert_headlines.empty else data.alert_headlines
        )
        parts.append(
            f'<h3 id="alert-{escape(alert["alert_id"])}">{escape(alert["ticker"])} '
            f"{escape(text(alert['session_date']))}: {escape(percent(alert['abnormal_return']))}"
            f" abnormal, SAR {escape(number(alert['standardized_abnormal_return']))}</h3>"
        )
        if rows.empty:
            parts.append("<p>No headline tagged to it on days -1 and 0.</p>")
            continue
        items = []
        for h in rows.to_dict("records"):
            title = escape(text(h["headline"]))
            link = (f'<a href="{escape(h["item_url"], quote=True)}">{title}</a>'
                    if not _missing(h["item_url"]) else title)
            sentiment = (
                f"{text(h['sentiment_label'])} {number(h['sentiment_score'])}"
                if not _missing(h["sentiment_score"]) else "not scored"
            )
            items.append(
                f"<li>day {int(h['relative_day'])}: {link} "
                f'<span class="sentiment">({escape(sentiment)})</span></li>'
            )
        parts.append('<ul class="alert-headlines">' + "".join(items) + "</ul>")
    return "\n".join(parts)


def forced_banner(data: ReportData) -> str:
    """The warning a reader must not miss: these marts were built past failed checks."""
    if not data.forced:
        return ""
    checks = ", ".join(data.failed_checks) or "(not recorded)"
    return (
        '<p class="forced" id="forced-banner"><strong>BUILT PAST FAILED CHECKS.</strong> This '
        "build was forced (<code>adrpulse build --force</code>) although these blocking data "
        f"checks failed: {escape(checks)}. Numbers may rest on bad prices; see the checks in the "
        "Dagster UI.</p>"
    )


def render_report(
    data: ReportData,
    relative_png: bytes,
    car_png: bytes,
    generated_at: datetime,
    *,
    monthly_png: bytes,
    drawdown_png: bytes,
    valuation_png: bytes = b"",
    premium_png: bytes | None = None,
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
{SYNTHETIC_BANNER if data.synthetic else ""}
{forced_banner(data)}
<p class="meta">Published build {escape(data.build_id)} ({escape(text(data.published_at))}),
report generated {escape(generated_at.isoformat(timespec="seconds"))}.</p>

<h2 id="alerts">Latest alerts</h2>
{_alerts_section(data)}

<h2>China ADRs vs US megacaps</h2>
<p>{escape(headline)}</p>
<img id="relative-performance" alt="China ADR basket vs US megacap basket"
 src="{png_data_uri(relative_png)}">
<p>Numbered dashed lines mark the catalogued events (day 0):</p>
{html_table(data.events, EVENT_COLUMNS, "events")}

<h2 id="performance">Performance and risk</h2>
{_performance_section(data, monthly_png, drawdown_png)}

<h2>Event study</h2>
<p>Mean cumulative abnormal return ({escape(model_label(data.expected_return_model))}) of each
group over the event window, with a 95%
band (mean &plusmn; 1.96 &times; sd / &radic;N), for events with at least two pairs in a group.</p>
<img id="event-car" alt="CAR by event and group" src="{png_data_uri(car_png)}">
{_event_summary_section(data)}

<h2 id="valuations">Valuations and analysts</h2>
{_valuation_section(data, valuation_png)}

<h2 id="adr-premiums">ADR premiums to the Hong Kong lines</h2>
{_premium_section(data, premium_png)}

<h2>Ticker performance</h2>
{html_table(data.ticker_performance, TICKER_COLUMNS, "ticker-performance")}
</body>
</html>
"""
