"""Preparing a state folder (ADRPULSE_HOME) for a command: its folders, the Dagster instance's
dagster.yaml, and a current dbt manifest.

Called by the CLI commands and `make setup`, never at import. Nothing here changes this process's
environment: commands open the Dagster instance with `dagster_instance(settings)`, and a child
process (the UI) gets its variables through `child_env(settings)`.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance

from assets.dbt_project import prepare_dbt_manifest
from assets.settings import REPO_ROOT, Settings

DAGSTER_YAML_HEADER = "# Written by ADR Pulse (orchestration/prepare.py)."
# Runs launched by the daemon or the UI get no logger config, so Dagster gives them its own console
# logger at this level (DEBUG by default: every step event in the `make ui` terminal). The CLI's
# runs use orchestration/run_logging.py.
PYTHON_LOGS = """\
# Runs launched by the daemon or the UI log at INFO (Dagster's default is DEBUG).
python_logs:
  python_log_level: INFO
"""
DAGSTER_YAML = f"""\
{DAGSTER_YAML_HEADER} Runs, schedules and event logs live here.
telemetry:
  enabled: false
# One step at a time may write the DuckDB warehouse (assets declare pool="warehouse").
concurrency:
  pools:
    default_limit: 1
{PYTHON_LOGS}"""


def prepare_home(settings: Settings) -> Path:
    """Create the state folders and DAGSTER_HOME with its dagster.yaml (kept if present)."""
    for path in settings.state_dirs():
        path.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    else:
        text = config.read_text()
        # A file ADR Pulse wrote before python_logs existed gets it; any other file is the user's.
        if text.startswith(DAGSTER_YAML_HEADER) and "python_logs:" not in text:
            config.write_text(text.rstrip("\n") + "\n" + PYTHON_LOGS)
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
