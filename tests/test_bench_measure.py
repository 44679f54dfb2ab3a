"""The harness's peak-RSS reading is the stage's own, whatever the harness itself once held.

A child's ru_maxrss on Linux starts from the high-water mark of the process it was forked from;
these tests hold a large buffer in the measuring process and check the readings do not inherit it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from orchestration.tools.benchmark.measure import run_measured

PARENT_MB = 400


def test_a_small_stage_is_not_charged_with_the_harness_peak(tmp_path: Path) -> None:
    held = bytearray(PARENT_MB * 1024 * 1024)  # zero-filled, so every page is touched
    measured = run_measured([sys.executable, "-c", "pass"], tmp_path / "small.log")
    del held
    assert measured.returncode == 0
    assert 1 < measured.peak_rss_mb < 100, measured.peak_rss_mb


def test_a_stage_that_allocates_reports_what_it_allocated(tmp_path: Path) -> None:
    code = "import sys; b = bytearray(250 * 1024 * 1024); sys.exit(3)"
    measured = run_measured([sys.executable, "-c", code], tmp_path / "big.log")
    assert measured.returncode == 3  # the stage's own exit status comes through the launcher
    assert 250 <= measured.peak_rss_mb < 350, measured.peak_rss_mb


def test_a_command_that_cannot_start_is_a_failed_stage_with_its_reason_logged(
    tmp_path: Path,
) -> None:
    measured = run_measured([str(tmp_path / "no-such-program")], tmp_path / "missing.log")
    assert measured.returncode != 0
    assert "no-such-program" in measured.tail()


def test_a_descendant_left_running_by_the_stage_is_in_its_peak(tmp_path: Path) -> None:
    # As PySpark's JVM outlives the dbt process that started it: the stage exits at once, its
    # child (orphaned, so no process of the stage reaps it) allocates 300 MB afterwards.
    grandchild = "import time; time.sleep(0.3); b = bytearray(300 * 1024 * 1024); time.sleep(0.2)"
    code = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {grandchild!r}])"
    measured = run_measured([sys.executable, "-c", code], tmp_path / "orphan.log")
    assert measured.returncode == 0
    assert 300 <= measured.peak_rss_mb < 400, measured.peak_rss_mb
    assert measured.wall_seconds >= 0.5  # the launcher waited for the orphan
