"""Analyst actions and valuation snapshots in the demo: the sample's archived snapshots reach the
raw tables, the marts and the UI (metadata on marts/fct_valuation_spread), end to end."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance

from assets.settings import SAMPLE_ARCHIVE_DIR
from warehouse.archive import scan_snapshot_fetches
from warehouse.publish import open_published


def _scalar(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchall()[0][0]


def test_the_raw_tables_hold_every_archived_snapshot(demo_home: Path) -> None:
    analyst, bad_a = scan_snapshot_fetches(SAMPLE_ARCHIVE_DIR, "analyst")
    valuation, bad_v = scan_snapshot_fetches(SAMPLE_ARCHIVE_DIR, "valuation")
    assert analyst and valuation and not bad_a and not bad_v
    con = duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True)
    try:
        assert _scalar(con, "select count(*) from raw.analyst_fetches") == len(analyst)
        assert _scalar(con, "select count(*) from raw.valuation_fetches") == len(valuation)
        # Yahoo sends the whole history each time: the newest fetch holds every action once.
        assert _scalar(con, "select count(*) from raw.analyst_actions") == analyst[-1].rows
        # One row per ticker and session: every ticker of every snapshot.
        assert _scalar(con, "select count(*) from raw.valuation_snapshots") == sum(
            m.rows for m in valuation
        )
        sessions = _scalar(con, "select count(distinct session_date) from raw.valuation_snapshots")
        assert sessions == len({m.session_date for m in valuation})
    finally:
        con.close()


def test_the_marts_show_the_actions_and_the_spread(demo_home: Path) -> None:
    con = open_published(demo_home / "published")
    try:
        actions = _scalar(con, "select count(*) from marts.fct_analyst_actions")
        events = _scalar(
            con,
            "select count(distinct event_id) from marts.fct_event_car "
            "where event_origin = 'analyst'",
        )
        spread_sessions = _scalar(
            con, "select count(*) from marts.fct_valuation_spread where forward_pe_discount > 0"
        )
        stored = _scalar(
            con, "select count(distinct session_date) from marts.fct_valuation_history"
        )
    finally:
        con.close()
    newest = scan_snapshot_fetches(SAMPLE_ARCHIVE_DIR, "analyst")[0][-1]
    assert actions == newest.rows
    assert 0 < events <= actions  # one event per ticker, day 0 and category
    # The sample's China ADRs are priced at a discount on every snapshotted session.
    assert spread_sessions == stored > 0


def test_the_spread_asset_carries_the_latest_discount(demo_home: Path) -> None:
    con = open_published(demo_home / "published")
    try:
        latest, discount, percentile = con.execute(
            "select session_date, forward_pe_discount, forward_pe_discount_percentile "
            "from marts.fct_valuation_spread order by session_date desc limit 1"
        ).fetchall()[0]
    finally:
        con.close()
    instance = DagsterInstance.from_config(str(demo_home / "dagster"))
    try:
        event = instance.get_latest_materialization_event(
            AssetKey(["marts", "fct_valuation_spread"])
        )
    finally:
        instance.dispose()
    assert event is not None
    metadata = event.asset_materialization.metadata
    assert metadata["latest_valuation_session"].value == str(latest)
    assert metadata["forward_pe_discount"].value == discount
    assert metadata["forward_pe_discount_percentile"].value == percentile
    assert str(latest) in metadata["latest_sessions"].value
