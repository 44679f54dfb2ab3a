"""Publication dates of feed entries: a UTC instant plus the offset the source wrote.

feedparser's `*_parsed` values are UTC struct_times: the source's own offset (+08:00 for a
Beijing newsroom) is lost there, and it matters when asking "when was this local evening news
tradable in New York". So the raw string is read here first, and feedparser's value is only the
fallback for formats these two readers do not know.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz

# parsedate_tz reports "no zone" and "+0000" alike as 0: look for a written zone ourselves.
_RFC822_ZONE = re.compile(r"(?:[+-]\d{4}|\b[A-Za-z]{1,5})\s*$")


@dataclass(frozen=True)
class EntryDate:
    published_at: datetime  # UTC-aware
    utc_offset: str | None  # '+08:00' when the raw string carried an offset, else None


def format_offset(offset: timedelta) -> str:
    """timedelta(hours=8) -> '+08:00'; timedelta(hours=-5, minutes=-30) -> '-05:30'."""
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    total = abs(total)
    hours, rest = divmod(total, 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}"


def _from_rfc822(raw: str) -> EntryDate | None:
    parts = parsedate_tz(raw)
    if parts is None:
        return None
    year, month, day, hour, minute, second, *_rest, tz_seconds = parts
    try:
        local = datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return None
    stripped = raw.strip()
    zone_written = bool(_RFC822_ZONE.search(stripped)) and not stripped.endswith("-0000")
    if tz_seconds is None or not zone_written:
        # No zone (or RFC 2822's "-0000", unknown): read it as UTC, as feedparser does, but
        # claim no source offset.
        return EntryDate(local.replace(tzinfo=UTC), None)
    offset = timedelta(seconds=tz_seconds)
    instant = local.replace(tzinfo=timezone(offset)).astimezone(UTC)
    return EntryDate(instant, format_offset(offset))


def _from_iso8601(raw: str) -> EntryDate | None:
    text = raw.strip()
    if len(text) < 10:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(text) == 10:
        return None  # a bare date: leave it to feedparser's interpretation (midnight UTC)
    if value.tzinfo is None:
        return EntryDate(value.replace(tzinfo=UTC), None)
    offset = value.utcoffset() or timedelta(0)
    return EntryDate(value.astimezone(UTC), format_offset(offset))


def _from_struct(parsed: time.struct_time) -> datetime | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def parse_entry_date(raw: str | None, parsed_utc: time.struct_time | None) -> EntryDate | None:
    """The entry's instant in UTC and the source's offset; None when there is no usable date."""
    if raw and raw.strip():
        found = _from_rfc822(raw) if not raw.strip()[:4].isdigit() else None
        found = found or _from_iso8601(raw) or _from_rfc822(raw)
        if found is not None:
            return found
    if parsed_utc is not None:
        instant = _from_struct(parsed_utc)
        if instant is not None:
            return EntryDate(instant, None)
    return None
