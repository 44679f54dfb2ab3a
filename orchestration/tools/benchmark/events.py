"""The bench event catalog: about 2 events per ticker-year (capped), each scoped to one ticker.

Announcements are spread like real ones: a third with a New York time (pre-market, intraday or
after the close), a third with a Shanghai time, a third with a date only. Day 0 follows the
project's rule (assets.calendar.us_day_zero); the harness injects an abnormal return on day 0 so
the event study has something to find, and writes day 0 beside the catalog for the floor and the
pandas baseline (dbt derives its own from the catalog).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np

from assets.calendar import us_day_zero
from orchestration.tools.sample_data.profiles import MARKET_TICKER

EVENTS_PER_TICKER_YEAR = 2
MAX_EVENTS = 10_000
CATALOG_COLUMNS = (
    "event_id,title,announced_at,announced_date,announced_timezone,scope,source,approximate"
)
_ZONES = ("America/New_York", "Asia/Shanghai")


@dataclass(frozen=True)
class BenchEvent:
    event_id: str
    ticker: str
    announced_at: datetime | None  # zone-aware; None when only the date is known
    announced_date: date
    timezone: str
    day_zero: date
    abnormal_return: float

    def csv_line(self) -> str:
        at = self.announced_at.isoformat() if self.announced_at else ""
        return (
            f"{self.event_id},Synthetic event {self.event_id} on {self.ticker},{at},"
            f"{self.announced_date.isoformat()},{self.timezone},{self.ticker},bench generator,"
            f"{'true' if self.announced_at is None else 'false'}"
        )


def event_count(n_tickers: int, years: int) -> int:
    return min(MAX_EVENTS, EVENTS_PER_TICKER_YEAR * n_tickers * years)


def bench_events(
    tickers: list[str], sessions: list[date], years: int, seed: int
) -> list[BenchEvent]:
    """Events on the given sessions (the history, not the update session), sorted by id."""
    candidates = [t for t in tickers if t != MARKET_TICKER]
    n = event_count(len(candidates), years)
    rng = np.random.default_rng([seed, 2])
    which = rng.integers(0, len(candidates), n)
    # Leave the first and last sessions out: a Shanghai morning is the previous New York day, and
    # an announcement after the last close would land on a later day 0.
    day = rng.integers(1, len(sessions) - 1, n)
    kind = rng.integers(0, 3, n)  # 0 New York time, 1 Shanghai time, 2 date only
    minute = rng.integers(0, 24 * 60, n)
    size = rng.uniform(0.03, 0.12, n) * rng.choice([-1.0, 1.0], n)
    events = []
    for i in range(n):
        session = sessions[int(day[i])]
        zone = _ZONES[1] if kind[i] == 1 else _ZONES[0]
        if kind[i] == 2:
            announced_at = None
            announced_date = session
        else:
            local = time(int(minute[i]) // 60, int(minute[i]) % 60)
            announced_at = datetime.combine(session, local, tzinfo=ZoneInfo(zone))
            announced_date = session
        day_zero = us_day_zero(announced_at if announced_at else announced_date)
        events.append(
            BenchEvent(
                event_id=f"bench_{i:05d}",
                ticker=candidates[int(which[i])],
                announced_at=announced_at,
                announced_date=announced_date,
                timezone=zone,
                day_zero=day_zero,
                abnormal_return=float(size[i]),
            )
        )
    return events


def catalog_csv_text(events: list[BenchEvent]) -> str:
    return "\n".join([CATALOG_COLUMNS, *(e.csv_line() for e in events)]) + "\n"
