"""Dagster on PostgreSQL (issue 20): with ADRPULSE_DAGSTER_POSTGRES_URL the instance ADR Pulse
prepares keeps runs, event logs and schedules in PostgreSQL, behind the queued run coordinator
(at most ADRPULSE_MAX_CONCURRENT_RUNS runs, one warehouse writer); without it nothing changes.

The server is real: Debian's postgresql binaries, a cluster in tmp on 127.0.0.1
(tests/support/postgres.py); the module skips, saying why, where they are missing.
"""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest
import yaml

from assets.settings import Settings
from orchestration.jobs import ALL_JOBS
from orchestration.prepare import dagster_instance, prepare_home, sqlite_dagster_yaml
from tests.support.cli import run_cli
from tests.support.postgres import local_postgres


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory: pytest.TempPathFactory):
    with local_postgres(tmp_path_factory.mktemp("postgres") / "cluster") as url:
        yield url.replace("postgresql://", "postgresql+psycopg2://", 1)


def _settings(home: Path, url: str = "", max_runs: str = "") -> Settings:
    env = {"ADRPULSE_HOME": str(home)}
    if url:
        env["ADRPULSE_DAGSTER_POSTGRES_URL"] = url
    if max_runs:
        env["ADRPULSE_MAX_CONCURRENT_RUNS"] = max_runs
    return Settings.from_env(env)


def test_without_the_url_the_instance_is_the_sqlite_default(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "home")
    prepare_home(settings)
    config = (settings.dagster_home / "dagster.yaml").read_text()
    assert config == sqlite_dagster_yaml(settings.dagster_home)
    assert "storage" not in yaml.safe_load(config)
    # runs and schedules are Dagster's SQLite default; the event log is ours, in Dagster's folder
    storages = dagster_instance(settings).get_ref()
    assert storages.event_storage_data.class_name == "AdrPulseSqliteEventLogStorage"
    assert storages.run_storage_data.class_name == "SqliteRunStorage"
    assert storages.schedule_storage_data.class_name == "SqliteScheduleStorage"
    events_dir = yaml.safe_load(storages.event_storage_data.config_yaml)["base_dir"]
    assert Path(events_dir) == (settings.dagster_home / "history" / "runs").resolve()


def test_the_written_config_follows_the_setting_but_a_users_own_is_kept(tmp_path: Path) -> None:
    home = tmp_path / "home"
    url = "postgresql+psycopg2://someone:hunter2@db.example:5432/dagster"
    settings = _settings(home, url, max_runs="7")
    prepare_home(settings)
    config = yaml.safe_load((settings.dagster_home / "dagster.yaml").read_text())
    # The URL (and its password) stays in the environment, never in the file.
    assert config["storage"] == {
        "postgres": {"postgres_url": {"env": "ADRPULSE_DAGSTER_POSTGRES_URL"}}
    }
    assert "hunter2" not in (settings.dagster_home / "dagster.yaml").read_text()
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    runs = config["concurrency"]["runs"]
    assert runs["max_concurrent_runs"] == 7
    assert config["concurrency"]["pools"] == {"default_limit": 1}
    assert runs["tag_concurrency_limits"] == [
        {"key": "adrpulse/warehouse", "value": "write", "limit": 1}
    ]
    # Back to SQLite when the variable is unset: the file ADR Pulse wrote follows.
    prepare_home(_settings(home))
    assert (settings.dagster_home / "dagster.yaml").read_text() == sqlite_dagster_yaml(
        settings.dagster_home
    )
    # A dagster.yaml the user wrote is theirs.
    own = "telemetry:\n  enabled: false\n"
    (settings.dagster_home / "dagster.yaml").write_text(own)
    prepare_home(settings)
    assert (settings.dagster_home / "dagster.yaml").read_text() == own


def test_every_job_carries_the_warehouse_writer_tag() -> None:
    for job in ALL_JOBS:
        assert job.tags.get("adrpulse/warehouse") == "write", job.name


def test_settings_never_print_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg2://someone:hunter2@127.0.0.1:1/dagster"
    result = run_cli(tmp_path / "home", "settings",
                     env={"ADRPULSE_DAGSTER_POSTGRES_URL": url})
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout
    assert "postgresql+psycopg2://someone:***@127.0.0.1:1/dagster" in result.stdout


