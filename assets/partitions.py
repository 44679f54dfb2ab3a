"""Price partitions: one partition per XNYS session, so weekends and holidays are never "missing".

Dagster's DailyPartitionsDefinition knows weekends (a cron exclusion) but not exchange holidays;
those are listed from exchange_calendars (assets/calendar.py), which raises outside its range, so
holidays are listed only up to CALENDAR_END. Past that date the partitions would include holidays;
assets/sessions.py refuses such keys before a run fetches anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import dagster as dg

from assets.calendar import CALENDAR_END, CALENDAR_START, holidays_between
from assets.sessions import PARTITION_TAG, RANGE_START_TAG, first_partition_session

NEW_YORK_TZ = "America/New_York"
WEEKENDS = "0 0 * * 6,0"


@lru_cache(maxsize=4)
def price_sessions(history_start: str) -> dg.DailyPartitionsDefinition:
    """The price partitions of a warehouse whose history starts at `history_start`."""
    return session_partitions(first_partition_session(history_start))


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
