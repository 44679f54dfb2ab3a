"""What every command shares: user-facing errors and launching Dagster runs."""

from __future__ import annotations

import errno
import gc
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from assets.settings import Settings
from orchestration.commands.run_output import check_lines, failed_steps, format_checks

# The CLI's runs log through the definitions' console logger (orchestration/run_logging.py) at
# INFO, every failure as one line: the run's summary then names the failed steps with their
# reasons, so a stack trace would only say that an expected outcome (a failed check, a full disk)
# was a crash.
CLI_CONSOLE = {"log_level": "INFO", "stack_traces": False}


class CliError(Exception):
    """A user-facing error: printed without a traceback, exit status 1."""


# Below this much free space, an I/O error under ADRPULSE_HOME is taken for a full disk (SQLite
# reports a full disk as a plain "disk I/O error" on some file systems).
NEARLY_FULL_BYTES = 64 * 1024 * 1024
_FULL_DISK_WORDS = ("no space left on device", "database or disk is full", "disk quota exceeded")
_IO_ERROR_WORDS = ("disk i/o error", "i/o error", "could not write", "failed to write")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _free_bytes(path: Path) -> int | None:
    for folder in (path, *path.parents):
        if folder.exists():
            return shutil.disk_usage(folder).free
    return None


def full_disk_error(exc: BaseException, settings: Settings) -> CliError | None:
    """A CliError saying the disk under ADRPULSE_HOME is full, when that is why `exc` happened
    (ENOSPC anywhere in its chain, or an I/O error while almost no space is left); else None.

    A full disk stops a run wherever it is (dbt, the warehouse, Dagster's own SQLite event log),
    so this is judged on the exception, not on the step. Nothing a reader sees is replaced by a
    run that did not finish: the published catalog is swapped only after a complete export."""
    full = False
    io_error = False
    for link in _chain(exc):
        text = str(link).lower()
        no_space = isinstance(link, OSError) and link.errno in (errno.ENOSPC, errno.EDQUOT)
        if no_space or any(words in text for words in _FULL_DISK_WORDS):
            full = True
        elif isinstance(link, OSError) or any(words in text for words in _IO_ERROR_WORDS):
            io_error = True
    free = _free_bytes(settings.home)
    if not full and not (io_error and free is not None and free < NEARLY_FULL_BYTES):
        return None
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    room = f"{free / 1024 / 1024:.1f} MB free" if free is not None else "no free space"
    return CliError(
        f"the disk holding ADRPULSE_HOME={settings.home} is full ({room}; {first_line}).\n"
        "The run stopped there. Readers still see the last published build, and the archive "
        "and the warehouse keep what was committed before. Free some space on that disk, then "
        "run the same command again."
    )


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
        job, tags, {**(run_config or {}), "loggers": {"console": {"config": CLI_CONSOLE}}}
    )
    print(f"Dagster run of job {job_name} (DAGSTER_HOME={settings.dagster_home})", file=sys.stderr)
    from orchestration import run_slots

    # Pool slots (orchestration/run_slots.py): free the slots of dead runs, wait for this job's
    # pools, record this process on the run, guard Dagster's own wait during the run.
    with (
        dagster_instance(settings) as instance,
        run_slots.launching(instance, job) as launch,
        _alive_objects_frozen(),
    ):
        return job.execute_in_process(
            instance=instance,
            run_config=config,
            tags={**tags, **launch.tags},
            run_id=launch.run_id,
            raise_on_error=False,
        )


@contextmanager
def _alive_objects_frozen() -> Iterator[None]:
    """What is alive when a run starts (imported modules, the definitions) stays alive through
    it: kept out of the garbage collector's full passes, it is not traversed again by each one
    (docs/BENCHMARKS.md: those passes took about 1 s of `adrpulse demo`). Unfrozen after the
    run, so a process that goes on (a test calling run_job) frees its garbage as before."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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
        out_of_space = False
        for step, reason in failed_steps(result):
            print(f"  step {step} failed: {reason}", file=sys.stderr)
            out_of_space |= any(w in (reason or "").lower() for w in _FULL_DISK_WORDS)
        if out_of_space:
            print(
                "The disk is full: free some space under ADRPULSE_HOME, then run the same "
                "command again (readers still see the last published build).",
                file=sys.stderr,
            )
        print("See the run in the UI (adrpulse ui) for the full log.", file=sys.stderr)
    return 0 if result.success else 1
