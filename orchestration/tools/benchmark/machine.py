"""What the numbers were measured on: the commit, the hour and the CPU other processes used when
the run started, cores, memory, versions."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from assets.build_errors import machine_memory_bytes


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def memory_gb() -> float:
    return (machine_memory_bytes() or 0) / 1024**3


def machine_facts() -> dict[str, str]:
    return {
        "cores": str(os.cpu_count()),
        "memory": f"{memory_gb():.1f} GB",
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "dbt-core": _version("dbt-core"),
        "dbt-duckdb": _version("dbt-duckdb"),
        "dagster": _version("dagster"),
        "pandas": _version("pandas"),
    }


EXCEPT_MARKDOWN = ":(exclude,glob)**/*.md"


def source_revision(repo_root: Path) -> str:
    """The commit the code under repo_root is at, e.g. `1a2b3c4`, with "+ uncommitted changes"
    when a tracked file other than markdown differs from it (untracked files are not the measured
    code's), or "not a git checkout" (an installed copy, or git missing)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo_root), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short=7", "HEAD")
        # Markdown is not measured code: --write-docs rewrites docs/BENCHMARKS.md between the
        # runs of one round, which must still name the commit they measured.
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", EXCEPT_MARKDOWN)
    except (OSError, subprocess.SubprocessError):
        return "not a git checkout"
    return f"{commit} + uncommitted changes" if dirty else commit


PROC_STAT = Path("/proc/stat")
# The first eight counters of /proc/stat's "cpu" line (guest time is already counted in user).
IDLE_COUNTERS = (3, 4)  # idle, iowait


def busy_cores(before: str, after: str, cores: int) -> float:
    """How many cores' worth of CPU the machine used between two readings of /proc/stat's first
    ("cpu") line: the share of non-idle time over all time, times the cores."""

    def counters(line: str) -> list[int]:
        name, *values = line.split()
        if name != "cpu" or len(values) < 8:
            raise ValueError(f"not the cpu line of /proc/stat: {line!r}")
        return [int(v) for v in values[:8]]

    start, end = counters(before), counters(after)
    spent = [b - a for a, b in zip(start, end, strict=True)]
    total = sum(spent)
    if total <= 0:
        return 0.0
    idle = sum(spent[i] for i in IDLE_COUNTERS)
    return (total - idle) / total * cores


def busy_before_start(sample_seconds: float = 1.0) -> str:
    """The CPU the machine's other processes use right now, sampled over sample_seconds while
    this process waits. Unlike the load average, it does not count the run that just ended
    before this one (a round runs its sizes back to back)."""
    cores = os.cpu_count() or 1
    try:
        before = PROC_STAT.read_text().splitlines()[0]
        time.sleep(sample_seconds)  # the sample's window, not a wait for a resource
        after = PROC_STAT.read_text().splitlines()[0]
        used = busy_cores(before, after, cores)
    except (OSError, IndexError, ValueError):
        return f"not measured ({PROC_STAT} unreadable)"
    return f"{used:.2f} of {cores} cores ({sample_seconds:g} s sample)"


def run_facts(repo_root: Path) -> dict[str, str]:
    """Taken when a run starts, before its own work loads the machine: which code was measured,
    when, and how much CPU other processes were already using."""
    return {
        "commit": source_revision(repo_root),
        "started": datetime.now(UTC).strftime("%H:%M UTC"),
        "CPU busy before the start": busy_before_start(),
    }
