"""Session calendars per exchange and the day-0 rule, free of Dagster.

Every ticker trades on one exchange (`exchange_of`): US listings (NYSE, NASDAQ, NYSE Arca, OTC)
on the XNYS session calendar, Hong Kong lines (`.HK`) on XHKG (Lunar New Year, Ching Ming, ...),
and Yahoo's FX pairs (`HKD=X`) on weekdays (FX). Counting days counts the ticker's exchange's
sessions: weekends and that exchange's holidays are not missing data. Every function takes an
`exchange` (default XNYS, the calendar of the price partitions). `exchange_calendars` raises for
dates outside its range, so each calendar is built once for a wide, explicit range and queried
with plain dates.
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
HONG_KONG = ZoneInfo("Asia/Hong_Kong")

XNYS = "XNYS"
XHKG = "XHKG"
FX = "FX"
# exchange -> (exchange_calendars name, local zone, regular close). US listings all follow the
# NYSE holiday calendar (NASDAQ and OTC close on the same days); XHKG's regular close is 16:00 Hong
# Kong time (after the 12:00-13:00 lunch break); Yahoo's FX bars are dated Monday to Friday.
EXCHANGES: dict[str, tuple[str, ZoneInfo, time]] = {
    XNYS: ("XNYS", NEW_YORK, MARKET_CLOSE),
    XHKG: ("XHKG", HONG_KONG, time(16, 0)),
    FX: ("24/5", NEW_YORK, MARKET_CLOSE),
}

log = logging.getLogger(__name__)


def exchange_of(ticker: str) -> str:
    """The session calendar a Yahoo symbol trades on: `.HK` and the Hang Seng indices (`^HSI`,
    `^HSCE`, ...) -> XHKG, `=X` (an FX pair) -> FX, anything else (the US listings, ETFs, OTC
    ADRs) -> XNYS."""
    symbol = ticker.strip().upper()
    if symbol.endswith(".HK") or symbol.startswith("^HS"):
        return XHKG
    if symbol.endswith("=X"):
        return FX
    return XNYS


def _exchange(exchange: str) -> str:
    if exchange not in EXCHANGES:
        raise CalendarError(
            f"unknown exchange {exchange!r}; ADR Pulse knows {', '.join(sorted(EXCHANGES))}"
        )
    return exchange


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


@lru_cache(maxsize=len(EXCHANGES))
def _calendar(exchange: str = XNYS) -> xcals.ExchangeCalendar:
    return xcals.get_calendar(
        EXCHANGES[_exchange(exchange)][0],
        start=pd.Timestamp(CALENDAR_START),
        end=pd.Timestamp(CALENDAR_END),
    )


@lru_cache(maxsize=len(EXCHANGES))
def _all_sessions(exchange: str = XNYS) -> tuple[date, ...]:
    return tuple(ts.date() for ts in _calendar(exchange).sessions)


def _check_range(day: date, exchange: str = XNYS) -> None:
    if not CALENDAR_START <= day <= CALENDAR_END:
        raise CalendarError(
            f"{day} is outside the {exchange} calendar range {CALENDAR_START}..{CALENDAR_END}"
        )


def sessions_between(start: date, end: date, exchange: str = XNYS) -> list[date]:
    """`exchange`'s sessions with start <= session <= end (both inclusive)."""
    _check_range(start, exchange)
    _check_range(end, exchange)

    sessions = _all_sessions(exchange)
    lo = bisect.bisect_left(sessions, start)
    hi = bisect.bisect_right(sessions, end)
    return list(sessions[lo:hi])


def is_session(day: date, exchange: str = XNYS) -> bool:
    _check_range(day, exchange)

    sessions = _all_sessions(exchange)
    i = bisect.bisect_left(sessions, day)
    return i < len(sessions) and sessions[i] == day


def next_session_on_or_after(day: date, exchange: str = XNYS) -> date:
    _check_range(day, exchange)

    sessions = _all_sessions(exchange)
    i = bisect.bisect_left(sessions, day)
    if i >= len(sessions):
        raise CalendarError(f"no {exchange} session on or after {day} within the calendar range")
    return sessions[i]


def previous_session_on_or_before(day: date, exchange: str = XNYS) -> date:
    _check_range(day, exchange)

    sessions = _all_sessions(exchange)
    i = bisect.bisect_right(sessions, day) - 1
    if i < 0:
        raise CalendarError(f"no {exchange} session on or before {day} within the calendar range")
    return sessions[i]


def shift_sessions(day: date, n: int, exchange: str = XNYS) -> date:
    """The session n sessions after (n > 0) or before (n < 0) the session `day`."""

    sessions = _all_sessions(exchange)
    i = bisect.bisect_left(sessions, day)
    if i >= len(sessions) or sessions[i] != day:
        raise CalendarError(f"{day} is not an {exchange} session")
    j = i + n
    if not 0 <= j < len(sessions):
        raise CalendarError(f"{n} sessions from {day} is outside the calendar range")
    return sessions[j]


def holidays_between(start: date, end: date, exchange: str = XNYS) -> list[date]:
    """Weekdays in [start, end] on which `exchange` does not trade."""
    sessions = set(sessions_between(start, end, exchange))
    out = []
    day = start
    while day <= end:
        if day.weekday() < 5 and day not in sessions:
            out.append(day)
        day += timedelta(days=1)
    return out


def day_zero(announced: datetime | date, exchange: str = XNYS) -> date:
    """The first `exchange` session in which news announced at `announced` could be traded.

    - A zone-aware timestamp is converted to the exchange's zone (New York for XNYS, Hong Kong
      for XHKG). At or after the exchange's regular close, or on a day with no session, day 0 is
      the next session; before the close on a session day (pre-market, the lunch break or
      intraday) it is that session. So an announcement at 09:00 Beijing time on a Monday is day 0
      that Monday in Hong Kong, and in New York (Sunday 20:00 there) the Monday too, or the next
      session when Monday is a US holiday.
    - A plain date (no time known) is that date, rolled forward to the exchange's next session.
    - A naive datetime is rejected: without a zone the rule is ambiguous.
    """
    _, zone, close = EXCHANGES[_exchange(exchange)]
    if isinstance(announced, datetime):
        if announced.tzinfo is None:
            raise ValueError(f"announced time {announced.isoformat()} has no time zone")
        local = announced.astimezone(zone)
        day = local.date()
        if is_session(day, exchange) and local.time() < close:
            return day
        return next_session_on_or_after(day + timedelta(days=1), exchange)
    return next_session_on_or_after(announced, exchange)


def us_day_zero(announced: datetime | date) -> date:
    """The first XNYS session in which news announced at `announced` could be traded
    (day_zero for XNYS: the close is 16:00 New York)."""
    return day_zero(announced, XNYS)
