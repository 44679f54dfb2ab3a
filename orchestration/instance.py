"""The Dagster instance folder (DAGSTER_HOME) under ADRPULSE_HOME."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.settings import Settings

DAGSTER_YAML = """\
# Written by ADR Pulse (orchestration/instance.py). Runs, schedules and event logs live here.
telemetry:
  enabled: false
# One step at a time may write the DuckDB warehouse (assets declare pool="warehouse").
concurrency:
  pools:
    default_limit: 1
"""


def prepare_environment(settings: Settings) -> Path:
    """Create the state folders, DAGSTER_HOME with its dagster.yaml, and export the env vars
    that Dagster and dbt subprocesses read."""
    settings.ensure_dirs()
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ["ADRPULSE_HOME"] = str(settings.home)
    os.environ.update(settings.dbt_env())
    return home
