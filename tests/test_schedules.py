"""The daily schedule runs after the US close on XNYS sessions only."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets.partitions import price_sessions
from assets.settings import Settings
from orchestration.schedules import daily_after_close

NY = ZoneInfo("America/New_York")


def evaluate(when: datetime):
    context = dg.build_schedule_context(scheduled_execution_time=when)
    return daily_after_close(context)


@pytest.mark.parametrize(
    ("when", "why"),
    [
        (datetime(2025, 2, 17, 18, 0, tzinfo=NY), "Presidents Day"),
        (datetime(2025, 1, 9, 18, 0, tzinfo=NY), "national day of mourning"),
        (datetime(2025, 3, 1, 18, 0, tzinfo=NY), "a Saturday"),
    ],
)
def test_no_run_on_a_holiday_or_weekend(when: datetime, why: str) -> None:
    result = evaluate(when)
    assert isinstance(result, dg.SkipReason), why
    assert "not an XNYS session" in (result.skip_message or "")


def test_a_session_day_requests_that_sessions_partition() -> None:
    result = evaluate(datetime(2025, 2, 18, 18, 0, tzinfo=NY))
    assert isinstance(result, dg.RunRequest)
    assert result.run_key == "daily-2025-02-18"
    assert result.partition_key == "2025-02-18"
    # The partition exists (the price partitions are the XNYS sessions; the day before, a
    # holiday, has none).
    keys = price_sessions(Settings.from_env({}).price_history_start).get_partition_keys()
    assert result.partition_key in keys and "2025-02-17" not in keys


def test_the_session_is_taken_in_new_york_not_utc() -> None:
    # 18:00 New York on Friday 2025-02-14 is already Saturday in UTC.
    result = evaluate(datetime(2025, 2, 14, 23, 0, tzinfo=ZoneInfo("UTC")))
    assert isinstance(result, dg.RunRequest)
    assert result.run_key == "daily-2025-02-14"
    assert result.partition_key == "2025-02-14"
