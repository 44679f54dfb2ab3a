"""The abnormal returns the sample injects on catalogued events: the truth the marts must recover.

For every catalogued event whose US day 0 falls inside the sample period, each ticker in the
event's scope gets a known abnormal return on day 0. The price simulator replaces that ticker's
non-market part of the return on that day (bloc factor plus own noise) with the shock, so relative
to the market model that generated the data the abnormal return is exactly the injected number.
No other day carries an injected shock, so estimation windows only contain ordinary noise (and the
other catalogued events).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from assets.calendar import us_day_zero
from assets.universe import read_universe
from orchestration.tools.sample_data.locations import (
    DEFAULT_EVENT_CATALOG_PATH,
    DEFAULT_UNIVERSE_PATH,
)
from orchestration.tools.sample_data.profiles import MARKET_TICKER

SAMPLE_START = date(2024, 1, 2)
SAMPLE_END = date(2025, 3, 31)

SHOCKS_CSV_HEADER = ("event_id", "ticker", "session_date", "abnormal_return")


@dataclass(frozen=True)
class ShockSizes:
    """Abnormal returns for one event: a size per scope entry (group or ticker), then overrides."""

    by_scope: dict[str, float]
    by_ticker: dict[str, float]


# Sizes modelled on what happened (see the event catalog); each ticker-level override is the
# ticker's own day-0 abnormal return, a group value applies to the rest of the group.
SHOCK_SIZES: dict[str, ShockSizes] = {
    "deepseek_r1_release": ShockSizes(
        {"china_adr": 0.012, "us_megacap": 0.004},
        {"BABA": 0.015, "BIDU": 0.020, "NVDA": 0.010},
    ),
    "deepseek_shock": ShockSizes(
        {"us_megacap": -0.025, "china_adr": 0.015},
        {
            "NVDA": -0.150,
            "MSFT": -0.020,
            "GOOGL": -0.030,
            "AMZN": -0.010,
            "META": -0.010,
            "TSLA": -0.020,
            # Apple was bid as the megacap spending least on AI infrastructure.
            "AAPL": 0.025,
            "BABA": 0.040,
            "BIDU": 0.035,
            "NIO": 0.008,
            "LI": 0.008,
            "XPEV": 0.010,
        },
    ),
    "byd_gods_eye": ShockSizes({"BYDDY": 0.050}, {}),
    "apple_alibaba_report": ShockSizes({"BABA": 0.045, "AAPL": 0.015}, {}),
    "apple_alibaba_confirm": ShockSizes({"BABA": 0.020, "AAPL": 0.008}, {}),
    "xi_meeting_leak": ShockSizes(
        {"china_adr": 0.030, "china_otc": 0.025},
        {"BABA": 0.040, "JD": 0.035, "BILI": 0.038},
    ),
    "xi_symposium": ShockSizes(
        {"china_adr": 0.040, "china_otc": 0.035},
        {
            "BABA": 0.050,
            "JD": 0.045,
            "PDD": 0.030,
            "NTES": 0.030,
            "BILI": 0.060,
            "TME": 0.035,
            "NIO": 0.055,
            "XPEV": 0.060,
        },
    ),
    "baba_fq3_earnings": ShockSizes({"BABA": 0.080}, {}),
    "us_investment_memo": ShockSizes(
        {"china_adr": -0.070, "china_otc": -0.055},
        {
            "BABA": -0.090,
            "PDD": -0.060,
            "BIDU": -0.065,
            "NTES": -0.050,
            "BILI": -0.080,
            "TME": -0.060,
            "NIO": -0.085,
            "XPEV": -0.095,
        },
    ),
}


@dataclass(frozen=True, order=True)
class InjectedShock:
    session_date: date
    event_id: str
    ticker: str
    abnormal_return: float


# Moves with no catalogued event: news-driven jumps on the sample's LAST session, so that the
# alerts (which look at the latest stored session) have something to catch in `adrpulse demo`.
# Headlines about them are in news_items.py (days -1 and 0). Written to injected_moves.csv, apart
# from the event-study truth in injected_shocks.csv, since no event of the catalog explains them.
UNANNOUNCED_MOVES: tuple[InjectedShock, ...] = (
    InjectedShock(SAMPLE_END, "sample_nio_funding", "NIO", 0.120),
    InjectedShock(SAMPLE_END, "sample_temu_probe", "PDD", -0.110),
)


def unannounced_moves(start: date = SAMPLE_START, end: date = SAMPLE_END) -> list[InjectedShock]:
    """The uncatalogued moves inside [start, end], by date then id."""
    return sorted(m for m in UNANNOUNCED_MOVES if start <= m.session_date <= end)


@dataclass(frozen=True)
class CatalogEvent:
    event_id: str
    day_zero: date
    scope: tuple[str, ...]


def read_event_day_zeros(path: Path) -> list[CatalogEvent]:
    """The catalog's events with their US day 0 (from announced_at if set, else announced_date)."""
    if not path.exists():
        raise FileNotFoundError(f"event catalog {path} does not exist")
    events: list[CatalogEvent] = []
    with open(path, newline="", encoding="utf-8") as fh:
        for line_no, row in enumerate(csv.DictReader(fh), start=2):
            try:
                if (row.get("announced_at") or "").strip():
                    announced: datetime | date = datetime.fromisoformat(row["announced_at"].strip())
                else:
                    announced = date.fromisoformat(row["announced_date"].strip())
                day_zero = us_day_zero(announced)
            except (ValueError, KeyError, AttributeError) as exc:
                raise ValueError(
                    f"{path}:{line_no}: cannot work out day 0 of event {row.get('event_id')!r} "
                    f"({exc}); fix announced_at / announced_date"
                ) from exc
            events.append(
                CatalogEvent(
                    event_id=row["event_id"].strip(),
                    day_zero=day_zero,
                    scope=tuple((row.get("scope") or "").split()),
                )
            )
    return events


