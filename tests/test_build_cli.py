"""End to end through the CLI, on a copy of the demo's state folder: `adrpulse build` uses the
universe and event catalog the environment points to, refuses to build or publish while a
blocking check of the stored bars fails (printing the rows, no traceback), and `--force` builds
and publishes past it with the catalog saying so.

One module-scoped sequence of runs (two dbt builds and one refused build), asserted by the tests.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from subprocess import CompletedProcess

import duckdb
import pandas as pd
import pytest

from tests.support.cli import run_cli
from tests.support.dbt import SEEDS_DIR
from warehouse.archive import write_price_fetch
from warehouse.load import load_price_fetch
from warehouse.publish import PublishedBuild, current_build, open_published

NEW_GROUP = "china_ev"
EV_TICKERS = ("NIO", "LI", "XPEV")
NEW_EVENT = "ev_price_war"
BAD_SESSION = "2025-03-31"


@dataclass
class Runs:
    home: Path
    custom: CompletedProcess[str]
    built: PublishedBuild
    bad_fetch_id: str
    catalog_before_refusal: str
    refused: CompletedProcess[str]
    after_refusal: PublishedBuild
    catalog_after_refusal: str
    forced: CompletedProcess[str]
    after_force: PublishedBuild
    listing: CompletedProcess[str]


def _custom_reference(folder: Path) -> dict[str, str]:
    """The shipped universe with the Chinese EV makers in a group of their own, and the shipped
    catalog plus an event scoped to that group."""
    universe = pd.read_csv(SEEDS_DIR / "universe.csv", dtype=str, keep_default_na=False)
    universe.loc[universe["ticker"].isin(EV_TICKERS), "group_name"] = NEW_GROUP
    universe.to_csv(folder / "my_universe.csv", index=False)
    catalog = (SEEDS_DIR / "event_catalog.csv").read_text(encoding="utf-8").rstrip("\n")
    catalog += (
        f"\n{NEW_EVENT},Chinese EV makers cut prices again,2025-03-03T09:00:00+08:00,"
        f"2025-03-03,Asia/Shanghai,{NEW_GROUP},test,false\n"
    )
    (folder / "my_events.csv").write_text(catalog, encoding="utf-8")
    return {
        "ADRPULSE_UNIVERSE": str(folder / "my_universe.csv"),
        "ADRPULSE_EVENTS": str(folder / "my_events.csv"),
    }


def _store_bad_bar(home: Path) -> str:
    """What a fetch that got a bad print leaves behind: BABA's last bar closing above its high,
    archived and loaded (its checks then fail, so no mart was built from it)."""
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        bar = con.execute(
            "select * exclude (fetch_id, adj_close_source) from raw.daily_bars "
            "where ticker = 'BABA' and session_date = ?",
            [BAD_SESSION],
        ).df()
        bar["high"] = bar["close"] * 0.99
        bar["adj_close_source"] = "provider"
        day = datetime.fromisoformat(BAD_SESSION).date()
        manifest = write_price_fetch(
            home / "archive",
            bar,
            source="yfinance",
            fetched_at=datetime.now(UTC),
            tickers=["BABA"],
            start=day,
            end=day,
        )
        assert not load_price_fetch(con, home / "archive", manifest).skipped
    finally:
        con.close()
    return manifest.fetch_id


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def runs(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("build_cli")
    home = root / "home"
    shutil.copytree(demo_home, home)
    env = _custom_reference(root)

    custom = run_cli(home, "build", env=env)
    assert custom.returncode == 0, custom.stderr[-4000:]
    built = current_build(home / "published")
    catalog = home / "published" / "catalog.duckdb"

    bad_fetch_id = _store_bad_bar(home)
    before = _digest(catalog)
    refused = run_cli(home, "build", env=env)
    after_refusal = current_build(home / "published")
    after_digest = _digest(catalog)

    forced = run_cli(home, "build", "--force", env=env)
    after_force = current_build(home / "published")
    listing = run_cli(home, "sql", "--list", env=env)
    return Runs(
        home, custom, built, bad_fetch_id, before, refused, after_refusal, after_digest,
        forced, after_force, listing,
    )


def test_a_custom_universe_and_event_catalog_reach_the_marts(runs: Runs, demo_home: Path) -> None:
    con = open_published(runs.home / "published")
    try:
        groups = dict(
            con.execute(
                "select ticker, group_name from reference.universe where ticker in (?, ?, ?)",
                list(EV_TICKERS),
            ).fetchall()
        )
        event_pairs = con.execute(
            "select ticker, group_name from marts.fct_event_car "
            "where event_id = ? and window_label = '[-1,+1]' and exchange = 'XNYS' "
            "order by ticker",
            [NEW_EVENT],
        ).fetchall()
        # their Hong Kong lines are pairs of their own, in the new group's _xhkg twin
        home_pairs = con.execute(
            "select ticker, group_name from marts.fct_event_car "
            "where event_id = ? and window_label = '[-1,+1]' and exchange = 'XHKG' "
            "order by ticker",
            [NEW_EVENT],
        ).fetchall()
        summary_groups = {
            r[0]
            for r in con.execute(
                "select summary_group from marts.fct_event_study_summary where event_id = ?",
                [NEW_EVENT],
            ).fetchall()
        }
        old_event_groups = {
            r[0]
            for r in con.execute(
                "select distinct group_name from marts.fct_event_car "
                "where event_id = 'xi_symposium'"
            ).fetchall()
        }
    finally:
        con.close()
    assert groups == dict.fromkeys(EV_TICKERS, NEW_GROUP)
    assert event_pairs == sorted((t, NEW_GROUP) for t in EV_TICKERS)
    listings = pd.read_csv(SEEDS_DIR / "dual_listings.csv")
    homes = listings.loc[listings["adr_ticker"].isin(EV_TICKERS), "home_ticker"]
    assert home_pairs == sorted((t, f"{NEW_GROUP}_xhkg") for t in homes)
    assert NEW_GROUP in summary_groups
    # The shipped events see the new grouping too; nobody is left 'unclassified'.
    assert NEW_GROUP not in old_event_groups and "unclassified" not in old_event_groups
    # The demo itself (default files) has neither.
    demo = open_published(demo_home / "published")
    try:
        assert demo.execute(
            "select count(*) from marts.fct_event_car where event_id = ? or group_name = ?",
            [NEW_EVENT, NEW_GROUP],
        ).fetchall() == [(0,)]
    finally:
        demo.close()


def test_a_failed_blocking_check_refuses_the_build_and_prints_its_rows(runs: Runs) -> None:
    refused = runs.refused
    out = refused.stdout
    assert refused.returncode == 1
    assert "FAILED raw/daily_bars build_gate" in out
    assert "ohlc_consistent" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("BABA"))
    assert BAD_SESSION in row and runs.bad_fetch_id in row
    assert "Next step: Replace the offending bars" in out
    assert "adrpulse build --force" in out
    assert "Nothing was built or published" in refused.stderr
    assert f"published build {runs.built.build_id}, unchanged" in refused.stderr
    # No marts were built: the dbt step never started.
    assert "Running with dbt" not in out


def test_a_refused_build_leaves_the_published_catalog_unchanged(runs: Runs) -> None:
    assert runs.after_refusal.build_id == runs.built.build_id
    assert runs.catalog_after_refusal == runs.catalog_before_refusal
    assert runs.after_refusal.forced is False


def test_expected_check_failures_print_no_traceback(runs: Runs) -> None:
    for stream in (runs.refused.stdout, runs.refused.stderr, runs.forced.stdout,
                   runs.forced.stderr):
        assert "Traceback" not in stream
        assert "Stack Trace" not in stream
        assert "dagster._core" not in stream
    step_lines = [ln for ln in runs.refused.stderr.splitlines() if ln.startswith("  step ")]
    assert step_lines == [
        "  step build_gate failed: blocking check failed (raw/daily_bars: build_gate); its rows "
        "are listed with the checks above"
    ]
    # Passed checks are counted, not listed.
    assert not any(line.startswith("passed") for line in runs.forced.stdout.splitlines())
    # Three warnings: the forced gate, the alerts of the sample's last session (docs/alerts.md)
    # and the sample's premium jumps (docs/dual_listings.md): three sessions of XPEV's largest
    # moves, which the sample's home line follows partly the next session. The sessions right
    # after a Hong Kong holiday are no longer among them: Hong Kong closed, no same-day premium.
    assert "Checks: " in runs.forced.stdout and " passed, 0 failed, 3 warned" in runs.forced.stdout
    assert re.search(r"WARN\s+alerts/alert_log\s+latest_session_alerts", runs.forced.stdout)
    assert re.search(r"WARN\s+marts/fct_adr_premium\s+premium_jump_within", runs.forced.stdout)


def test_force_publishes_and_the_catalog_and_report_say_so(runs: Runs) -> None:
    assert runs.forced.returncode == 0, runs.forced.stderr[-4000:]
    assert "WARN raw/daily_bars build_gate: FORCED" in runs.forced.stdout
    after = runs.after_force
    assert after.build_id != runs.built.build_id
    assert after.forced is True
    assert after.failed_checks == ("raw/daily_bars:ohlc_consistent",)
    assert runs.listing.returncode == 0
    assert (
        "WARNING: this build was forced (adrpulse build --force) past failed blocking checks: "
        "raw/daily_bars:ohlc_consistent"
    ) in runs.listing.stdout
    report = (runs.home / "reports" / "adrpulse_report.html").read_text(encoding="utf-8")
    assert 'id="forced-banner"' in report and "raw/daily_bars:ohlc_consistent" in report
