"""The XNYS session calendar and the US day-0 rule, free of Dagster.

Everything in ADR Pulse that counts days counts XNYS sessions: weekends and exchange holidays are
not missing data. `exchange_calendars` raises for dates outside its range, so the calendar is built
once for a wide, explicit range and queried with plain dates.
"""

from __future__ import annotations

import bisect
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")
CALENDAR_START = date(2000, 1, 3)
# exchange_calendars only knows sessions about a year ahead of its release; keep a margin.
CALENDAR_END = date(2027, 12, 31)
MARKET_OPEN = time(9, 30)
MARKET_CLOSE = time(16, 0)


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
        raise ValueError(
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
        raise ValueError(f"no XNYS session on or after {day} within the calendar range")
    return sessions[i]


def previous_session_on_or_before(day: date) -> date:
    _check_range(day)

    sessions = _all_sessions()
    i = bisect.bisect_right(sessions, day) - 1
    if i < 0:
        raise ValueError(f"no XNYS session on or before {day} within the calendar range")
    return sessions[i]


def shift_sessions(day: date, n: int) -> date:
    """The session n sessions after (n > 0) or before (n < 0) the session `day`."""

    sessions = _all_sessions()
    i = bisect.bisect_left(sessions, day)
    if i >= len(sessions) or sessions[i] != day:
        raise ValueError(f"{day} is not an XNYS session")
    j = i + n
    if not 0 <= j < len(sessions):
        raise ValueError(f"{n} sessions from {day} is outside the calendar range")
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
