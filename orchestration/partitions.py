"""Price partitions: one partition per XNYS session, so weekends and holidays are never "missing".

Dagster's DailyPartitionsDefinition knows weekends (a cron exclusion) but not exchange holidays;
those are listed from exchange_calendars (assets/calendar.py). Two traps this module exists for:

- exchange_calendars raises outside its range, so holidays are listed only up to CALENDAR_END;
  past that date the partitions would include holidays, and the guard below refuses them.
- Dagster silently maps an excluded key (a Saturday, a holiday) to the next session's window, and
  a run launched over GraphQL with such a key is recorded under it: every run checks its keys with
  `session_range_for_keys` before fetching anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import dagster as dg

from assets.calendar import (
    CALENDAR_END,
    CALENDAR_START,
    holidays_between,
    is_session,
    next_session_on_or_after,
    previous_session_on_or_before,
)
from orchestration.settings import Settings

NEW_YORK_TZ = "America/New_York"
WEEKENDS = "0 0 * * 6,0"
# Run tags Dagster sets for a single-partition run and for a single-run backfill of a range.
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


class NotASessionError(ValueError):
    """A partition key that is not an XNYS session; the message names the key and the fix."""


def session_partitions(first_session: date) -> dg.DailyPartitionsDefinition:
    """Daily partitions from `first_session` whose keys are exactly the XNYS sessions.

    end_offset=1 makes today's partition exist during the day, so the 18:00 schedule can ask
    for it.
    """
    if not CALENDAR_START <= first_session <= CALENDAR_END:
        raise ValueError(
            f"price history start {first_session} is outside the XNYS calendar range "
            f"{CALENDAR_START}..{CALENDAR_END}; set ADRPULSE_PRICE_HISTORY_START inside it"
        )
    holidays = [
        datetime(d.year, d.month, d.day) for d in holidays_between(first_session, CALENDAR_END)
    ]
    return dg.DailyPartitionsDefinition(
        start_date=first_session.isoformat(),
        timezone=NEW_YORK_TZ,
        end_offset=1,
        exclusions=[WEEKENDS, *holidays],
    )


def _first_partition_session() -> date:
    start = date.fromisoformat(Settings.from_env().price_history_start)
    # The partitions start on a session (a history start on a holiday would make a dead key).
    return next_session_on_or_after(start)


PRICE_SESSIONS_START = _first_partition_session()
PRICE_SESSIONS = session_partitions(PRICE_SESSIONS_START)


def require_session(key: str) -> date:
    """The session a partition key names; NotASessionError for anything else."""
    try:
        day = date.fromisoformat(key)
    except ValueError as exc:
        raise NotASessionError(
            f"partition key {key!r} is not a date (YYYY-MM-DD); price partitions are XNYS "
            "sessions"
        ) from exc
    if not CALENDAR_START <= day <= CALENDAR_END:
        raise NotASessionError(
            f"partition key {key} is outside the XNYS calendar range {CALENDAR_START}.."
            f"{CALENDAR_END}; pick a session inside it"
        )
    if not is_session(day):
        kind = "a weekend day" if day.weekday() >= 5 else "an XNYS holiday"
        raise NotASessionError(
            f"partition key {key} is {kind}, not an XNYS session: nothing trades that day. "
            "Launch the run for a session (weekends and holidays are not missing data)"
        )
    return day


@dataclass(frozen=True)
class SessionRange:
    """The sessions a run was asked to load, first..last (both inclusive)."""

    first: date
    last: date


def session_range_for_keys(start_key: str, end_key: str) -> SessionRange:
    first, last = require_session(start_key), require_session(end_key)
    if last < first:
        raise NotASessionError(f"partition range {start_key}..{end_key} ends before it starts")
    return SessionRange(first, last)


def session_range_from_tags(tags: dict[str, str]) -> SessionRange | None:
    """The run's partition (or partition range) as sessions; None for an unpartitioned run."""
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        return session_range_for_keys(tags[RANGE_START_TAG], tags[RANGE_END_TAG])
    if PARTITION_TAG in tags:
        return session_range_for_keys(tags[PARTITION_TAG], tags[PARTITION_TAG])
    return None


def partition_tags(first: date, last: date) -> dict[str, str]:
    """Run tags selecting the sessions first..last: one partition, or a single-run range."""
    if first == last:
        return {PARTITION_TAG: first.isoformat()}
    return {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}


def clamp_to_partitions(first: date, last: date) -> tuple[date, date] | None:
    """first..last narrowed to the sessions that are price partitions; None if none are."""
    first = max(first, PRICE_SESSIONS_START)
    last = min(last, CALENDAR_END)
    if last < first:
        return None
    first, last = next_session_on_or_after(first), previous_session_on_or_before(last)
    return (first, last) if first <= last else None


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def job_run_config(
    job: dg.JobDefinition, tags: Mapping[str, str], run_config: Mapping[str, Any]
) -> dict[str, Any]:
    """`run_config` on top of the job's own default config.

    A job whose assets are partitioned keeps its `config=` as partitioned config, which Dagster
    applies only to a single-partition run launched without any run config; a range run or a
    run with extra config (log level) would silently lose it (the archive jobs would fetch live).
    The defaults do not depend on the partition, so any of the run's keys resolves them.
    """
    partitioned = job.partitioned_config
    if partitioned is None:
        return dict(run_config)  # an unpartitioned job merges its defaults itself
    all_tags = {**job.tags, **tags}
    key = (
        all_tags.get(PARTITION_TAG)
        or all_tags.get(RANGE_START_TAG)
        or partitioned.partitions_def.get_first_partition_key()
    )
    defaults = partitioned.get_run_config_for_partition_key(key) if key else {}
    return _merge(defaults, run_config)
