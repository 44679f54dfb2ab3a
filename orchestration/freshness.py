"""Freshness policies that know the XNYS calendar.

Dagster's freshness policies count wall-clock time, not sessions. The daily refresh runs after
each session's close, so the longest normal silence is the longest gap between two consecutive
sessions (a holiday next to a weekend). Failing only beyond that gap means holidays never raise a
false alarm; warning after one day plus grace flags a missed session early. The price checks
(assets/price_checks.py) then say exactly which session is missing.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import dagster as dg

from assets.calendar import CALENDAR_END, sessions_between

# The daily run starts at 18:00 New York; allow it this long to finish before calling it late.
RUN_GRACE = timedelta(hours=3)


@lru_cache(maxsize=1)
def longest_session_gap(start: date = date(2015, 1, 2), end: date = CALENDAR_END) -> timedelta:
    sessions = sessions_between(start, end)
    return max(b - a for a, b in zip(sessions, sessions[1:], strict=False))


def session_freshness_policy() -> dg.FreshnessPolicy:
    return dg.FreshnessPolicy.time_window(
        fail_window=longest_session_gap() + RUN_GRACE,
        warn_window=timedelta(days=1) + RUN_GRACE,
    )


def with_session_freshness(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Raw tables and marts must be refreshed after every session; the rest follows them."""
    group = spec.group_name or ""
    if group in ("raw", "marts", "publish"):
        return spec.replace_attributes(freshness_policy=session_freshness_policy())
    return spec
