"""`adrpulse bench --demo-cost --rounds N`: each part's median over the rounds, its highest peak
RSS, a failure kept, and the section saying how it was measured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orchestration.tools.benchmark.report import startup_section, startup_table
from orchestration.tools.benchmark.startup import (
    DBT_NOTHING,
    DBT_PARSE,
    DEMO,
    EMPTY_JOB,
    StartupResult,
    StartupRow,
    median_rows,
)

REPO = Path(__file__).resolve().parent.parent


def _round(demo: float, job: float, parse: float, nothing: float, rss: float = 300.0,
           parse_rc: int = 0) -> list[StartupRow]:
    return [
        StartupRow(DEMO, demo, rss),
        StartupRow(EMPTY_JOB, job, 340.0),
        StartupRow(DBT_PARSE, parse, 146.0, parse_rc),
        StartupRow(DBT_NOTHING, nothing, 139.0),
    ]


def test_each_part_is_its_median_with_the_highest_peak() -> None:
    rows = median_rows([
        _round(71.1, 10.5, 14.9, 7.2, rss=449.0),
        _round(107.0, 9.6, 12.7, 7.5, rss=444.0),
        _round(84.2, 10.9, 15.3, 6.6, rss=441.0),
    ])
    assert [r.what for r in rows] == [DEMO, EMPTY_JOB, DBT_PARSE, DBT_NOTHING]
    demo = rows[0]
    assert (demo.wall_seconds, demo.peak_rss_mb, demo.returncode) == (84.2, 449.0, 0)
    assert [r.wall_seconds for r in rows[1:]] == [10.5, 14.9, 7.2]
    result = StartupResult(rows, rounds=3)
    assert result.fixed_seconds == 10.5 + 14.9 + 7.2
    assert round(result.demo_over_fixed, 4) == round(84.2 / 32.6, 4)
    # an even count takes the middle two's mean
    assert median_rows([_round(1, 1, 1, 1), _round(3, 1, 1, 1)])[0].wall_seconds == 2


def test_a_part_that_failed_in_any_round_is_failed() -> None:
    rows = median_rows([_round(70, 10, 14, 7), _round(70, 10, 14, 7, parse_rc=2)])
    result = StartupResult(rows, rounds=2)
    assert result.failed == [DBT_PARSE]
    assert "not measurable: " + DBT_PARSE in startup_section(result, "cmd", "2026-12-03", {})


def test_the_section_says_how_many_rounds_it_is_the_median_of() -> None:
    rows = median_rows([_round(70, 10, 14, 7)] * 3)
    three = startup_section(StartupResult(rows, 3), "adrpulse bench --demo-cost --rounds 3",
                            "2026-12-03", {"cores": "2"})
    assert "Median of 3 rounds" in three and startup_table(StartupResult(rows, 3)) in three
    once = startup_section(StartupResult(rows, 1), "adrpulse bench --demo-cost", "2026-12-03", {})
    assert "Median" not in once


def test_rounds_is_refused_without_demo_cost_and_outside_its_range() -> None:
    for argv, said in (
        (["--rounds", "3"], "--rounds applies to --demo-cost only"),
        (["--demo-cost", "--rounds", "0"], "--rounds must be between 1 and 9"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "bench", *argv],
            cwd=REPO, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode != 0 and said in result.stderr + result.stdout, result
