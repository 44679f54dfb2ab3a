"""Issue 22, "The first hour", on a home made by `adrpulse demo` (a copy of the session's demo
home): live work is refused before anything is fetched or stored, from the CLI and inside a run
launched anyway; the schedules are stopped and refuse to start; a failed run records which build
readers still see; `adrpulse rebuild` right after the demo replays the sample."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from assets.publish import PUBLISHED_MARTS
from assets.resources import FeedClientResource, YahooPricesResource
from orchestration.definitions import build_definitions
from tests.support.cli import run_cli
from tests.support.resources import settings_for, step_failures
from warehouse.publish import current_build

REFUSAL = "holds the SYNTHETIC demo sample"


@pytest.fixture
def sample_home(demo_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    return home


def state_of(home: Path) -> dict[str, Any]:
    """What a refused command must leave exactly as it was."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        counts = {
            table: con.execute(f"select count(*) from raw.{table}").fetchall()[0][0]
            for table in ("price_fetches", "daily_bars", "news_fetches", "news_items")
        }
    finally:
        con.close()
    archive = home / "archive"
    files = sorted(p.relative_to(archive).as_posix() for p in archive.rglob("*") if p.is_file())
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    try:
        runs = len(instance.get_runs())
    finally:
        instance.dispose()
    return {"raw": counts, "archive": files, "runs": runs}


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["run", "--as-of", "2025-03-31"],
        ["fetch-news"],
        ["backfill", "2025-03-03", "2025-03-07"],
    ],
    ids=lambda c: " ".join(c),
)
def test_live_commands_refuse_the_sample_home_before_anything(
    sample_home: Path, command: list[str]
) -> None:
    before = state_of(sample_home)
    result = run_cli(sample_home, *command, timeout=300)
    assert result.returncode == 1
    assert REFUSAL in result.stderr and "nothing was fetched or stored" in result.stderr
    assert "export ADRPULSE_HOME=~/adrpulse-live" in result.stderr
    assert "Dagster run" not in result.stderr and "Traceback" not in result.stderr
    assert state_of(sample_home) == before  # no news manifest, no run, no row


def test_the_schedules_are_stopped_and_do_not_start_on_the_sample_home(sample_home: Path) -> None:
    status = run_cli(sample_home, "schedules", "status", timeout=300)
    assert status.returncode == 0, status.stderr[-3000:]
    lines = {line.split()[0]: line.split()[-1] for line in status.stdout.splitlines() if line}
    assert lines["daily_after_close"] == "STOPPED"
    assert lines["news_every_two_hours"] == "STOPPED"

    start = run_cli(sample_home, "schedules", "start", timeout=300)
    assert start.returncode == 1
    assert REFUSAL in start.stderr and "so they stay stopped" in start.stderr

    again = run_cli(sample_home, "schedules", "status", timeout=300)
    assert "RUNNING" not in again.stdout


def test_a_live_run_launched_anyway_fetches_nothing_and_tells_what_readers_see(
    sample_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the daemon or the UI would launch it (no CLI check): the raw assets refuse at their
    start, without retrying, and published/marts records the build readers still see."""
    requests: list[str] = []

    def no_feed(self: Any, url: str, *args: Any, **kwargs: Any) -> Any:
        requests.append(url)
        raise AssertionError(f"a feed was polled: {url}")

    def no_yahoo(self: Any) -> Any:
        requests.append("yahoo")
        raise AssertionError("Yahoo was asked")

    monkeypatch.setattr(FeedClientResource, "fetch", no_feed)
    monkeypatch.setattr(YahooPricesResource, "download_function", no_yahoo)
    monkeypatch.setattr(YahooPricesResource, "ticker_function", no_yahoo)
    readers_see = current_build(sample_home / "published")
    before = state_of(sample_home)

    job = build_definitions(settings_for(sample_home)).resolve_job_def("daily_refresh")
    instance = dg.DagsterInstance.from_config(str(sample_home / "dagster"))
    try:
        result = job.execute_in_process(
            instance=instance,
            run_config={"ops": {"raw_prices": {"config": {"as_of": "2025-03-31"}}}},
            raise_on_error=False,
        )
        observations = instance.fetch_observations(PUBLISHED_MARTS, limit=10).records
    finally:
        instance.dispose()

    assert not result.success
    failures = step_failures(result)
    assert set(failures) == {"raw_news", "raw_prices", "raw_analysts"}
    assert REFUSAL in failures["raw_news"] and "no feed was polled" in failures["raw_news"]
    assert REFUSAL in failures["raw_prices"]
    assert REFUSAL in failures["raw_analysts"] and "nothing was fetched" in failures["raw_analysts"]
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
    assert requests == []
    after = state_of(sample_home)
    assert after["raw"] == before["raw"] and after["archive"] == before["archive"]

    assert observations, "no observation on published/marts after the failed run"
    metadata = {k: v.value for k, v in observations[0].asset_observation.metadata.items()}
    assert metadata["readers_see_build_id"] == readers_see.build_id
    assert metadata["failed_run"] == result.run_id
    assert metadata["failed_step"] in failures
    assert "last good build" in metadata["readers_see"]


def test_rebuild_right_after_the_demo_replays_the_sample(sample_home: Path) -> None:
    before = state_of(sample_home)
    build_before = current_build(sample_home / "published").build_id

    result = run_cli(sample_home, "rebuild", timeout=900)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "holds no price fetch" in result.stdout and "rebuilding from the sample" in result.stdout
    assert "0 failed" in result.stdout
    assert state_of(sample_home)["raw"] == before["raw"]
    assert current_build(sample_home / "published").build_id != build_before
