"""Run a command and report the peak RSS of that command alone: stdlib only, run by file path.

    python -I own_peak.py REPORT_JSON -- COMMAND [ARG ...]

Why a launcher at all: on Linux a child's `ru_maxrss` survives `execve` and starts from the
high-water mark of the memory it was forked (or vforked) from, so a command spawned straight from
a big process (pytest late in a suite, the harness after a stage) reports the parent's peak when
its own is smaller. This launcher is a fresh, small interpreter: the command forked from it starts
from this launcher's few MB, and `wait4` then reads the command's own peak (and that of the
children it reaped). The exit status is the command's; the report holds
{"returncode": N, "peak_rss_kb": K}.

A descendant its parent leaves running is covered too: the launcher makes itself a child
subreaper (Linux prctl), so such an orphan (PySpark's JVM, which outlives the dbt process that
started it by the moment it takes to see its stdin close) is reparented here and reaped after the
command, and its peak counts. The figure is the largest single process's peak, not the sum of
processes that ran at the same time.
"""

import contextlib
import ctypes
import json
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> None:
    # Not Linux: no prctl, and orphaned descendants are not covered.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _reap_orphans(peak_kb: int) -> int:
    """Wait for every descendant reparented here; the largest peak among them and peak_kb."""
    while True:
        try:
            _, _, usage = os.wait4(-1, 0)
        except ChildProcessError:
            return peak_kb
        peak_kb = max(peak_kb, usage.ru_maxrss)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: own_peak.py REPORT_JSON -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    report, command = argv[0], argv[2:]
    _become_subreaper()
    try:
        process = subprocess.Popen(command)
    except OSError as exc:
        print(f"own_peak: cannot start {command[0]}: {exc}", file=sys.stderr)
        returncode, peak_kb = 127, 0
    else:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = returncode = os.waitstatus_to_exitcode(status)  # reaped here
        peak_kb = _reap_orphans(usage.ru_maxrss)
    with open(report, "w") as out:
        json.dump({"returncode": returncode, "peak_rss_kb": peak_kb}, out)
    return returncode if returncode >= 0 else 128 - returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
