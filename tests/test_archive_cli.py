"""`adrpulse archive list | verify | retract` and `adrpulse rebuild` on a damaged archive, as a user
runs them (subprocesses with their own ADRPULSE_HOME), and the raw assets replaying a damaged
archive as a UI launch would (no CLI check first): named failures, never retried, raw tables
unchanged. One full rebuild (`--skip-bad` with a retracted import) runs dbt; the rest stop
before it.

The damage is the probe's list: a truncated price file, flipped bytes in a feed body, a manifest
pointing at a missing file, a manifest with bad JSON.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from assets.partitions import price_sessions
from assets.raw_news import raw_news
from assets.raw_prices import build_raw_prices
from assets.settings import SAMPLE_ARCHIVE_DIR, Settings
from assets.source_mode import replay_tags
from orchestration.tools.sample_data.locations import DEFAULT_FEEDS_PATH
from tests.support.cli import run_cli
from tests.support.resources import pipeline_resources, step_failures
from warehouse.archive import (
    list_news_fetches,
    list_price_fetches,
    retract_fetch,
    write_price_import,
)
from warehouse.connection import warehouse_connection
from warehouse.load import load_price_fetches

raw_prices = build_raw_prices(price_sessions(Settings.from_env({}).price_history_start))


@dataclass(frozen=True)
class Damage:
    """Which sample files were damaged, relative to the archive root."""

    truncated_prices: str
    flipped_news: str
    missing_data: str
    bad_json: str

    def files(self) -> list[str]:
        return [self.truncated_prices, self.flipped_news, self.missing_data, self.bad_json]


def damaged_copy(archive: Path) -> Damage:
    """A copy of the sample archive with the four kinds of damage, each in a different fetch.
    Daily price fetches are damaged, not the backfill: the next day's lookback covers their
    sessions, so a rebuild that skips them still has every bar."""
    shutil.copytree(SAMPLE_ARCHIVE_DIR, archive)
    prices = list_price_fetches(archive)
    news = [m for m in list_news_fetches(archive) if m.body_file]
    truncated, missing, bad_json = prices[5], prices[8], prices[11]
    data = archive / truncated.data_file
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    flipped = archive / news[4].body_file
    body = bytearray(flipped.read_bytes())
    body[len(body) // 2] ^= 0x01
    flipped.write_bytes(bytes(body))
    (archive / missing.data_file).unlink()
    (archive / bad_json.manifest_file).write_text('{"kind": "prices", "fetch_id": "')
    return Damage(truncated.data_file, news[4].body_file, missing.data_file,
                  bad_json.manifest_file)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def raw_snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            t: con.execute(f"select * from raw.{t} order by all").fetchall()
            for t in ("daily_bars", "price_fetches", "news_fetches", "news_items")
        }


# --- archive verify / list / retract ---------------------------------------------------------


def test_verify_names_each_bad_file_and_what_is_wrong(tmp_path: Path) -> None:
    damage = damaged_copy(tmp_path / "home" / "archive")
    result = run_cli(tmp_path / "home", "archive", "verify", "--every", "10")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    # The sample's fetches, counted from its manifests (the sample grows with the product).
    prices = len(list(SAMPLE_ARCHIVE_DIR.glob("prices/*/*/*.json")))
    news = len(list(SAMPLE_ARCHIVE_DIR.glob("news/*/*/*.json")))
    # Analyst and valuation snapshots: one manifest each (a valuation's data file is *.data.json).
    snapshots = {
        kind: len([p for p in SAMPLE_ARCHIVE_DIR.glob(f"{kind}/*/*/*.json")
                   if not p.name.endswith(".data.json")])
        for kind in ("analyst", "valuation")
    }
    total = prices + news + sum(snapshots.values())
    assert f"checked 10/{total} fetches" in out and f"checked {total}/{total} fetches" in out
    assert re.search(r"kind\s+fetches\s+verified\s+no checksum\s+retracted\s+bad", out)
    assert re.search(rf"prices\s+{prices}\s+{prices - 3}\s+0\s+0\s+3\n", out)
    assert re.search(rf"news\s+{news}\s+{news - 1}\s+0\s+0\s+1\n", out)
    for kind, n in snapshots.items():
        assert re.search(rf"{kind}\s+{n}\s+{n}\s+0\s+0\s+0\n", out)
    assert f"{damage.truncated_prices}: has " in out and "truncated or changed" in out
    assert f"{damage.flipped_news}: SHA-256 " in out
    assert f"{damage.missing_data}: is missing" in out
    assert f"{damage.bad_json}: manifest is not valid JSON" in out
    assert "adrpulse archive retract" in result.stderr
    assert "Traceback" not in result.stderr


def test_retract_then_list_shows_it_and_verify_skips_it(tmp_path: Path) -> None:
    home = tmp_path / "it's home"  # a quote in the path must not matter
    damage = damaged_copy(home / "archive")
    bad_id = Path(damage.bad_json).stem

    unknown = run_cli(home, "archive", "retract", "20990101T000000000000Z-x-000000",
                      "--reason", "typo")
    assert unknown.returncode == 1
    assert "no fetch '20990101T000000000000Z-x-000000'" in unknown.stderr
    assert "Traceback" not in unknown.stderr

    done = run_cli(home, "archive", "retract", bad_id, "--reason", "manifest lost in a crash")
    assert done.returncode == 0, done.stderr
    assert f"Retracted {bad_id} (prices): manifest lost in a crash" in done.stdout
    assert "adrpulse rebuild" in done.stdout
    again = run_cli(home, "archive", "retract", bad_id, "--reason", "twice")
    assert again.returncode == 1 and "already retracted" in again.stderr

    listed = run_cli(home, "archive", "list", "--kind", "prices", "--last", "0")
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if row.startswith(bad_id))
    assert "RETRACTED" in line and "manifest lost in a crash" in line
    assert ": 22 price fetches and imports; 1 retracted." in listed.stdout

    verified = run_cli(home, "archive", "verify")
    assert re.search(r"prices\s+22\s+19\s+0\s+1\s+2\n", verified.stdout)
    assert damage.bad_json not in verified.stdout


# --- rebuild ---------------------------------------------------------------------------------


def test_a_rebuild_of_a_damaged_archive_stops_before_touching_the_warehouse(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    shutil.copytree(SAMPLE_ARCHIVE_DIR, home / "archive")
    with warehouse_connection(home / "warehouse.duckdb") as con:
        load_price_fetches(con, home / "archive", list_price_fetches(home / "archive"))
    before = sha(home / "warehouse.duckdb")
    shutil.rmtree(home / "archive")
    damage = damaged_copy(home / "archive")

    result = run_cli(home, "rebuild")

    assert result.returncode == 1
    for name in damage.files():
        assert name in result.stdout
    assert "Nothing was rebuilt: the warehouse is unchanged." in result.stderr
    assert "Dagster run" not in result.stderr  # no run was started
    assert sha(home / "warehouse.duckdb") == before


def test_rebuild_skip_bad_leaves_out_bad_and_retracted_fetches_and_builds_the_marts(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    archive = home / "archive"
    shutil.copytree(SAMPLE_ARCHIVE_DIR, archive)
    sample_close = _baba_close(archive)
    wrong = pd.DataFrame(
        {"ticker": ["BABA"], "session_date": [date(2025, 3, 31)], "open": [400.0],
         "high": [400.0], "low": [400.0], "close": [400.0], "adj_close": [400.0],
         "volume": [1], "dividends": [0.0], "stock_splits": [0.0],
         "adj_close_source": ["provider"]}
    )
    bad_import, _ = write_price_import(
        archive, wrong, fetched_at=datetime(2025, 4, 1, tzinfo=UTC), tickers=["BABA"],
        start=date(2025, 3, 31), end=date(2025, 3, 31),
    )
    with warehouse_connection(home / "warehouse.duckdb") as con:
        load_price_fetches(con, archive, list_price_fetches(archive))
    assert _baba_close(archive, home / "warehouse.duckdb") == 400.0
    retract_fetch(archive, bad_import.fetch_id, "close x3: wrong vendor file")
    prices = list_price_fetches(archive)
    truncated = prices[10]
    data = archive / truncated.data_file
    data.write_bytes(data.read_bytes()[:-500])
    flipped = [m for m in list_news_fetches(archive) if m.body_file][3]
    body = bytearray((archive / flipped.body_file).read_bytes())
    body[200] ^= 0x01
    (archive / flipped.body_file).write_bytes(bytes(body))

    result = run_cli(home, "rebuild", "--skip-bad", timeout=1200)

    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert "Skipped 2 bad archive file(s) (--skip-bad):" in result.stderr
    assert f"{truncated.data_file}" in result.stderr
    assert f"{flipped.body_file}" in result.stderr
    assert "The raw tables and the marts were rebuilt from the other files only" in result.stderr
    assert "succeeded" in result.stdout
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        fetch_ids = {r[0] for r in con.execute("select fetch_id from raw.price_fetches").fetchall()}
        news_ids = {r[0] for r in con.execute("select fetch_id from raw.news_fetches").fetchall()}
        marts = con.execute("select count(*) from marts.fct_ticker_performance").fetchall()[0][0]
    assert bad_import.fetch_id not in fetch_ids and truncated.fetch_id not in fetch_ids
    assert len(fetch_ids) == len(prices) - 2
    assert flipped.fetch_id not in news_ids
    assert marts > 0
    assert _baba_close(archive, home / "warehouse.duckdb") == sample_close
    assert (home / "published" / "catalog.duckdb").exists()


def _baba_close(archive: Path, warehouse: Path | None = None) -> float:
    if warehouse is None:  # the sample's last daily fetch has the session
        last = list_price_fetches(archive)[-1]
        frame = pd.read_csv(archive / last.data_file)
        return float(frame.loc[(frame.ticker == "BABA") & (frame.session_date == "2025-03-31"),
                               "close"].iloc[0])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select close from raw.daily_bars where ticker = 'BABA' "
            "and session_date = '2025-03-31'"
        ).fetchall()[0][0]


# --- the raw assets on their own (a UI launch: no CLI check first) ----------------------------


@pytest.fixture
def loaded_home(tmp_path: Path) -> Path:
    """A home whose raw tables hold the whole sample (prices and news), replayed by the assets."""
    home = tmp_path / "home"
    shutil.copytree(SAMPLE_ARCHIVE_DIR, home / "archive")
    result = _replay(home, home / "archive")
    assert result.success
    return home


def _replay(home: Path, archive: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [raw_prices, raw_news],
        resources=pipeline_resources(home, ADRPULSE_FEEDS=str(DEFAULT_FEEDS_PATH)),
        tags=replay_tags(str(archive), rebuild=True),
        raise_on_error=False,
    )


def test_the_raw_assets_fail_by_name_without_retrying_and_change_nothing(
    loaded_home: Path,
) -> None:
    before = raw_snapshot(loaded_home / "warehouse.duckdb")
    shutil.rmtree(loaded_home / "archive")
    damage = damaged_copy(loaded_home / "archive")

    result = _replay(loaded_home, loaded_home / "archive")

    assert not result.success
    failures = step_failures(result)
    assert set(failures) == {"raw_prices", "raw_news"}
    for name in (damage.truncated_prices, damage.missing_data, damage.bad_json):
        assert name in failures["raw_prices"]
    assert "3 bad archive file(s); the raw price tables were left as they were" in failures[
        "raw_prices"
    ]
    assert damage.flipped_news in failures["raw_news"]
    assert "max_retries" not in " ".join(failures.values())
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert raw_snapshot(loaded_home / "warehouse.duckdb") == before
