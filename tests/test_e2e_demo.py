"""End to end: `adrpulse demo` in a temporary ADRPULSE_HOME, through the CLI, Dagster, dbt, the
checks and publishing, offline. The run itself happens once per session (conftest.demo_run)."""

from __future__ import annotations

import duckdb
import pytest

from assets.settings import SAMPLE_ARCHIVE_DIR
from warehouse.archive import list_news_fetches, list_price_fetches
from warehouse.publish import open_published

pytestmark = pytest.mark.e2e

MARTS = {
    "fct_event_window_returns",
    "fct_event_car",
    "fct_event_study_summary",
    "fct_event_study_daily",
    "fct_sector_relative_performance",
    "fct_ticker_performance",
    "fct_news_items",
    "fct_performance_summary",
    "fct_monthly_returns",
    "fct_basket_drawdowns",
    "fct_adr_premium",
    "fct_dual_listing_event_reactions",
}


def test_demo_succeeds_and_prints_a_summary(demo_run) -> None:
    assert demo_run.returncode == 0, demo_run.stderr[-3000:]
    out = demo_run.stdout
    assert "Checks" in out and "0 failed" in out
    assert "Published tables" in out
    for mart in MARTS:
        assert f"marts.{mart}" in out


def test_raw_tables_hold_the_whole_sample(demo_home) -> None:
    manifests = list_price_fetches(SAMPLE_ARCHIVE_DIR)
    con = duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True)
    try:
        fetches = con.execute("select count(*) from raw.price_fetches").fetchall()[0][0]
        tickers, first, last = con.execute(
            "select count(distinct ticker), min(session_date), max(session_date) "
            "from raw.daily_bars"
        ).fetchall()[0]
        news_fetches = con.execute("select count(*) from raw.news_fetches").fetchall()[0][0]
        failed_feeds = con.execute(
            "select count(*) from raw.news_fetches where status = 'failed'"
        ).fetchall()[0][0]
        items = con.execute("select count(*) from raw.news_items").fetchall()[0][0]
    finally:
        con.close()
    assert fetches == len(manifests)
    # the universe, the Hong Kong lines, HKD=X and the Hong Kong benchmark, as the fetches list them
    assert tickers == len({t for m in manifests for t in m.tickers})
    assert (str(first), str(last)) == ("2024-01-02", "2025-03-31")
    assert news_fetches == len(list_news_fetches(SAMPLE_ARCHIVE_DIR))
    assert failed_feeds >= 1  # the sample archives a 500 and a timeout: recorded, not fatal
    assert items > 0


def test_every_mart_is_published_and_readable(demo_home) -> None:
    con = open_published(demo_home / "published")
    try:
        published = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        counts = {m: con.execute(f"select count(*) from marts.{m}").fetchall()[0][0] for m in MARTS}
    finally:
        con.close()
    assert published >= MARTS
    assert all(n > 0 for n in counts.values()), counts


def test_the_runs_are_in_the_dagster_instance(demo_home) -> None:
    from dagster import DagsterInstance, DagsterRunStatus

    instance = DagsterInstance.from_config(str(demo_home / "dagster"))
    try:
        runs = instance.get_runs()
    finally:
        instance.dispose()
    assert runs, "no run recorded"
    assert {r.job_name for r in runs} == {"demo_sample_replay"}
    assert all(r.status == DagsterRunStatus.SUCCESS for r in runs)


