"""The XNYS session calendar and the US day-0 rule, free of Dagster.

Everything in ADR Pulse that counts days counts XNYS sessions: weekends and exchange holidays are
not missing data. `exchange_calendars` raises for dates outside its range, so the calendar is built
once for a wide, explicit range and queried with plain dates.
"""

from __future__ import annotations

import bisect
import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")
CALENDAR_START = date(2000, 1, 3)
# The last day of the calendar (inclusive). exchange_calendars' own default range ends a year
# after *today*, but it accepts any end for XNYS (no bound_max): the regular holidays follow rules
# it projects without limit, and one-off closures (a national day of mourning) arrive with new
# releases. A fixed date keeps the committed sessions seed reproducible (tests/test_dbt_project.py
# compares it with what dbt_project/scripts/make_sessions_seed.py renders), and
# calendar_runway() warns RUNWAY_WARN_DAYS before the end. To move it: change this date, run that
# script, and commit both.
CALENDAR_END = date(2036, 12, 31)
RUNWAY_WARN_DAYS = 180
MARKET_OPEN = time(9, 30)
MARKET_CLOSE = time(16, 0)

log = logging.getLogger(__name__)


class CalendarError(ValueError):
    """A day the XNYS calendar cannot answer for (outside its range, or not a session where one
    is required). Retrying cannot help: the raw assets fail such a run without retries."""


class CalendarRunway(NamedTuple):
    end: date  # CALENDAR_END, the last day the calendar knows
    days_left: int  # calendar days from today to that end (negative once it has passed)


def calendar_runway(today: date) -> CalendarRunway:
    """How long the XNYS calendar lasts from `today`: (end, days_left)."""
    return CalendarRunway(CALENDAR_END, (CALENDAR_END - today).days)


def calendar_runway_warning(today: date) -> str | None:
    """The message to show when fewer than RUNWAY_WARN_DAYS days remain, else None."""
    end, days_left = calendar_runway(today)
    if days_left >= RUNWAY_WARN_DAYS:
        return None
    when = f"in {days_left} days" if days_left >= 0 else f"{-days_left} days ago"
    return (
        f"the XNYS calendar ends on {end} ({when}): after that every price partition, the daily "
        "schedule and day 0 of new events fail. Move CALENDAR_END in assets/calendar.py, run "
        "dbt_project/scripts/make_sessions_seed.py, commit both, and redeploy"
    )


def warn_calendar_runway(today: date, logger: Any = None) -> str | None:
    """Log calendar_runway_warning at WARNING level on `logger` (a logging.Logger or a Dagster
    context.log; this module's logger by default), and return it."""
    message = calendar_runway_warning(today)
    if message:
        (logger or log).warning(message)
    return message


@lru_cache(maxsize=1)
def _calendar() -> xcals.ExchangeCalendar:
    return xcals.get_calendar(
        "XNYS", start=pd.Timestamp(CALENDAR_START), end=pd.Timestamp(CALENDAR_END)
    )


@lru_cache(maxsize=1)
def _all_sessions() -> tuple[date, ...]:
    return tuple(ts.date() for ts in _calendar().sessions)


def _check_range(day: date) -> None:
    if not CALENDAR_START <= day <= CALENDAR_END:
        raise CalendarError(
            f"{day} is outside the XNYS calendar range {CALENDAR_START}..{CALENDAR_END}"
        )


def sessions_between(start: date, end: date) -> list[date]:
    """XNYS sessions with start <= session <= end (both inclusive)."""
    _check_range(start)
    _check_range(end)

    sessions = _all_sessions()
    lo = bisect.bisect_left(sessions, start)
    hi = bisect.bisect_right(sessions, end)
    return list(sessions[lo:hi])


def is_session(day: date) -> bool:
    _check_range(day)

    sessions = _all_sessions()
    i = bisect.bisect_left(sessions, day)
    return i < len(sessions) and sessions[i] == day


def next_session_on_or_after(day: date) -> date:
    _check_range(day)

    sessions = _all_sessions()
    i = bisect.bisect_left(sessions, day)
    if i >= len(sessions):
        raise CalendarError(f"no XNYS session on or after {day} within the calendar range")
    return sessions[i]


def previous_session_on_or_before(day: date) -> date:
    _check_range(day)

    sessions = _all_sessions()
    i = bisect.bisect_right(sessions, day) - 1
    if i < 0:
        raise CalendarError(f"no XNYS session on or before {day} within the calendar range")
    return sessions[i]


def shift_sessions(day: date, n: int) -> date:
    """The session n sessions after (n > 0) or before (n < 0) the session `day`."""

    sessions = _all_sessions()
    i = bisect.bisect_left(sessions, day)
    if i >= len(sessions) or sessions[i] != day:
        raise CalendarError(f"{day} is not an XNYS session")
    j = i + n
    if not 0 <= j < len(sessions):
        raise CalendarError(f"{n} sessions from {day} is outside the calendar range")
    return sessions[j]


def holidays_between(start: date, end: date) -> list[date]:
    """Weekdays in [start, end] on which XNYS does not trade."""
    sessions = set(sessions_between(start, end))
    out = []
    day = start
    while day <= end:
        if day.weekday() < 5 and day not in sessions:
            out.append(day)
        day += timedelta(days=1)
    return out


def us_day_zero(announced: datetime | date) -> date:
    """The first XNYS session in which news announced at `announced` could be traded.

    - A zone-aware timestamp is converted to America/New_York. At or after 16:00 ET, or on a day
      with no session, day 0 is the next session; before the close on a session day (pre-market
      or intraday) it is that session.
    - A plain date (no time known) is that date, rolled forward to the next session if needed.
    - A naive datetime is rejected: without a zone the rule is ambiguous.
    """
    if isinstance(announced, datetime):
        if announced.tzinfo is None:
            raise ValueError(f"announced time {announced.isoformat()} has no time zone")
        local = announced.astimezone(NEW_YORK)
        day = local.date()
        if is_session(day) and local.time() < MARKET_CLOSE:
            return day
        return next_session_on_or_after(day + timedelta(days=1))
    return next_session_on_or_after(announced)
