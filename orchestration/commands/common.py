"""What every command shares: user-facing errors and launching Dagster runs."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from assets.settings import Settings
from orchestration.tables import format_table, plural


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
    job = build_definitions(settings).resolve_job_def(job_name)
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


def check_rows(result: Any) -> list[tuple[str, str, str, str]]:
    rows = []
    for evaluation in result.get_asset_check_evaluations():
        severity = getattr(evaluation.severity, "value", str(evaluation.severity))
        rows.append(
            (
                evaluation.asset_key.to_user_string(),
                evaluation.check_name,
                "passed" if evaluation.passed else "FAILED",
                severity if not evaluation.passed else "",
            )
        )
    return sorted(rows)


def report_run(result: Any, show_checks: bool = True) -> int:
    """Print the checks and the run's outcome; return the exit status."""
    if show_checks:
        rows = check_rows(result)
        if rows:
            print("\nChecks")
            print(format_table(["asset", "check", "result", "severity"], rows))
            failed = sum(1 for r in rows if r[2] != "passed")
            print(f"{plural(len(rows) - failed, 'check')} passed, {failed} failed")
    status = "succeeded" if result.success else "FAILED"
    print(f"\nRun {result.run_id} {status}.")
    if not result.success:
        for event in result.all_events:
            if event.is_failure and event.step_key:
                error = getattr(event.event_specific_data, "error", None)
                message = error.message.strip() if error is not None else event.message
                print(f"  step {event.step_key}: {message}", file=sys.stderr)
        print("See the run in the UI (adrpulse ui) for the full log.", file=sys.stderr)
    return 0 if result.success else 1