def test_published_mart_columns_say_what_they_mean_and_their_unit(demo_home) -> None:
    from tests.support.dbt import unit_vocabulary

    con = open_published(demo_home / "published")
    try:
        documented = con.execute(
            "select table_name, column_name, unit, description from published_columns "
            "where schema_name = 'marts'"
        ).fetchall()
        in_views = con.execute(
            "select count(*) from information_schema.columns where table_schema = 'marts'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert len(documented) == in_views  # every published mart column has a row
    vocabulary = unit_vocabulary()
    bad = [(t, c, u) for t, c, u, d in documented if u not in vocabulary or not d]
    assert not bad, bad
    units = {(t, c): u for t, c, u, _ in documented}
    assert units["fct_ticker_performance", "volatility_annualized"] == "annualised_fraction"
    assert units["fct_sector_relative_performance", "index_buy_hold_a"] == "index_points_base_100"


def test_dagster_materializations_carry_column_units(demo_home) -> None:
    from dagster import AssetKey, DagsterInstance

    from tests.support.dbt import unit_vocabulary

    instance = DagsterInstance.from_config(str(demo_home / "dagster"))
    try:
        events = {
            mart: instance.get_latest_materialization_event(AssetKey(["marts", mart]))
            for mart in MARTS
        }
    finally:
        instance.dispose()
    vocabulary = unit_vocabulary()
    for mart, event in events.items():
        assert event is not None, mart
        schema = event.asset_materialization.metadata["dagster/column_schema"].value
        assert schema.columns, mart
        bad = [c.name for c in schema.columns
               if c.tags.get("unit") not in vocabulary or not c.description]
        assert not bad, (mart, bad)


def test_sql_reads_the_published_marts(demo_home) -> None:
    from tests.support.cli import run_cli

    result = run_cli(demo_home, "sql", "--csv", "select count(*) as n from marts.fct_event_car")
    assert result.returncode == 0, result.stderr
    header, value = result.stdout.strip().splitlines()
    assert header == "n" and int(value) > 0


def test_the_readme_sql_examples_run_on_the_demo_build(demo_home) -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    blocks = re.findall(r"```sql\n(.*?)```", readme, flags=re.DOTALL)
    statements = [s.strip() for block in blocks for s in block.split(";") if s.strip()]
    assert len(statements) >= 3
    con = open_published(demo_home / "published")
    try:
        for statement in statements:
            rows = con.execute(statement).fetchall()
            assert rows, f"no rows from README example:\n{statement}"
    finally:
        con.close()


def test_injected_abnormal_returns_are_found_on_their_day_zero(demo_home) -> None:
    import csv

    shocks = list(csv.DictReader((SAMPLE_ARCHIVE_DIR / "injected_shocks.csv").open()))
    con = open_published(demo_home / "published")
    try:
        found = {
            (event, ticker): (str(day), ar)
            for event, ticker, day, ar in con.execute(
                "select event_id, ticker, session_date, abnormal_return_market_model "
                "from marts.fct_event_window_returns where relative_day = 0"
            ).fetchall()
        }
    finally:
        con.close()
    checked = 0
    for shock in shocks:
        key = (shock["event_id"], shock["ticker"])
        if key not in found or found[key][1] is None:
            continue
        day, ar = found[key]
        assert day == shock["session_date"], key
        # The market model is estimated on noisy data: recovered within a few points of return.
        assert abs(ar - float(shock["abnormal_return"])) < 0.03, (key, ar, shock)
        checked += 1
    assert checked >= 30
    assert abs(found[("baba_fq3_earnings", "BABA")][1] - 0.08) < 0.03


def _comparable(value):
    # NaN never equals NaN, and DuckDB's parallel sums may differ in the last bits between runs.
    if isinstance(value, float):
        return "NaN" if value != value else float(f"{value:.10g}")
    return value


def _columns(con, mart: str) -> list[str]:
    return [row[0] for row in con.execute(f"describe marts.{mart}").fetchall()]


def _mart_contents(published) -> dict[str, list[tuple]]:
    con = open_published(published)
    try:
        return {
            mart: sorted(
                (
                    tuple(_comparable(v) for v in row)
                    # built_at records which build wrote a row, so it differs by design.
                    for row in con.execute(
                        f"select * exclude (built_at) from marts.{mart}"
                        if "built_at" in _columns(con, mart)
                        else f"select * from marts.{mart}"
                    ).fetchall()
                ),
                key=repr,
            )
            for mart in sorted(MARTS)
        }
    finally:
        con.close()


def test_a_second_demo_leaves_identical_marts(demo_home) -> None:
    """Runs last in this module: it replays the sample again into the same home."""
    from tests.support.cli import run_cli

    before = _mart_contents(demo_home / "published")
    result = run_cli(demo_home, "demo")
    assert result.returncode == 0, result.stderr[-3000:]
    assert _mart_contents(demo_home / "published") == before


def test_the_demo_alerts_on_the_injected_moves_with_headlines_and_delivers_each_once(
    demo_run, demo_home, alert_receiver, tmp_path
) -> None:
    """The sample's uncatalogued moves on its last session (injected_moves.csv) come out as
    alerts, each with headlines, POSTed once to the webhook; `adrpulse alerts` prints them; a
    second demo (on a copy of the home) sends nothing new."""
    import csv
    import re
    import shutil

    from tests.support.cli import run_cli

    moves = list(csv.DictReader((SAMPLE_ARCHIVE_DIR / "injected_moves.csv").open()))
    assert len(moves) >= 2
    con = open_published(demo_home / "published")
    try:
        alerts = {
            t: (str(d), ar, n)
            for t, d, ar, n in con.execute(
                "select ticker, session_date, abnormal_return, headline_count "
                "from marts.fct_alerts").fetchall()
        }
        log = dict(con.execute(
            "select alert_id, delivery_status from raw.alert_log").fetchall())
    finally:
        con.close()
    assert set(alerts) == {m["ticker"] for m in moves}
    for m in moves:
        day, ar, headlines = alerts[m["ticker"]]
        assert day == m["session_date"]
        assert abs(ar - float(m["abnormal_return"])) < 0.03, (m, ar)
        assert headlines >= 1
    assert set(log.values()) == {"sent"}
    # The WARN check of the run, and the demo's summary, show the alerts with their headlines.
    assert re.search(r"WARN\s+alerts/alert_log\s+latest_session_alerts", demo_run.stdout)
    assert "PDD shares tumble as EU opens investigation" in demo_run.stdout
    posted = sorted(r.body["ticker"] for r in alert_receiver.received)
    assert posted == sorted(alerts), "each alert POSTed exactly once"
    assert all(r.body["text"].startswith("*ADR Pulse alert*") for r in alert_receiver.received)

    listed = run_cli(demo_home, "alerts", "--since", "2025-03-31")
    assert listed.returncode == 0, listed.stderr
    assert "2 alert(s) since 2025-03-31" in listed.stdout
    assert "PDD shares tumble as EU opens investigation" in listed.stdout
    assert "sent" in listed.stdout
    later = run_cli(demo_home, "alerts", "--since", "2025-04-01")
    assert later.returncode == 0 and "No alerts since 2025-04-01." in later.stdout

    copy = tmp_path / "home"
    shutil.copytree(demo_home, copy)
    before = len(alert_receiver.received)
    second = run_cli(copy, "demo", env={"ADRPULSE_ALERT_WEBHOOK": alert_receiver.url})
    assert second.returncode == 0, second.stderr[-3000:]
    assert len(alert_receiver.received) == before, "a second demo sent an alert again"
