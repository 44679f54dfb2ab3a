"""The XNYS calendar's range: how far it reaches, what exchange_calendars accepts, and the warning
before it runs out."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import exchange_calendars as xcals
import pandas as pd
import pytest

from assets.calendar import (
    CALENDAR_END,
    CALENDAR_START,
    RUNWAY_WARN_DAYS,
    calendar_runway,
    calendar_runway_warning,
    is_session,
    sessions_between,
    warn_calendar_runway,
)

# The day this range was last moved: the calendar then had to reach years beyond it, not 13 months.
RANGE_SET_ON = date(2026, 12, 2)


def test_the_calendar_reaches_years_ahead() -> None:
    end, days_left = calendar_runway(RANGE_SET_ON)
    assert end == CALENDAR_END
    assert days_left > 5 * 365, (
        f"the calendar ends {end}, only {days_left} days after {RANGE_SET_ON}"
    )


def test_exchange_calendars_accepts_the_whole_range() -> None:
    calendar = xcals.get_calendar(
        "XNYS", start=pd.Timestamp(CALENDAR_START), end=pd.Timestamp(CALENDAR_END)
    )
    bound = calendar.bound_max()
    assert bound is None or bound >= pd.Timestamp(CALENDAR_END)
    assert (
        calendar.last_session.date()
        == sessions_between(CALENDAR_END - timedelta(7), CALENDAR_END)[-1]
    )


def test_holidays_of_later_years_are_known() -> None:
    # Rule-based holidays, projected: Independence Day, Thanksgiving, Juneteenth, Good Friday.
    for day in (date(2030, 7, 4), date(2033, 11, 24), date(2035, 6, 19), date(2036, 4, 11)):
        assert not is_session(day), day
    assert is_session(date(2036, 4, 10))


def test_runway_counts_days_to_the_end() -> None:
    assert calendar_runway(CALENDAR_END) == (CALENDAR_END, 0)
    assert calendar_runway(CALENDAR_END - timedelta(days=10)).days_left == 10
    assert calendar_runway(CALENDAR_END + timedelta(days=3)).days_left == -3


def test_a_warning_when_fewer_than_180_days_remain(caplog: pytest.LogCaptureFixture) -> None:
    assert RUNWAY_WARN_DAYS == 180
    assert calendar_runway_warning(CALENDAR_END - timedelta(days=180)) is None
    message = calendar_runway_warning(CALENDAR_END - timedelta(days=179))
    assert message and str(CALENDAR_END) in message and "179 days" in message
    assert "make_sessions_seed.py" in message
    with caplog.at_level(logging.WARNING, logger="assets.calendar"):
        assert warn_calendar_runway(CALENDAR_END - timedelta(days=179)) == message
        assert warn_calendar_runway(CALENDAR_END - timedelta(days=400)) is None
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.WARNING, message)]
    assert "days ago" in (calendar_runway_warning(CALENDAR_END + timedelta(days=2)) or "")


def test_the_runway_check_warns_six_months_before_the_end() -> None:
    from datetime import timedelta

    from assets.calendar import CALENDAR_END
    from assets.price_checks import calendar_runway_result

    far = calendar_runway_result(CALENDAR_END - timedelta(days=400))
    assert far.passed and far.metadata["days_left"].value == 400
    near = calendar_runway_result(CALENDAR_END - timedelta(days=30))
    assert not near.passed
    assert near.severity.value == "WARN"
    assert "in 30 days" in near.description and "CALENDAR_END" in near.description
