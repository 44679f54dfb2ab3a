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
from orchestration.prepare import DAGSTER_YAML, dagster_instance, prepare_home
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
    assert config == DAGSTER_YAML
    assert "storage" not in yaml.safe_load(config)


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
    assert (settings.dagster_home / "dagster.yaml").read_text() == DAGSTER_YAML
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
