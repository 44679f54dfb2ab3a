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
from assets.settings import Settings

DAGSTER_YAML = """\
# Written by ADR Pulse (orchestration/prepare.py). Runs, schedules and event logs live here.
telemetry:
  enabled: false
# One step at a time may write the DuckDB warehouse (assets declare pool="warehouse").
concurrency:
  pools:
    default_limit: 1
"""


def prepare_home(settings: Settings) -> Path:
    """Create the state folders and DAGSTER_HOME with its dagster.yaml (kept if present)."""
    for path in settings.state_dirs():
        path.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return settings.dagster_home


def prepare(settings: Settings) -> None:
    """Everything a command needs before it loads the definitions."""
    prepare_home(settings)
    prepare_dbt_manifest(settings)


def dagster_instance(settings: Settings) -> DagsterInstance:
    """The Dagster instance under the settings' DAGSTER_HOME (prepared first)."""
    return DagsterInstance.from_config(str(settings.dagster_home))


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of a child process (dagster dev) that must see the same state."""
    return {
        **os.environ,
        "ADRPULSE_HOME": str(settings.home),
        "DAGSTER_HOME": str(settings.dagster_home),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
