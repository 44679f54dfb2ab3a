"""What the CLI prints about a run's checks and failed steps (orchestration/commands/run_output.py),
on real Dagster check evaluations and error infos."""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluation
from dagster._utils.error import SerializableErrorInfo

from orchestration.commands.run_output import (
    ROWS_SHOWN,
    check_lines,
    error_line,
    format_checks,
)

BARS = dg.AssetKey(["raw", "daily_bars"])


class _Run:
    """What report_run reads of an execute_in_process result: its check evaluations."""

    def __init__(self, evaluations: list[AssetCheckEvaluation]) -> None:
        self._evaluations = evaluations

    def get_asset_check_evaluations(self) -> list[AssetCheckEvaluation]:
        return self._evaluations


def _passed(n: int) -> list[AssetCheckEvaluation]:
    return [
        AssetCheckEvaluation(dg.AssetKey(["marts", f"m{i}"]), f"not_null_{i}", True)
        for i in range(n)
    ]


def _offending(n: int) -> list[dict]:
    return [
        {"ticker": f"T{i:02d}", "session_date": "2025-03-31", "close": 0.0, "adj_close": 0.0}
        for i in range(n)
    ]


def test_only_failures_and_warnings_are_listed_with_their_rows_and_a_count() -> None:
    failed = AssetCheckEvaluation(
        BARS,
        "prices_positive",
        False,
        metadata={
            "failing_rows": dg.MetadataValue.int(8),
            "offending_rows": dg.MetadataValue.json(_offending(8)),
            "offending_rows_table": dg.MetadataValue.md("| ticker |"),
            "scope": dg.MetadataValue.text("every bar"),
        },
        severity=dg.AssetCheckSeverity.ERROR,
        description="8 rows lack a positive close or adj_close",
    )
    warned = AssetCheckEvaluation(
        BARS,
        "latest_fetch_complete",
        False,
        metadata={"tickers_failed": dg.MetadataValue.json({"JD": "timeout"})},
        severity=dg.AssetCheckSeverity.WARN,
        description="1 tickers got no prices; the others were loaded",
    )
    out = format_checks(check_lines(_Run([*_passed(158), warned, failed])))
    lines = out.splitlines()

    assert lines[0] == "Checks that failed or warned"
    assert "Checks: 158 passed, 1 failed, 1 warned" in lines[-1]
    assert not any(line.startswith("passed") or " passed " in line for line in lines[:-1])
    # The failure comes first, with its message and the first rows (ticker, session, value).
    assert out.index("FAILED raw/daily_bars prices_positive: 8 rows lack") < out.index(
        "WARN raw/daily_bars latest_fetch_complete"
    )
    assert f"offending_rows (first {ROWS_SHOWN} of 8):" in out
    assert "T00" in out and f"T{ROWS_SHOWN - 1:02d}" in out and f"T{ROWS_SHOWN:02d}" not in out
    header = next(line for line in lines if line.strip().startswith("ticker  session_date"))
    assert header.split() == ["ticker", "session_date", "close", "adj_close"]
    assert "JD" in out and "timeout" in out
    assert "| ticker |" not in out  # the markdown copy is for the UI


def test_a_run_whose_checks_all_pass_prints_one_line() -> None:
    out = format_checks(check_lines(_Run(_passed(3))))
    assert out.splitlines() == [
        "Checks: 3 passed, 0 failed, 0 warned (every result, with all its rows, is on the "
        "run's page in the UI: adrpulse ui)"
    ]


def test_the_next_step_is_printed() -> None:
    gate = AssetCheckEvaluation(
        BARS,
        "build_gate",
        False,
        metadata={"next_step": dg.MetadataValue.text("Replace the bars.\nOr force.")},
        description="blocking checks fail",
    )
    out = format_checks(check_lines(_Run([gate])))
    assert "  Next step: Replace the bars.\n  Or force." in out


def _error(cls_name: str, message: str, cause: SerializableErrorInfo | None = None):
    return SerializableErrorInfo(message, ["  File x, line 1\n"], cls_name, cause)


def test_an_error_is_one_line_without_its_class_path() -> None:
    failure = _error(
        "Failure",
        "dagster._core.definitions.events.Failure: universe.csv:3: empty ticker\n",
    )
    assert error_line(failure) == "universe.csv:3: empty ticker"


def test_a_wrapped_user_error_shows_the_cause() -> None:
    cause = _error("ValueError", "ValueError: bad input\n")
    wrapper = _error(
        "DagsterExecutionStepExecutionError",
        'dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while '
        'executing op "x":\n',
        cause,
    )
    assert error_line(wrapper) == "bad input"


def test_a_blocking_check_failure_points_at_the_checks() -> None:
    error = _error(
        "DagsterAssetCheckFailedError",
        "dagster._core.errors.DagsterAssetCheckFailedError: 2 blocking asset checks failed "
        "with ERROR severity:\nraw/daily_bars: prices_positive,ohlc_consistent\n",
    )
    assert error_line(error) == (
        "blocking check failed (raw/daily_bars: prices_positive, ohlc_consistent); its rows "
        "are listed with the checks above"
    )
