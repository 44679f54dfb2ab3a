"""`adrpulse bench --demo-cost --rounds N`: each part's median over the rounds, its highest peak
RSS, a failure kept, the demo's phases read from its Dagster run, and the section saying how it
was measured."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from assets.dbt_models import DBT_ASSETS_NAME
from orchestration.tools.benchmark.report import (
    DEMO_PHASES_TITLE,
    demo_phase_table,
    startup_section,
    startup_table,
)
from orchestration.tools.benchmark.startup import (
    AFTER_DBT,
    AFTER_RUN,
    BEFORE_DBT,
    BEFORE_RUN,
    DBT_NOTHING,
    DBT_PARSE,
    DBT_STEP,
    DEMO,
    EMPTY_JOB,
    DemoPhase,
    StartupResult,
    StartupRow,
    StepTimes,
    demo_phases,
    median_phases,
    median_rows,
    read_demo_phases,
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


# Step times as the demo's Dagster run recorded them (epoch seconds; a run on 2026-12-05).
RUN_START, RUN_END = 1796486265.77, 1796486293.99
STEPS = [
    StepTimes("raw_prices", RUN_START + 2.11, RUN_START + 2.95),
    StepTimes("daily_bars_checks", RUN_START + 3.68, RUN_START + 4.10),
    StepTimes(DBT_ASSETS_NAME, RUN_START + 4.26, RUN_START + 24.75),
    StepTimes("published__report", RUN_START + 26.07, RUN_START + 28.16),
]


def test_the_demo_phases_add_up_to_its_wall_time_around_the_dbt_step() -> None:
    command_start, command_end = RUN_START - 4.5, RUN_END + 2.8
    phases = demo_phases(command_start, command_end, RUN_START, RUN_END, STEPS)
    assert [p.what for p in phases] == [BEFORE_RUN, BEFORE_DBT, DBT_STEP, AFTER_DBT, AFTER_RUN]
    seconds = [round(p.seconds, 2) for p in phases]
    assert seconds == [4.5, 4.26, 20.49, 3.47, 2.8]
    assert round(sum(p.seconds for p in phases), 6) == round(command_end - command_start, 6)


def test_a_run_without_the_dbt_step_is_refused_naming_its_steps() -> None:
    with pytest.raises(ValueError, match=f"no {DBT_ASSETS_NAME} step .*raw_prices"):
        demo_phases(0.0, 10.0, 1.0, 9.0, STEPS[:2])


def test_each_phase_is_its_median_and_a_failed_demo_leaves_none() -> None:
    def phases(dbt: float) -> list[DemoPhase]:
        return [DemoPhase(BEFORE_RUN, 4.0), DemoPhase(DBT_STEP, dbt)]

    assert median_phases([phases(20.0), phases(31.0), phases(22.0)]) == phases(22.0)
    assert median_phases([phases(20.0), []]) == []


def test_the_phases_are_read_from_a_real_dagster_run(tmp_path: Path) -> None:
    import dagster as dg

    @dg.asset(name="raw_prices")
    def raw() -> int:
        return 1

    @dg.asset(name=DBT_ASSETS_NAME, deps=[raw])
    def dbt_step() -> int:
        return sum(range(100_000))

    @dg.asset(name="published__report", deps=[dbt_step])
    def report() -> int:
        return 2

    home = tmp_path / "dagster"
    home.mkdir()
    command_start = time.time()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert dg.materialize([raw, dbt_step, report], instance=instance).success
    command_end = time.time()
    phases = read_demo_phases(home, command_start, command_end)
    assert [p.what for p in phases] == [BEFORE_RUN, BEFORE_DBT, DBT_STEP, AFTER_DBT, AFTER_RUN]
    assert all(p.seconds >= 0 for p in phases), phases
    assert phases[1].seconds > 0 and phases[3].seconds > 0  # raw_prices before, the report after
    assert abs(sum(p.seconds for p in phases) - (command_end - command_start)) < 1e-6


def test_the_section_shows_the_demo_phases_with_their_share() -> None:
    rows = median_rows([_round(40, 10, 14, 7)])
    phases = [DemoPhase(BEFORE_RUN, 10.0), DemoPhase(DBT_STEP, 30.0)]
    section = startup_section(StartupResult(rows, 1, phases), "cmd", "2026-12-05", {})
    table = demo_phase_table(StartupResult(rows, 1, phases))
    assert DEMO_PHASES_TITLE in section and table in section
    assert " 25%" in table and " 75%" in table
    assert DEMO_PHASES_TITLE not in startup_section(StartupResult(rows, 1), "cmd", "d", {})
