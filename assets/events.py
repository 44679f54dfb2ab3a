"""The event catalog file (ADRPULSE_EVENTS, default dbt_project/seeds/event_catalog.csv): the
curated market events the event-study marts study, one row per event.

Columns: `event_id,title,announced_at,announced_date,announced_timezone,scope,source,approximate`.
- `event_id`: unique, letters, digits, `_`, `-` or `.` (it names the event in every mart);
- `announced_at`: blank when only the date is known, else an ISO 8601 instant WITH its UTC offset
  (2025-02-20T06:30:00-05:00): day 0 is the first session at or after it in New York, so an
  instant without an offset would be read in the wrong zone;
- `announced_date`: the local date of the announcement (YYYY-MM-DD), always given;
- `announced_timezone`: blank or an IANA zone (Asia/Shanghai), informational;
- `scope`: space-separated tickers and/or universe groups the event concerns (at least one);
- `approximate`: true/false (blank is false), when the timing is reported rather than stamped.

Errors name the file and line, as the other reference files do (assets/universe.py,
assets/news/feeds.py, assets/news/tagging.py).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EVENT_COLUMNS = (
    "event_id",
    "title",
    "announced_at",
    "announced_date",
    "announced_timezone",
    "scope",
    "source",
    "approximate",
)
_EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,119}$")
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0", ""})


@dataclass(frozen=True)
class CatalogEvent:
    event_id: str
    title: str
    announced_at: datetime | None  # zone-aware
    announced_date: date
    announced_timezone: str
    scope: tuple[str, ...]
    source: str
    approximate: bool


def _instant(text: str, where: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{where}: announced_at {text!r} is not an ISO 8601 instant; write e.g. "
            "2025-02-20T06:30:00-05:00, or leave it blank when only the date is known"
        ) from None
    if value.tzinfo is None:
        raise ValueError(
            f"{where}: announced_at {text!r} has no UTC offset; add the offset of the place "
            "the news came from (e.g. +08:00 for Shanghai), or leave it blank"
        )
    return value


def _day(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{where}: announced_date {text!r} is not a date; write YYYY-MM-DD"
        ) from None


def _zone(text: str, where: str) -> str:
    if text:
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{where}: announced_timezone {text!r} is not an IANA time zone "
                "(e.g. Asia/Shanghai, America/New_York); leave it blank if unknown"
            ) from None
    return text


def _flag(text: str, where: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{where}: approximate must be true or false (or blank), got {text!r}")


def read_event_catalog(path: Path) -> list[CatalogEvent]:
    """Read and validate the event catalog; errors name the file and line."""
    if not path.exists():
        raise FileNotFoundError(f"event catalog {path} does not exist (set ADRPULSE_EVENTS)")
    events: list[CatalogEvent] = []
    seen: dict[str, int] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = tuple(h.strip() for h in (reader.fieldnames or ()))
        if header != EVENT_COLUMNS:
            raise ValueError(
                f"{path}:1: header must be {','.join(EVENT_COLUMNS)}, got {','.join(header)}"
            )
        reader.fieldnames = list(header)
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if None in row:
                raise ValueError(f"{where}: more fields than the header's {len(header)}; "
                                 "quote a field that contains a comma")
            values = {k: (v or "").strip() for k, v in row.items()}
            if not any(values.values()):
                continue  # a blank line
            event_id = values["event_id"]
            if not _EVENT_ID.match(event_id):
                raise ValueError(
                    f"{where}: event_id {event_id!r} must be 1-120 letters, digits, '_', '-' "
                    "or '.'"
                )
            if event_id in seen:
                raise ValueError(f"{where}: event_id {event_id} is already used on line "
                                 f"{seen[event_id]}; ids must be unique")
            if not values["title"]:
                raise ValueError(f"{where}: event {event_id} has no title")
            scope = tuple(values["scope"].split())
            if not scope:
                raise ValueError(
                    f"{where}: event {event_id} has an empty scope; list the tickers and/or "
                    "universe groups it concerns, separated by spaces"
                )
            seen[event_id] = reader.line_num
            events.append(
                CatalogEvent(
                    event_id=event_id,
                    title=values["title"],
                    announced_at=_instant(values["announced_at"], where),
                    announced_date=_day(values["announced_date"], where),
                    announced_timezone=_zone(values["announced_timezone"], where),
                    scope=scope,
                    source=values["source"],
                    approximate=_flag(values["approximate"], where),
                )
            )
    return events
