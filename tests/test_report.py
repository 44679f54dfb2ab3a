"""The HTML report: self-contained, with both charts and the ticker table, from the published
build; written by the pipeline's asset, by `adrpulse report`, and by the pure code."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from assets.reporting.data import LATEST_ANALYST_ACTIONS
from assets.reporting.write import (
    CAR_CHART_NAME,
    DRAWDOWN_CHART_NAME,
    MONTHLY_CHART_NAME,
    PREMIUM_CHART_NAME,
    RELATIVE_CHART_NAME,
    REPORT_NAME,
    write_report,
)
from tests.support.cli import run_cli
from warehouse.publish import open_published

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.links: list[str] = []  # <a href>: navigation to an article, never loaded
        self.images: dict[str, str] = {}
        self.ticker_cells: list[str] = []
        self._table_class: str | None = None
        self._column = -1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a":
            self.links.append(str(values.get("href")))
            return
        for name in ("src", "href", "action", "data"):
            if values.get(name):
                self.references.append(str(values[name]))
        if tag == "img":
            self.images[str(values.get("id"))] = str(values.get("src"))
        if tag == "table":
            self._table_class = values.get("class")
        if tag == "tr":
            self._column = -1
        if tag == "td":
            self._column += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table_class = None

    def handle_data(self, data: str) -> None:
        # The second column of the ticker table is the ticker.
        if self._table_class == "ticker-performance" and self._column == 1 and data.strip():
            self.ticker_cells.append(data.strip())


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    return parser


def expected_tickers(demo_home: Path) -> set[str]:
    con = open_published(demo_home / "published")
    try:
        rows = con.execute(
            "select distinct perf.ticker from marts.fct_ticker_performance as perf "
            "join reference.universe as u on perf.ticker = u.ticker "
            "where u.group_name in ('china_adr', 'us_megacap')"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


@pytest.fixture(scope="module")
def report_dir(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    con = open_published(demo_home / "published")
    try:
        write_report(con, out)
    finally:
        con.close()
    return out


def test_report_is_self_contained(report_dir: Path) -> None:
    page = (report_dir / REPORT_NAME).read_text(encoding="utf-8")
    parsed = parse(page)
    assert parsed.references, "the page should reference its images"
    assert all(ref.startswith("data:") for ref in parsed.references), parsed.references
    # The only URLs are the alert headlines' article links, which a reader may follow; nothing
    # is loaded from them.
    assert not re.search(r"https?://", re.sub(r'<a href="[^"]*">', "<a>", page))
    assert "<script" not in page and "<link" not in page and "@import" not in page


def test_report_embeds_every_chart_as_png(report_dir: Path) -> None:
    parsed = parse((report_dir / REPORT_NAME).read_text(encoding="utf-8"))
    for image_id, file_name in (
        ("relative-performance", RELATIVE_CHART_NAME),
        ("event-car", CAR_CHART_NAME),
        ("monthly-returns", MONTHLY_CHART_NAME),
        ("drawdowns", DRAWDOWN_CHART_NAME),
    ):
        src = parsed.images[image_id]
        assert src.startswith("data:image/png;base64,")
        embedded = base64.b64decode(src.split(",", 1)[1])
        assert embedded.startswith(PNG_MAGIC)
        assert embedded == (report_dir / file_name).read_bytes()


def test_report_shows_the_premium_chart_and_the_latest_premium_of_each_pair(
    report_dir: Path, demo_home: Path
) -> None:
    page = (report_dir / REPORT_NAME).read_text(encoding="utf-8")
    src = parse(page).images["adr-premium"]
    embedded = base64.b64decode(src.split(",", 1)[1])
    assert embedded.startswith(PNG_MAGIC)
    assert embedded == (report_dir / PREMIUM_CHART_NAME).read_bytes()
    table = page.split('<table class="adr-premiums">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>([A-Z]+)</td><td>([0-9]{4}\.HK)</td>", table)
    con = open_published(demo_home / "published")
    try:
        pairs = con.execute(
            "select distinct adr_ticker, home_ticker from marts.fct_adr_premium "
            "where premium_same_day is not null"
        ).fetchall()
    finally:
        con.close()
    assert sorted(rows) == sorted(pairs) and len(pairs) == 10


def test_report_table_lists_the_adrs_and_megacaps(report_dir: Path, demo_home: Path) -> None:
    parsed = parse((report_dir / REPORT_NAME).read_text(encoding="utf-8"))
    wanted = expected_tickers(demo_home)
    assert len(wanted) >= 10
    assert wanted <= set(parsed.ticker_cells)
    assert len(parsed.ticker_cells) == len(set(parsed.ticker_cells)), "one row per ticker"


def test_report_marks_the_catalogued_events(report_dir: Path) -> None:
    page = (report_dir / REPORT_NAME).read_text(encoding="utf-8")
    for event_id in ("deepseek_shock", "xi_symposium"):
        assert event_id in page


def test_pipeline_wrote_the_report_after_publishing(demo_home: Path) -> None:
    reports = demo_home / "reports"
    page = (reports / REPORT_NAME).read_text(encoding="utf-8")
    con = open_published(demo_home / "published")
    try:
        build_id = con.execute("select build_id from main.published_build").fetchall()[0][0]
    finally:
        con.close()
    assert build_id in page
    for name in (RELATIVE_CHART_NAME, CAR_CHART_NAME):
        assert (reports / name).read_bytes().startswith(PNG_MAGIC)


def test_report_command_prints_the_path(demo_home: Path, tmp_path: Path) -> None:
    result = run_cli(demo_home, "report", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path == tmp_path / REPORT_NAME
    assert "relative-performance" in path.read_text(encoding="utf-8")


def test_report_command_without_a_build_says_what_to_run(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "report")
    assert result.returncode == 1
    assert "adrpulse demo" in result.stderr


def test_a_report_of_the_sample_says_it_is_synthetic(report_dir: Path, demo_home: Path) -> None:
    page = (report_dir / REPORT_NAME).read_text(encoding="utf-8")
    assert 'id="synthetic-banner"' in page and "not market data" in page
    con = open_published(demo_home / "published")
    try:
        provenance = con.execute(
            "select count(*), bool_and(synthetic) from raw.price_fetches"
        ).fetchall()[0]
    finally:
        con.close()
    assert provenance[0] > 0 and provenance[1] is True


def test_a_report_of_real_fetches_has_no_synthetic_banner(tmp_path: Path) -> None:
    import duckdb

    from warehouse.publish import publish

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw")
    con.execute("create table raw.price_fetches as select 'f1' as fetch_id, false as synthetic")
    con.execute("create schema marts")
    con.execute("create table marts.example as select 1 as x")
    publish(con, tmp_path / "published")
    con.close()
    reader = open_published(tmp_path / "published")
    try:
        from assets.reporting.data import _built_from_synthetic_data

        assert _built_from_synthetic_data(reader) is False
    finally:
        reader.close()


def short_history_build(demo_home: Path, out: Path) -> Path:
    """The demo build as a short price history leaves it: every catalogued event-ticker pair's
    market model excluded for too few estimation returns (the marts' own reason), so no CAR
    path and no CAAR row. Published like a real build; returns the published folder."""
    import duckdb

    from warehouse.publish import publish

    too_few = "least(estimation_obs, 30 + length(ticker))"
    reason = f"{too_few} || ' of 240 estimation returns, minimum 100'"
    changed = {
        "fct_event_window_returns": (
            f"* replace ({too_few} as estimation_obs, false as is_estimation_valid, "
            f"{reason} as exclusion_reason, null::double as car_market_model, "
            "null::double as abnormal_return_market_model)"
        ),
        "fct_event_car": (
            f"* replace ({too_few} as estimation_obs, false as is_included, "
            f"{reason} as exclusion_reason, null::double as car)"
        ),
        "fct_event_study_summary": "* replace (0 as pairs_included, null::double as caar)",
    }
    source = open_published(demo_home / "published")
    try:
        source.execute(f"attach '{out / 'short.duckdb'}' as short")
        tables = source.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema <> 'main'"
        ).fetchall()
        for schema, name in tables:
            source.execute(f"create schema if not exists short.{schema}")
            columns = changed.get(name, "*")
            source.execute(
                f"create table short.{schema}.{name} as select {columns} from {schema}.{name}"
            )
        source.execute("detach short")
    finally:
        source.close()
    warehouse = duckdb.connect(str(out / "short.duckdb"))
    try:
        publish(warehouse, out / "published")
    finally:
        warehouse.close()
    return out / "published"


@pytest.fixture(scope="module")
def short_history(demo_home: Path, tmp_path_factory: pytest.TempPathFactory):
    from assets.reporting.data import load_report_data

    out = tmp_path_factory.mktemp("short_history")
    con = open_published(short_history_build(demo_home, out))
    try:
        data = load_report_data(con)
        write_report(con, out / "report")
    finally:
        con.close()
    return data, (out / "report" / REPORT_NAME).read_text(encoding="utf-8")


def test_an_empty_event_study_says_the_real_reason(short_history) -> None:
    from assets.reporting.charts import event_car_figure
    from assets.reporting.data import why_no_event_study

    data, page = short_history
    assert data.car_paths.empty and data.event_summary.empty
    reason = why_no_event_study(data)
    low = int(data.event_pairs["estimation_obs"].min())
    high = int(data.event_pairs["estimation_obs"].max())
    assert f"all {len(data.event_pairs)} catalogued event-ticker pairs are excluded" in reason
    assert f"too few estimation returns ({low} to {high}; the market model needs 100)" in reason
    chart_text = " ".join(t.get_text() for t in event_car_figure(data.car_paths, reason).texts)
    assert "too few estimation returns" in chart_text.replace("\n", " ")
    assert "too few estimation returns" in page
    assert "no catalogued event has two or more pairs" not in page


def test_an_empty_caar_table_is_left_out_with_the_reason(short_history) -> None:
    _, page = short_history
    assert 'class="event-summary"' not in page, "no table of headers without rows"
    assert 'id="no-event-summary"' in page and "No CAAR table over [-1,+1]" in page


def test_the_caar_table_is_there_when_pairs_are(report_dir: Path) -> None:
    page = (report_dir / REPORT_NAME).read_text(encoding="utf-8")
    assert 'class="event-summary"' in page and 'id="no-event-summary"' not in page


def test_dates_do_not_wrap(report_dir: Path) -> None:
    page = (report_dir / REPORT_NAME).read_text(encoding="utf-8")
    assert re.search(r"td\.date\s*\{[^}]*white-space:\s*nowrap", page)
    table = page[page.index('class="ticker-performance"') :]
    as_of = re.findall(r'<td class="date">(\d{4}-\d\d-\d\d)</td>', table)
    assert len(as_of) == table.count("<tr>") - 1  # every row's "as of"


def test_the_car_chart_has_whole_relative_days_on_its_x_axis(demo_home: Path) -> None:
    from assets.reporting.charts import event_car_figure
    from assets.reporting.data import load_report_data

    con = open_published(demo_home / "published")
    try:
        data = load_report_data(con)
    finally:
        con.close()
    figure = event_car_figure(data.car_paths)
    figure.draw_without_rendering()
    axes = [a for a in figure.axes if a.get_visible()]
    assert axes
    for axis in axes:
        low, high = axis.get_xlim()
        ticks = [t for t in axis.get_xticks() if low <= t <= high]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_the_first_section_lists_the_latest_alerts_with_their_headlines(
    report_dir: Path, demo_home: Path
) -> None:
    page = (report_dir / REPORT_NAME).read_text(encoding="utf-8")
    sections = re.findall(r"<h2[^>]*>([^<]+)</h2>", page)
    assert sections[0] == "Latest alerts"
    con = open_published(demo_home / "published")
    try:
        alerts = con.execute("select alert_id, ticker from marts.fct_alerts").fetchall()
        links = con.execute("select item_url from marts.fct_alert_headlines").fetchall()
    finally:
        con.close()
    assert {t for _, t in alerts} == {"NIO", "PDD"}
    first = page[page.index("Latest alerts"):page.index("China ADRs vs US megacaps")]
    for alert_id, _ in alerts:
        assert f'id="alert-{alert_id}"' in first
    assert "PDD shares tumble as EU opens investigation into Temu over illegal products" in first
    assert sorted(parse(page).links) == sorted(url for (url,) in links)


def test_the_report_shows_the_valuation_spread_and_the_latest_analyst_actions(
    report_dir: Path, demo_home: Path
) -> None:
    page = (report_dir / REPORT_NAME).read_text(encoding="utf-8")
    parsed = parse(page)
    src = parsed.images["valuation-spread"]
    assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG_MAGIC)
    con = open_published(demo_home / "published")
    try:
        actions = con.execute("select count(*) from marts.fct_analyst_actions").fetchall()[0][0]
        day, discount = con.execute(
            "select session_date, forward_pe_discount from marts.fct_valuation_spread "
            "order by session_date desc limit 1"
        ).fetchall()[0]
    finally:
        con.close()
    table = re.search(r'<table class="analyst-actions">.*?</table>', page, re.DOTALL)
    assert table is not None
    assert table.group(0).count("<tr>") - 1 == min(actions, LATEST_ANALYST_ACTIONS)
    assert f"On {day} the china_adr basket" in page
    assert f"a discount of {100 * discount:.1f}%" in page


def test_the_performance_section_shows_each_basket_by_period(
    report_dir: Path, demo_home: Path
) -> None:
    """The basket table carries the mart's figures (as displayed), and the heatmap and drawdown
    chart are drawn from data, not the placeholder a build without the marts gets."""
    page = (report_dir / REPORT_NAME).read_text(encoding="utf-8")
    table = page.split('<table class="basket-performance">', 1)[1].split("</table>", 1)[0]
    con = open_published(demo_home / "published")
    try:
        rows = con.execute(
            "select period, subject, sharpe_ratio, max_drawdown from marts.fct_performance_summary "
            "where subject_kind = 'basket'"
        ).fetchall()
    finally:
        con.close()
    assert {r[1] for r in rows} == {"china_adr", "us_megacap"}
    assert {r[0] for r in rows} == {"ytd", "1y", "since_inception", "since_event"}
    assert table.count("<tr>") == len(rows) + 1  # the header row
    for period, basket, sharpe, max_drawdown in rows:
        assert f"<td>{period}</td><td>{basket}</td>" in table
        assert f"{sharpe:,.2f}" in table and f"{100 * max_drawdown:+.1f}%" in table
    assert 'id="no-performance"' not in page


def test_a_build_before_the_performance_marts_says_to_rebuild(
    demo_home: Path, tmp_path: Path
) -> None:
    import duckdb

    from warehouse.publish import publish

    source = open_published(demo_home / "published")
    try:
        source.execute(f"attach '{tmp_path / 'old.duckdb'}' as old")
        for schema, name in source.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema <> 'main'"
        ).fetchall():
            if name in ("fct_performance_summary", "fct_monthly_returns", "fct_basket_drawdowns"):
                continue
            source.execute(f"create schema if not exists old.{schema}")
            source.execute(f"create table old.{schema}.{name} as select * from {schema}.{name}")
        source.execute("detach old")
    finally:
        source.close()
    with duckdb.connect(str(tmp_path / "old.duckdb")) as warehouse:
        publish(warehouse, tmp_path / "published")
    reader = open_published(tmp_path / "published")
    try:
        files = write_report(reader, tmp_path / "report")
    finally:
        reader.close()
    page = files.html_path.read_text(encoding="utf-8")
    assert 'id="no-performance"' in page and "adrpulse build" in page
    assert files.monthly_png.startswith(PNG_MAGIC) and files.drawdown_png.startswith(PNG_MAGIC)


def _premium_history(pairs: int, extreme: float) -> pd.DataFrame:
    """Premium rows of `pairs` pairs over a year; the last pair swings by `extreme` (a fraction),
    so its tick labels are the widest the chart has to make room for."""
    sessions = pd.bdate_range("2024-01-02", periods=260)
    frames = []
    for index in range(pairs):
        scale = extreme if index == pairs - 1 else 0.02
        premium = scale * np.sin(np.arange(len(sessions)) / 7.0)
        frames.append(pd.DataFrame({
            "adr_ticker": f"ADR{index}", "home_ticker": f"{9000 + index}.HK",
            "session_date": sessions.date, "premium_same_day": premium,
            "premium_next_session": premium,
        }))
    return pd.concat(frames, ignore_index=True)


def _assert_labels_inside_and_apart(figure: Figure, panels: int) -> None:
    """Every visible panel's labels (ticks, axis labels, title) and the figure's title inside the
    picture, and no two of them overlapping."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    page = figure.bbox
    boxes = [axis.get_tightbbox(renderer) for axis in figure.axes if axis.get_visible()]
    assert len(boxes) == panels
    boxes.append(figure._suptitle.get_window_extent(renderer))
    for box in boxes:
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
    for index, box in enumerate(boxes):
        for other in boxes[index + 1:]:
            assert not box.overlaps(other), (box, other)


# The charts with many panels place them with fixed margins (no layout engine measures the
# labels), so the margins must hold the widest labels the data can give, in matplotlib's default
# style: the one the pipeline draws with (a test elsewhere in the session may leave other sizes).
@pytest.fixture(autouse=False)
def default_style() -> Iterator[None]:
    import matplotlib.style

    with matplotlib.style.context("default"):
        yield

@pytest.mark.parametrize(("pairs", "extreme"), [(1, 0.05), (2, -1.25), (10, 0.125), (11, 1.5)])
@pytest.mark.usefixtures("default_style")
def test_the_premium_chart_keeps_every_label_inside_and_apart(pairs: int, extreme: float) -> None:
    from assets.reporting.charts import adr_premium_figure

    _assert_labels_inside_and_apart(adr_premium_figure(_premium_history(pairs, extreme)), pairs)


@pytest.mark.parametrize(("events", "extreme"), [(1, 0.05), (5, -1.25), (7, 1.5)])
@pytest.mark.usefixtures("default_style")
def test_the_car_chart_keeps_every_label_inside_and_apart(events: int, extreme: float) -> None:
    from assets.reporting.charts import event_car_figure

    days = np.arange(-10, 11)
    frames = []
    for index in range(events):
        for group, scale in (("china_adr", extreme), ("us_megacap", 0.02)):
            car = scale * days / 10
            frames.append(pd.DataFrame({
                "event_id": f"an_event_with_a_long_name_{index}", "group_name": group,
                "day_zero_date": pd.Timestamp("2025-01-06") + pd.Timedelta(days=7 * index),
                "relative_day": days, "mean_car": car, "lower": car - 0.03,
                "upper": car + 0.03, "pairs": 10,
            }))
    _assert_labels_inside_and_apart(event_car_figure(pd.concat(frames, ignore_index=True)), events)
