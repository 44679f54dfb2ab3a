"""Preparing a state folder (ADRPULSE_HOME) for a command: its folders, the Dagster instance's
dagster.yaml, and a current dbt manifest.

Called by the CLI commands and `make setup`, never at import. Nothing here changes this process's
environment: commands open the Dagster instance with `dagster_instance(settings)`, and a child
process (the UI) gets its variables through `child_env(settings)`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from dagster import DagsterInstance

from assets.dbt_project import prepare_dbt_manifest
from assets.settings import REPO_ROOT, Settings, setting
from assets.source_mode import WAREHOUSE_WRITER_TAG

DAGSTER_YAML_HEADER = "# Written by ADR Pulse (orchestration/prepare.py)."
# Runs launched by the daemon or the UI get no logger config, so Dagster gives them its own console
# logger at this level (DEBUG by default: every step event in the `make ui` terminal). The CLI's
# runs use orchestration/run_logging.py.
PYTHON_LOGS = """\
# Runs launched by the daemon or the UI log at INFO (Dagster's default is DEBUG).
python_logs:
  python_log_level: INFO
"""
SQLITE_YAML = f"""\
{DAGSTER_YAML_HEADER} Runs, schedules and event logs live here.
telemetry:
  enabled: false
# Dagster's SQLite event log, reusing its engines (orchestration/dagster_storage.py).
event_log_storage:
  module: orchestration.dagster_storage
  class: AdrPulseSqliteEventLogStorage
  config:
    base_dir: "{{event_logs_dir}}"
# One step at a time may write the DuckDB warehouse (assets declare pool="warehouse").
concurrency:
  pools:
    default_limit: 1
{PYTHON_LOGS}"""


# With ADRPULSE_DAGSTER_POSTGRES_URL: runs, event logs and schedules in PostgreSQL, and the queued
# run coordinator. The URL stays in the environment ({env: ...}), never in the file.
POSTGRES_YAML = """\
{header} ADRPULSE_DAGSTER_POSTGRES_URL is set: runs, schedules and event logs live in PostgreSQL.
telemetry:
  enabled: false
storage:
  postgres:
    postgres_url:
      env: {env}
# Runs wait in a queue (the daemon starts them; `adrpulse ui` runs it).
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
concurrency:
  # One step at a time may write the DuckDB warehouse (assets declare pool="warehouse").
  pools:
    default_limit: 1
  # At most ADRPULSE_MAX_CONCURRENT_RUNS runs at once, and one run that writes the warehouse.
  runs:
    max_concurrent_runs: {max_runs}
    tag_concurrency_limits:
      - key: "{tag_key}"
        value: "{tag_value}"
        limit: 1
"""


def sqlite_dagster_yaml(dagster_home: Path) -> str:
    """The dagster.yaml of an instance on SQLite in `dagster_home`. The event log's folder is
    Dagster's default one (history/runs), so runs recorded before this file stay readable; it is
    an absolute path, and prepare_home rewrites it when the home moves."""
    event_logs_dir = dagster_home.resolve() / "history" / "runs"
    return SQLITE_YAML.format(event_logs_dir=json_string(event_logs_dir.as_posix()))


def json_string(text: str) -> str:
    """`text` for inside a double-quoted YAML scalar (YAML's double quotes escape as JSON does)."""
    return json.dumps(text)[1:-1]


def dagster_yaml(settings: Settings) -> str:
    """The dagster.yaml ADR Pulse writes for these settings."""
    if not settings.dagster_postgres_url:
        return sqlite_dagster_yaml(settings.dagster_home)
    return (
        POSTGRES_YAML.format(
            header=DAGSTER_YAML_HEADER,
            env=setting("dagster_postgres_url").env,
            max_runs=settings.max_concurrent_runs,
            tag_key=WAREHOUSE_WRITER_TAG[0],
            tag_value=WAREHOUSE_WRITER_TAG[1],
        )
        + PYTHON_LOGS
    )


def prepare_home(settings: Settings) -> Path:
    """Create the state folders and DAGSTER_HOME with its dagster.yaml. A dagster.yaml that ADR
    Pulse wrote follows the settings (PostgreSQL or not); one a user wrote is kept as it is."""
    for path in settings.state_dirs():
        path.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    wanted = dagster_yaml(settings)
    # Also brings a file written by an older ADR Pulse (before python_logs) up to date.
    if not config.exists() or (
        config.read_text().startswith(DAGSTER_YAML_HEADER) and config.read_text() != wanted
    ):
        config.write_text(wanted)
    return settings.dagster_home


def prepare(settings: Settings) -> None:
    """Everything a command needs before it loads the definitions."""
    prepare_home(settings)
    prepare_dbt_manifest(settings)


def dagster_instance(settings: Settings) -> DagsterInstance:
    """The Dagster instance under the settings' DAGSTER_HOME (prepared first)."""
    return DagsterInstance.from_config(str(settings.dagster_home))


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of a child process (dagster dev) that must see the same state, and the
    same code: the repository this command runs from comes first on the children's path (the code
    server and run workers would otherwise import whatever checkout the venv was installed from)."""
    python_path = os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    return {
        **os.environ,
        "PYTHONPATH": python_path,
        "ADRPULSE_HOME": str(settings.home),
        "DAGSTER_HOME": str(settings.dagster_home),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