def _scope_tickers(
    scope: tuple[str, ...], groups: dict[str, list[str]], known: set[str], event_id: str
) -> dict[str, str]:
    """Map every ticker in scope to the scope entry that named it."""
    out: dict[str, str] = {}
    for entry in scope:
        if entry in groups:
            for ticker in groups[entry]:
                out.setdefault(ticker, entry)
        elif entry.upper() in known:
            out[entry.upper()] = entry
        else:
            raise ValueError(
                f"event {event_id}: scope entry {entry!r} is neither a universe ticker nor a group"
            )
    return out


def injected_shocks(
    universe_path: Path = DEFAULT_UNIVERSE_PATH,
    catalog_path: Path = DEFAULT_EVENT_CATALOG_PATH,
    start: date = SAMPLE_START,
    end: date = SAMPLE_END,
) -> list[InjectedShock]:
    """Every (event, ticker, day 0, abnormal return) injected in the sample, by date then event."""
    members = read_universe(universe_path)
    known = {m.ticker for m in members}
    groups: dict[str, list[str]] = {}
    for member in members:
        groups.setdefault(member.group_name, []).append(member.ticker)
    shocks: list[InjectedShock] = []
    for event in read_event_day_zeros(catalog_path):
        if not start <= event.day_zero <= end:
            continue
        sizes = SHOCK_SIZES.get(event.event_id)
        if sizes is None:
            raise ValueError(
                f"event {event.event_id} (day 0 {event.day_zero}) is inside the sample period but "
                f"has no shock sizes: add it to SHOCK_SIZES in {Path(__file__).name}"
            )
        for ticker, entry in sorted(
            _scope_tickers(event.scope, groups, known, event.event_id).items()
        ):
            if ticker == MARKET_TICKER:
                continue  # the benchmark defines "normal"; it carries no abnormal return
            size = sizes.by_ticker.get(ticker, sizes.by_scope.get(entry))
            if size is None:
                raise ValueError(
                    f"event {event.event_id}: no shock size for {ticker} (scope entry {entry!r}); "
                    f"add it to SHOCK_SIZES in {Path(__file__).name}"
                )
            shocks.append(InjectedShock(event.day_zero, event.event_id, ticker, size))
    return sorted(shocks)


def shocks_csv_text(shocks: list[InjectedShock]) -> str:
    """The injected shocks as CSV text (header event_id,ticker,session_date,abnormal_return)."""
    lines = [",".join(SHOCKS_CSV_HEADER)]
    for shock in shocks:
        lines.append(
            f"{shock.event_id},{shock.ticker},{shock.session_date.isoformat()},"
            f"{shock.abnormal_return:.6f}"
        )
    return "\n".join(lines) + "\n"