def test_a_url_without_the_driver_is_refused_by_name(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "home", "settings",
                     env={"ADRPULSE_DAGSTER_POSTGRES_URL": "postgresql://u:hunter2@h/db"})
    assert result.returncode != 0
    assert "ADRPULSE_DAGSTER_POSTGRES_URL must start with postgresql+psycopg2://" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_the_demo_runs_on_postgres(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    env = {"ADRPULSE_DAGSTER_POSTGRES_URL": postgres_url}
    result = run_cli(home, "demo", env=env, timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    # The run and its events are in PostgreSQL, not in SQLite files under DAGSTER_HOME.
    plain_url = postgres_url.replace("+psycopg2", "", 1)
    with psycopg2.connect(plain_url) as con, con.cursor() as cur:
        cur.execute("select pipeline_name, status from runs")
        runs = cur.fetchall()
        cur.execute("select count(*) from event_logs")
        events = cur.fetchone()[0]
    assert ("demo_sample_replay", "SUCCESS") in runs
    assert events > 100
    dagster_home = home / "dagster"
    assert not list(dagster_home.rglob("*.db")), list(dagster_home.rglob("*.db"))

    # The same instance, opened the way the UI and the CLI open it, reads the run back with its
    # tags (the writer tag the queued coordinator limits).
    settings = _settings(home, postgres_url)
    monkeypatch.setenv("ADRPULSE_DAGSTER_POSTGRES_URL", postgres_url)  # as in the user's shell
    with dagster_instance(settings) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        records = instance.get_run_records()
        demo = [r.dagster_run for r in records if r.dagster_run.job_name == "demo_sample_replay"]
        assert demo and demo[0].tags.get("adrpulse/warehouse") == "write"


def test_a_schedule_tick_goes_through_postgres(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`adrpulse schedules start` records the schedule's state in PostgreSQL, and one iteration
    of Dagster's own scheduler (the daemon's loop body, run here up to the next 18:00 New York)
    records its tick there and hands the day's run to the queued coordinator: on an XNYS session
    a QUEUED daily run with the warehouse-writer tag, otherwise a skipped tick that says why."""
    import logging
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    # Private Dagster API, as Dagster's own scheduler tests drive it: the daemon runs this body.
    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.scheduler.instigation import InstigatorType, TickStatus
    from dagster._core.test_utils import create_test_daemon_workspace_context
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
    from dagster._scheduler.scheduler import launch_scheduled_runs

    from assets.calendar import is_session
    from assets.settings import REPO_ROOT
    from orchestration.commands.schedules import CODE_LOCATION_MODULE, CODE_LOCATION_NAME

    home = tmp_path / "live-home"
    env = {"ADRPULSE_DAGSTER_POSTGRES_URL": postgres_url}
    started = run_cli(home, "schedules", "start", "daily_after_close", env=env)
    assert started.returncode == 0, started.stdout + started.stderr
    assert "Started daily_after_close" in started.stdout

    settings = _settings(home, postgres_url)
    for name, value in {**env, "ADRPULSE_HOME": str(home),
                        "DAGSTER_HOME": str(settings.dagster_home)}.items():
        monkeypatch.setenv(name, value)
    new_york = ZoneInfo("America/New_York")
    now = datetime.now(new_york)
    tick_at = now.replace(hour=18, minute=0, second=0, microsecond=0)
    if tick_at <= now:
        tick_at += timedelta(days=1)
    while tick_at.weekday() >= 5:  # the cron runs Monday to Friday
        tick_at += timedelta(days=1)

    origin = InProcessCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(
            module_name=CODE_LOCATION_MODULE, working_directory=str(REPO_ROOT)
        ),
        location_name=CODE_LOCATION_NAME,
    )
    with dagster_instance(settings) as instance:
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        with create_test_daemon_workspace_context(
            InProcessWorkspaceLoadTarget(origin), instance
        ) as workspace:
            list(launch_scheduled_runs(
                workspace, logging.getLogger("test-scheduler"),
                end_datetime_utc=tick_at.astimezone(UTC) + timedelta(minutes=1),
                iteration_times={},
            ))
        states = [s for s in instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE)
                  if s.instigator_name == "daily_after_close"]
        assert len(states) == 1 and states[0].is_running
        ticks = instance.get_ticks(states[0].instigator_origin_id, states[0].selector_id)
        daily_runs = [r.dagster_run for r in instance.get_run_records()
                      if r.dagster_run.job_name == "daily_refresh"]

    assert len(ticks) == 1, [(t.status, t.timestamp) for t in ticks]
    tick = ticks[0]
    day = tick_at.date()
    if is_session(day):
        assert tick.status == TickStatus.SUCCESS, tick.error
        assert [r.status.value for r in daily_runs] == ["QUEUED"]
        assert daily_runs[0].tags["adrpulse/warehouse"] == "write"
        assert daily_runs[0].tags["dagster/partition"] == day.isoformat()
    else:
        assert tick.status == TickStatus.SKIPPED
        assert f"{day} is not an XNYS session" in (tick.skip_reason or "")
        assert daily_runs == []

    # The tick and the run are rows in PostgreSQL, where the UI reads them.
    plain_url = postgres_url.replace("+psycopg2", "", 1)
    with psycopg2.connect(plain_url) as con, con.cursor() as cur:
        cur.execute("select count(*) from job_ticks")
        assert cur.fetchone()[0] >= 1
