"""What every command shares: user-facing errors and launching Dagster runs."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from assets.settings import Settings
from orchestration.commands.run_output import (
    check_lines,
    cli_console_logger,
    failed_steps,
    format_checks,
)


class CliError(Exception):
    """A user-facing error: printed without a traceback, exit status 1."""


def run_job(
    settings: Settings,
    job_name: str,
    run_config: dict[str, Any] | None = None,
    partition_range: tuple[date, date] | None = None,
    tags: dict[str, str] | None = None,
) -> Any:
    """Execute a job of the code location in this process, recorded on the Dagster instance
    under ADRPULSE_HOME so it appears in the UI's run history.

    partition_range: the XNYS sessions (first, last) of a partitioned job to run, as one run.
    tags: run tags added to the job's own (e.g. assets/source_mode.py SKIP_BAD_TAG).
    """
    from assets.partitions import job_run_config
    from assets.sessions import partition_tags
    from orchestration.definitions import build_definitions
    from orchestration.prepare import dagster_instance, prepare

    prepare(settings)
    # Dagster's console logger, minus the stack traces of expected failures (a failed check).
    job = build_definitions(settings).resolve_job_def(job_name).with_logger_defs(
        {"console": cli_console_logger()}
    )
    tags = {**(partition_tags(*partition_range) if partition_range else {}), **(tags or {})}
    config = job_run_config(
        job, tags, {**(run_config or {}), "loggers": {"console": {"config": {"log_level": "INFO"}}}}
    )
    print(f"Dagster run of job {job_name} (DAGSTER_HOME={settings.dagster_home})", file=sys.stderr)
    from orchestration import run_slots

    # Pool slots (orchestration/run_slots.py): free the slots of dead runs, wait for this job's
    # pools, record this process on the run, guard Dagster's own wait during the run.
    with dagster_instance(settings) as instance, run_slots.launching(instance, job) as launch:
        return job.execute_in_process(
            instance=instance,
            run_config=config,
            tags={**tags, **launch.tags},
            run_id=launch.run_id,
            raise_on_error=False,
        )


def report_run(result: Any, show_checks: bool = True) -> int:
    """Print the checks that failed or warned (with their first offending rows), a count of the
    others, and the run's outcome with one line per failed step; return the exit status."""
    if show_checks:
        lines = check_lines(result)
        if lines:
            print()
            print(format_checks(lines))
    status = "succeeded" if result.success else "FAILED"
    print(f"\nRun {result.run_id} {status}.")
    if not result.success:
        for step, reason in failed_steps(result):
            print(f"  step {step} failed: {reason}", file=sys.stderr)
        print("See the run in the UI (adrpulse ui) for the full log.", file=sys.stderr)
    return 0 if result.success else 1
