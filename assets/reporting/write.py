"""Write the report and its charts into the reports folder, each file swapped in atomically
so that a browser or a file watcher never sees a half-written page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from assets.reporting.charts import (
    adr_premium_png,
    drawdown_png,
    event_car_png,
    monthly_returns_heatmap_png,
    relative_performance_png,
    valuation_spread_png,
)
from assets.reporting.data import load_report_data, why_no_event_study
from assets.reporting.html import render_report
from warehouse.archive import atomic_write_bytes

REPORT_NAME = "adrpulse_report.html"
RELATIVE_CHART_NAME = "relative_performance.png"
CAR_CHART_NAME = "event_car.png"
MONTHLY_CHART_NAME = "monthly_returns.png"
DRAWDOWN_CHART_NAME = "drawdowns.png"
VALUATION_CHART_NAME = "valuation_spread.png"
PREMIUM_CHART_NAME = "adr_premium.png"


@dataclass(frozen=True)
class ReportFiles:
    html_path: Path
    relative_chart_path: Path
    car_chart_path: Path
    build_id: str
    relative_png: bytes
    car_png: bytes
    monthly_chart_path: Path
    drawdown_chart_path: Path
    monthly_png: bytes
    drawdown_png: bytes
    valuation_chart_path: Path | None = None
    valuation_png: bytes = b""


def write_report(
    con: duckdb.DuckDBPyConnection, reports_dir: Path, *, now: datetime | None = None
) -> ReportFiles:
    """Read the published marts through `con` and write the HTML report and chart PNGs."""
    data = load_report_data(con)
    relative_png = relative_performance_png(data.relative_performance, data.events)
    car_png = event_car_png(
        data.car_paths, why_no_event_study(data) if data.car_paths.empty else ""
    )
    valuation_png = valuation_spread_png(data.valuation_spread)
    monthly_png = monthly_returns_heatmap_png(data.basket_monthly_returns)
    drawdowns_png = drawdown_png(data.basket_drawdowns)
    premium_png = (
        adr_premium_png(data.premium_history) if not data.premium_history.empty else None
    )
    page = render_report(
        data,
        relative_png,
        car_png,
        now or datetime.now(UTC),
        monthly_png=monthly_png,
        drawdown_png=drawdowns_png,
        valuation_png=valuation_png,
        premium_png=premium_png,
    )
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(
        reports_dir / REPORT_NAME,
        reports_dir / RELATIVE_CHART_NAME,
        reports_dir / CAR_CHART_NAME,
        data.build_id,
        relative_png,
        car_png,
        reports_dir / MONTHLY_CHART_NAME,
        reports_dir / DRAWDOWN_CHART_NAME,
        monthly_png,
        drawdowns_png,
        reports_dir / VALUATION_CHART_NAME,
        valuation_png,
    )
    atomic_write_bytes(files.relative_chart_path, relative_png)
    if files.valuation_chart_path is not None:
        atomic_write_bytes(files.valuation_chart_path, valuation_png)
    atomic_write_bytes(files.car_chart_path, car_png)
    atomic_write_bytes(files.monthly_chart_path, monthly_png)
    atomic_write_bytes(files.drawdown_chart_path, drawdowns_png)
    if premium_png is not None:
        atomic_write_bytes(reports_dir / PREMIUM_CHART_NAME, premium_png)
    atomic_write_bytes(files.html_path, page.encode("utf-8"))
    return files
