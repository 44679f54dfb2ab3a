"""Issue 22, "The first hour", the quick part: arguments refused before anything runs, a rebuild
that has nothing to replay, the bench's documents, the run console's lines, yfinance's warnings.
No Dagster run and no dbt build (the slow part is tests/test_sample_home.py)."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from assets.prices.fetch import fetch_daily_bars
from assets.sessions import AsOfError, session_for_as_of
from assets.settings import REPO_ROOT
from orchestration.cli import build_parser
from orchestration.commands.bench import TRACKED_DOC, result_documents
from orchestration.commands.news import every_feed_failed_line
from orchestration.run_logging import RunConsoleFormatter
from orchestration.ui_server import (
    DEV_SUPERSESSION_FILTER,
    dagster_dev_command,
    forward_without_colours,
)
from tests.support.cli import run_cli
from tests.support.resources import settings_for
from tests.support.yfinance_fakes import FakeYahoo, history_frame

TODAY = date(2026, 12, 1)  # a Tuesday
FIRST_PARTITION = date(2024, 1, 2)


# --- adrpulse run --as-of: checked before anything runs ---------------------------------------


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(2030, 1, 2), "as_of 2030-01-02 is after the latest session 2026-12-01"),
        (date(2025, 3, 1), "as_of 2025-03-01 is a Saturday: XNYS does not trade that day"),
        (date(2025, 3, 2), "e.g. the previous one: as_of 2025-02-28"),
        (date(2025, 2, 17), "as_of 2025-02-17 is an XNYS holiday"),
        (date(1999, 12, 31), "outside the XNYS calendar range"),
        (date(2023, 6, 1), "before the first price partition 2024-01-02"),
    ],
)
def test_an_as_of_that_a_run_cannot_fetch_is_refused(day: date, message: str) -> None:
    with pytest.raises(AsOfError, match=message):
        session_for_as_of(day, TODAY, FIRST_PARTITION)


def test_a_session_as_of_is_taken_as_is() -> None:
    assert session_for_as_of(date(2025, 2, 28), TODAY, FIRST_PARTITION) == date(2025, 2, 28)
    assert session_for_as_of(TODAY, TODAY, FIRST_PARTITION) == TODAY


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("garbage", "adrpulse run: --as-of 'garbage' is not a date; give YYYY-MM-DD"),
        ("2030-01-02", "adrpulse run: --as-of 2030-01-02 is after the latest session"),
        ("2025-03-01", "Give a session, e.g. the previous one: --as-of 2025-02-28"),
    ],
)
def test_run_refuses_a_bad_as_of_before_anything_runs(
    tmp_path: Path, as_of: str, message: str
) -> None:
    home = tmp_path / "home"
    result = run_cli(home, "run", "--as-of", as_of, timeout=120)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert "Dagster run" not in result.stderr  # no run was launched ...
    assert not home.exists()  # ... and nothing was created, fetched or stored


# --- adrpulse rebuild with nothing to replay ------------------------------------------------


def test_rebuild_with_an_empty_archive_says_what_to_run_and_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run_cli(home, "rebuild", timeout=120)
    assert result.returncode == 1
    assert "nothing to rebuild from" in result.stderr and "holds no price fetch" in result.stderr
    assert "adrpulse demo" in result.stderr and "adrpulse backfill" in result.stderr
    assert "Dagster run" not in result.stderr
    assert not (home / "warehouse.duckdb").exists()


# --- adrpulse bench: the tracked document only when asked -----------------------------------


def test_bench_writes_under_the_home_and_the_docs_only_when_asked(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    parser = build_parser()
    assert result_documents(parser.parse_args(["bench"]), settings) == [
        tmp_path.resolve() / "bench" / "BENCHMARKS.md"
    ]
    mine = tmp_path / "mine.md"
    assert result_documents(parser.parse_args(["bench", "--doc", str(mine)]), settings) == [mine]
    assert result_documents(parser.parse_args(["bench", "--doc", "-"]), settings) == []
    assert result_documents(parser.parse_args(["bench", "--write-docs"]), settings) == [
        tmp_path.resolve() / "bench" / "BENCHMARKS.md",
        TRACKED_DOC,
    ]


def test_bench_help_names_the_results_file_and_write_docs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "bench", "--help"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0
    assert "--write-docs" in result.stdout and "ADRPULSE_HOME/bench/BENCHMARKS.md" in result.stdout


# --- fetch-news: a successful run in which every feed failed --------------------------------


def test_every_feed_failed_says_the_run_succeeded_but() -> None:
    line = every_feed_failed_line([{"status": "failed"}] * 3)
    assert line.startswith("The run succeeded, but every feed failed (3 of 3)")
    assert "exit status 1" in line


# --- the run console: one readable line, a stack trace only when unexpected ----------------


def _record(event_type: str, message: str, error: object | None, level: int) -> logging.LogRecord:
    import dagster as dg
    from dagster._core.events import DagsterEvent, StepFailureData
    from dagster._core.log_manager import DagsterLogRecordMetadata

    data = StepFailureData(error=error, user_failure_data=None) if error is not None else None
    event = DagsterEvent(
        event_type_value=dg.DagsterEventType(event_type).value,
        job_name="daily_refresh",
        step_key="raw_prices",
        event_specific_data=data,
        message=message,
        pid=4242,
    )
    meta = DagsterLogRecordMetadata(
        run_id="0a1b2c3d-run",
        job_name="daily_refresh",
        job_tags={},
        step_key="raw_prices",
        op_name="raw_prices",
        resource_name=None,
        resource_fn_name=None,
        dagster_event=event,
        dagster_event_batch_metadata=None,
        orig_message=message,
        log_message_id="x",
        log_timestamp="2026-12-02T01:10:04",
    )
    record = logging.LogRecord("dagster", level, __file__, 1, message, None, None)
    record.dagster_meta = meta
    return record


def _error(exc: BaseException):
    from dagster._utils.error import serializable_error_info_from_exc_info

    try:
        raise exc
    except BaseException:
        return serializable_error_info_from_exc_info(sys.exc_info())


def test_an_expected_failure_is_its_message_without_a_stack_trace() -> None:
    import dagster as dg

    error = _error(dg.Failure(description="holds the SYNTHETIC demo sample"))
    line = RunConsoleFormatter().format(
        _record("STEP_FAILURE", 'Execution of step "raw_prices" failed.', error, logging.ERROR)
    )
    assert "daily_refresh - raw_prices - STEP_FAILURE - Execution of step" in line
    assert line.rstrip().endswith("holds the SYNTHETIC demo sample")
    assert "Stack Trace" not in line and "0a1b2c3d-run" not in line and "4242" not in line
    assert "\x1b[" not in line  # no colour codes


def test_an_unexpected_error_shows_its_stack_once_and_the_run_failure_none() -> None:
    error = _error(ZeroDivisionError("division by zero"))
    step = RunConsoleFormatter().format(
        _record("STEP_FAILURE", 'Execution of step "raw_prices" failed.', error, logging.ERROR)
    )
    assert "ZeroDivisionError: division by zero" in step and "Stack Trace" in step
    run = RunConsoleFormatter().format(
        _record("PIPELINE_FAILURE", "Execution of run failed.", error, logging.ERROR)
    )
    assert "Stack Trace" not in run and "ZeroDivisionError" not in run


def test_the_cli_runs_show_every_failure_as_one_line_without_a_stack() -> None:
    # A full disk inside a step is an OSError, not a dg.Failure: the UI's log shows its stack,
    # the CLI's (stack_traces off) one line, the one the run's summary names the step with.
    error = _error(OSError(28, "No space left on device"))
    cli = RunConsoleFormatter(stack_traces=False).format(
        _record("STEP_FAILURE", 'Execution of step "raw_prices" failed.', error, logging.ERROR)
    )
    assert cli.rstrip().endswith("[Errno 28] No space left on device")
    assert "Stack Trace" not in cli and "OSError" not in cli
    ui = RunConsoleFormatter().format(
        _record("STEP_FAILURE", 'Execution of step "raw_prices" failed.', error, logging.ERROR)
    )
    assert "Stack Trace" in ui


# --- yfinance's Pandas4Warning blocks stay out of the user's terminal -----------------------


def test_deprecation_warnings_raised_inside_yfinance_are_not_shown() -> None:
    fake = FakeYahoo(script={"AAA": history_frame([date(2025, 3, 3)], [10.0])})
    pandas4 = getattr(pd.errors, "Pandas4Warning", DeprecationWarning)

    def noisy_download(tickers, **kwargs):
        # What pandas 3 does on yfinance's `inplace=` calls, attributed to yfinance's module.
        warnings.warn_explicit(
            "inplace is deprecated", pandas4, "yfinance/base.py", 1, module="yfinance.base"
        )
        warnings.warn_explicit("keep me", UserWarning, "ours.py", 1, module="assets.other")
        return fake.download(tickers, **kwargs)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        # yfinance turns its DeprecationWarnings back on when it is imported:
        warnings.filterwarnings("default", category=DeprecationWarning, module="^yfinance")
        result = fetch_daily_bars(
            ["AAA"], date(2025, 3, 3), date(2025, 3, 3), download=noisy_download, max_retries=0
        )
    assert result.succeeded == ["AAA"]
    shown = [str(w.message) for w in caught]
    assert "inplace is deprecated" not in shown
    assert "keep me" in shown


# --- the `adrpulse ui` terminal -----------------------------------------------------------------


def test_redirected_ui_output_loses_its_colour_codes() -> None:
    source = io.BytesIO(
        b"\x1b[32m2026-12-02 01:23:39 +0000\x1b[0m - dagster - \x1b[34mINFO\x1b[0m - ready\n"
        b"12 of 196 OK created view [\x1b[32mOK\x1b[0m in 0.1s]\nplain [1/33] line\n"
    )
    sink = io.BytesIO()
    forward_without_colours(source, sink)
    assert sink.getvalue() == (
        b"2026-12-02 01:23:39 +0000 - dagster - INFO - ready\n"
        b"12 of 196 OK created view [OK in 0.1s]\nplain [1/33] line\n"
    )


def test_dagster_dev_starts_without_its_supersession_warning() -> None:
    from dagster_shared.utils.warnings import supersession_warning

    command = dagster_dev_command("127.0.0.1", 3000)
    assert command[:3] == [sys.executable, "-W", DEV_SUPERSESSION_FILTER]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        warnings._setoption(DEV_SUPERSESSION_FILTER)  # what -W does at start-up
        # The warning `dagster dev` gives (dagster/_cli/dev.py: @superseded on dev_command):
        supersession_warning("Function `dev_command`", "Use 'dg dev' instead.")
        supersession_warning("Function `other_command`")
    assert [str(w.message) for w in caught] == [
        "Function `other_command` is superseded and its usage is discouraged."
    ]


def test_runs_the_daemon_launches_log_at_info(tmp_path: Path) -> None:
    import yaml

    from orchestration.prepare import DAGSTER_YAML_HEADER, dagster_yaml, prepare_home

    fresh = settings_for(tmp_path / "fresh")
    config = yaml.safe_load((prepare_home(fresh) / "dagster.yaml").read_text())
    assert config["python_logs"]["python_log_level"] == "INFO"

    # A file an earlier ADR Pulse wrote is brought up to date (the block included); a file of
    # the user's is left alone.
    older, mine = settings_for(tmp_path / "older"), settings_for(tmp_path / "mine")
    for settings, text in (
        (older, f"{DAGSTER_YAML_HEADER} Runs live here.\ntelemetry:\n  enabled: false\n"),
        (mine, "telemetry:\n  enabled: false\n"),
    ):
        settings.dagster_home.mkdir(parents=True)
        (settings.dagster_home / "dagster.yaml").write_text(text)
        prepare_home(settings)
    older_config = yaml.safe_load((older.dagster_home / "dagster.yaml").read_text())
    assert older_config == yaml.safe_load(dagster_yaml(older))
    assert older_config["python_logs"] == {"python_log_level": "INFO"}
    assert (mine.dagster_home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"
