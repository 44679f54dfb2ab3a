"""Run one stage in a child process and measure its wall time and peak RSS.

The stage runs under a small launcher (own_peak.py) that reaps it with os.wait4 and reports its
rusage. Reaping it from here would not do: a child's peak RSS on Linux starts from the high-water
mark of the process it was forked from, so every stage would report at least the harness's peak.
Through the launcher each stage's peak is its own (and that of the children it reaped).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    wall_seconds: float
    peak_rss_mb: float
    returncode: int
    log_path: Path

    def tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def run_measured(
    argv: Sequence[str],
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Measured:
    """Run argv to completion, output to log_path; wall seconds and peak RSS (MB) of the child."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="adrpulse-peak-") as scratch:
        report = Path(scratch) / "peak.json"
        with open(log_path, "wb") as log:
            start = time.perf_counter()
            returncode = subprocess.call(
                own_peak_command(report, argv), stdout=log, stderr=subprocess.STDOUT,
                env=env, cwd=cwd,
            )
            wall = time.perf_counter() - start
        if not report.exists():  # the launcher itself failed; its error is in the log
            return Measured(wall, float("nan"), returncode or 1, log_path)
        measured = json.loads(report.read_text())
    # ru_maxrss is in kilobytes on Linux.
    return Measured(wall, measured["peak_rss_kb"] / 1024.0, measured["returncode"], log_path)


OWN_PEAK = Path(__file__).with_name("own_peak.py")


def own_peak_command(report: Path, argv: Sequence[str]) -> list[str]:
    """argv wrapped in the launcher that measures its own peak RSS (see own_peak.py).
    `-I` keeps the launcher a bare interpreter: no site-packages, no user environment."""
    return [sys.executable, "-I", str(OWN_PEAK), str(report), "--", *argv]


def evict_from_page_cache(*paths: Path) -> None:
    """Ask the kernel to drop the files' pages from its page cache (posix_fadvise DONTNEED: no
    privileges needed, other files untouched), so that the next stage reads them from disk, as a
    once-a-day run finds its warehouse. Dirty pages are written first; a missing file is skipped.
    Where the call does not exist (not Linux), nothing is evicted."""
    if not hasattr(os, "posix_fadvise"):
        return
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
