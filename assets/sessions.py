"""XNYS sessions as a run asks for them: partition keys checked, ranges, run tags.

Pure (no Dagster): the price assets, the checks, the CLI and the benchmark share these rules.
Dagster silently maps an excluded key (a Saturday, a holiday) to the next session's window, and a
run launched over GraphQL with such a key is recorded under it, so every run checks its keys with
`session_range_for_keys` before fetching anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from assets.calendar import (
    CALENDAR_END,
    CALENDAR_START,
    is_session,
    next_session_on_or_after,
    previous_session_on_or_before,
)

# Run tags Dagster sets for a single-partition run and for a single-run backfill of a range.
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


class NotASessionError(ValueError):
    """A partition key that is not an XNYS session; the message names the key and the fix."""


def first_partition_session(history_start: str) -> date:
    """The first price partition: the first session on or after the history start."""
    return next_session_on_or_after(date.fromisoformat(history_start))


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


class AsOfError(ValueError):
    """A last session asked for (`--as-of`, the run config `as_of`) that a live run cannot fetch;
    the message names the day, why, and the session to give instead."""


def day_kind(day: date) -> str:
    """What a day that is not an XNYS session is: "a Saturday", "a Sunday", "an XNYS holiday"."""
    if day.weekday() >= 5:
        return "a Saturday" if day.weekday() == 5 else "a Sunday"
    return "an XNYS holiday"


def session_for_as_of(
    day: date, today: date, first_session: date | None = None, name: str = "as_of"
) -> date:
    """The session a live run "as of `day`" fetches up to: `day` itself, which must be an XNYS
    session no later than `today` (New York) and, if given, no earlier than the first price
    partition. A weekend or holiday is refused, naming the previous session, rather than moved
    silently. `name` is how the caller's user wrote the input (`--as-of`, `as_of`)."""
    if not CALENDAR_START <= day <= CALENDAR_END:
        raise AsOfError(
            f"{name} {day} is outside the XNYS calendar range {CALENDAR_START}..{CALENDAR_END}; "
            "give a session inside it"
        )
    latest = previous_session_on_or_before(max(min(today, CALENDAR_END), CALENDAR_START))
    if day > today:
        raise AsOfError(
            f"{name} {day} is after the latest session {latest} (today is {today} in New York): "
            f"nothing to fetch yet; give {name} {latest} or an earlier session"
        )
    if not is_session(day):
        previous = previous_session_on_or_before(day)
        raise AsOfError(
            f"{name} {day} is {day_kind(day)}: XNYS does not trade that day, so it is not a "
            f"session. Give a session, e.g. the previous one: {name} {previous}"
        )
    if first_session is not None and day < first_session:
        raise AsOfError(
            f"{name} {day} is before the first price partition {first_session} "
            "(ADRPULSE_PRICE_HISTORY_START); move the day or that setting"
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


def session_range_from_tags(tags: Mapping[str, str]) -> SessionRange | None:
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


def clamp_to_partitions(
    first: date, last: date, partitions_start: date
) -> tuple[date, date] | None:
    """first..last narrowed to the sessions that are price partitions; None if none are."""
    first = max(first, partitions_start)
    last = min(last, CALENDAR_END)
    if last < first:
        return None
    first, last = next_session_on_or_after(first), previous_session_on_or_before(last)
    return (first, last) if first <= last else None
