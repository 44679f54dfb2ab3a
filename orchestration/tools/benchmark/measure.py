"""Run one stage in a child process and measure its wall time and peak RSS.

The child is reaped with os.wait4, whose rusage is that child's own (and that of the children it
reaped), so each stage's peak RSS is its own, not the harness's nor an earlier stage's.
"""

from __future__ import annotations

import os
import subprocess
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
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    # ru_maxrss is in kilobytes on Linux.
    return Measured(wall, usage.ru_maxrss / 1024.0, proc.returncode, log_path)
