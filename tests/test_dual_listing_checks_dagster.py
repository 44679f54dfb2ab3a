"""The dual-listing WARN checks inside one Dagster run: a rebuild from an archive in which
9618.HK lacks one Hong Kong session (home_line_gaps) and 9988.HK's raw prices are half again as
high on one session, so BABA's premium jumps (the dbt test premium_jump_within). Both are WARNs:
the run succeeds and the marts are built. The same run shows bars_fresh judging the home lines
on their own calendars and the premium table on the fct_adr_premium asset.

The archive is the bundled sample with those two edits, rewritten through the archive's own
writer (warehouse/archive.write_price_fetch), so the replay reads it as it reads any archive."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from orchestration.commands.common import run_job
from orchestration.commands.pipeline import REBUILD_JOB
from tests.support.dbt import SAMPLE_ARCHIVE
from tests.support.resources import settings_for
from warehouse.archive import check_price_data, list_price_fetches, write_price_fetch
from warehouse.load import _read_price_file

MISSING = ("9618.HK", date(2025, 3, 12))  # a Wednesday, an XHKG session
JUMPED = ("9988.HK", date(2025, 3, 20))  # BABA's home line; an XNYS and XHKG session
RAISE = 1.5  # raw prices only: the adjusted close (returns) is left alone


def _edited_archive(archive: Path) -> None:
    shutil.copytree(SAMPLE_ARCHIVE, archive, ignore=shutil.ignore_patterns("prices"))
    con = duckdb.connect()
    for manifest in list_price_fetches(SAMPLE_ARCHIVE):
        # read as the replay reads it (typed and checked), parquet or csv
        path = check_price_data(SAMPLE_ARCHIVE, manifest)
        _read_price_file(con, path, manifest.format, manifest.fetch_id)
        bars = con.execute("select * from staged_bars").df()
        day = pd.to_datetime(bars["session_date"]).dt.date
        bars = bars[~((bars["ticker"] == MISSING[0]) & (day == MISSING[1]))].copy()
        jumped = (bars["ticker"] == JUMPED[0]) & (day.loc[bars.index] == JUMPED[1])
        for column in ("open", "high", "low", "close"):
            bars.loc[jumped, column] *= RAISE
        write_price_fetch(
            archive, bars.reset_index(drop=True), source=manifest.source,
            fetched_at=datetime.fromisoformat(manifest.fetched_at), tickers=manifest.tickers,
            start=date.fromisoformat(manifest.start) if manifest.start else None,
            end=date.fromisoformat(manifest.end) if manifest.end else None,
            failed_tickers=manifest.failed_tickers,
            replaces_history_of=manifest.replaces_history_of, synthetic=manifest.synthetic,
            note=manifest.note, fmt=manifest.format, fetch_id=manifest.fetch_id,
        )
    con.close()


def test_a_missing_home_bar_and_a_premium_jump_warn_without_failing_the_run(tmp_path: Path):
    home = tmp_path / "home"
    _edited_archive(home / "archive")
    settings = settings_for(home)

    result = run_job(settings, REBUILD_JOB)

    assert result.success, "WARN checks must not fail the run"
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    gaps = evaluations["home_line_gaps"]
    assert not gaps.passed and gaps.severity == dg.AssetCheckSeverity.WARN
    assert gaps.metadata["offending_rows"].value == [
        {"ticker": MISSING[0], "missing_session": MISSING[1].isoformat()}
    ]
    # every home line, HKD=X and 2800.HK are judged fresh on their own calendars
    fresh = evaluations["bars_fresh"]
    assert fresh.passed, fresh.description
    assert fresh.metadata["home_lines_judged"].value == 12
    [premium] = [
        m for m in result.get_asset_materialization_events()
        if m.asset_key == dg.AssetKey(["marts", "fct_adr_premium"])
    ]
    shown = premium.materialization.metadata  # what the UI shows on the asset
    assert shown["pairs_with_premium"].value == 10
    assert "| BABA | 9988.HK | 2025-03-31 |" in shown["latest_premiums"].value
    [jump_name] = [n for n in evaluations if n.startswith("premium_jump_within")]
    jump = evaluations[jump_name]
    assert jump.asset_key == dg.AssetKey(["marts", "fct_adr_premium"])
    assert not jump.passed and jump.severity == dg.AssetCheckSeverity.WARN
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        jumps = con.execute(
            "select adr_ticker, session_date from marts.fct_adr_premium "
            "where abs(premium_change) > ? order by 1, 2", [settings.premium_jump_threshold]
        ).fetchall()
        raised = con.execute(
            "select close from raw.daily_bars where ticker = ? and session_date = ?", list(JUMPED)
        ).fetchall()
    # BABA's jumps are the raised session and the one after it (back to normal). The synthetic
    # sample's other pairs have jumps of their own (BYDDY first), which the check lists too.
    assert [j for j in jumps if j[0] == "BABA"] == [
        ("BABA", date(2025, 3, 20)), ("BABA", date(2025, 3, 21))
    ]
    assert int(jump.metadata["dagster_dbt/failed_row_count"].value) == len(jumps)
    assert raised and raised[0][0] > 0
