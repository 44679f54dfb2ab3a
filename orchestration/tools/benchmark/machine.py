"""What the numbers were measured on: the commit, the hour and the machine's load when the run
started, cores, memory, versions."""

from __future__ import annotations

import os
import platform
import subprocess
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


def run_facts(repo_root: Path) -> dict[str, str]:
    """Taken when a run starts, before its own work loads the machine: which code was measured,
    when, and how busy the machine already was (the 1-minute load average; with 2 cores, about
    1 or more means another process had one of them)."""
    return {
        "commit": source_revision(repo_root),
        "started": datetime.now(UTC).strftime("%H:%M UTC"),
        "load average": f"{os.getloadavg()[0]:.2f} (1 min)",
    }
