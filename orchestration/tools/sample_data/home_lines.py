"""The sample's Hong Kong side: each dual-listed ADR's home line, HKD=X and the Hong Kong
benchmark, derived from the simulated US bars so that the premium, the lead-lag and both lines'
reactions to the injected events are there to find.

- HKD=X: 7.80 with a little noise (the peg's band is 7.75-7.85), on every weekday (FX).
- A home line on XHKG session h: the ADR's close on the last XNYS session before h (New York
  closes after Hong Kong, so that is the latest ADR price Hong Kong has seen) x HKD per USD /
  shares per ADS, times a small premium noise, times SAME_DAY_SHARE of the ADR's ordinary (not
  injected) return on the New York session of the same date: the part of a day's news both
  markets trade (Asian hours, the market). So the home line follows the rest of the ADR's move
  on its next session (a lead-lag beta of about 1 - SAME_DAY_SHARE), and the same-day premium
  stays within a few percent.
- The same injected events: an event's shock on the ADR reaches the home line on the home line's
  own day 0 (assets.calendar.day_zero with XHKG), from the event's timestamp. Between that day and
  the ADR's own day 0, the lagged ADR close does not carry the shock yet, so the home line gets it
  directly: the Xi symposium (10:00 Beijing, 2025-02-17, a US holiday) moves 9988.HK on 02-17 and
  BABA on 02-18; Alibaba's results (06:30 New York, 02-20) move BABA on 02-20 and 9988.HK on 02-21.
- The benchmark (2800.HK): a Hong Kong tracker following the lagged FXI close, scaled to 20 HKD.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from assets.calendar import FX, XHKG, XNYS, day_zero, sessions_between
from assets.dual_listings import HKD_PER_USD_TICKER, DualListing
from orchestration.tools.sample_data.shocks import InjectedShock

HK_BENCHMARK = "2800.HK"
HK_BENCHMARK_FOLLOWS = "FXI"
HK_BENCHMARK_START = 20.0
FX_LEVEL = 7.80
FX_SD = 0.002
PREMIUM_NOISE_SD = 0.004
SAME_DAY_SHARE = 0.6
HK_PRICE_DECIMALS = 3
FX_PRICE_DECIMALS = 4


def read_event_announcements(path: Path) -> dict[str, datetime | date]:
    """event_id -> announced_at (zone-aware) or, without a time, announced_date."""
    out: dict[str, datetime | date] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            stamp = (row.get("announced_at") or "").strip()
            out[row["event_id"].strip()] = (
                datetime.fromisoformat(stamp) if stamp
                else date.fromisoformat(row["announced_date"].strip())
            )
    return out


def _bar_rows(ticker: str, days: Sequence[date], closes: Sequence[float], volumes: Sequence[int],
              rng: np.random.Generator, decimals: int) -> pd.DataFrame:
    closes = [round(c, decimals) for c in closes]
    opens = [round(closes[0], decimals)] + [
        round(prev * (1.0 + 0.6 * (cur / prev - 1.0)), decimals)
        for prev, cur in zip(closes[:-1], closes[1:], strict=True)
    ]
    wick = np.abs(rng.normal(0.0, 0.004, size=(2, len(days))))
    highs = [round(max(o, c) * (1.0 + w), decimals) for o, c, w in zip(opens, closes, wick[0],
                                                                       strict=True)]
    lows = [round(min(o, c) * (1.0 - w), decimals) for o, c, w in zip(opens, closes, wick[1],
                                                                      strict=True)]
    return pd.DataFrame({
        "ticker": ticker,
        "session_date": list(days),
        "open": opens,
        "high": highs,
        "low": lows,
        "close": closes,
        "adj_close": closes,
        "volume": np.asarray(volumes, dtype="int64"),
        "dividends": 0.0,
        "stock_splits": 0.0,
        "adj_close_source": "provider",
    })


def simulate_home_lines(
    us_bars: pd.DataFrame,
    listings: Sequence[DualListing],
    shocks: Sequence[InjectedShock],
    announcements: dict[str, datetime | date],
    start: date,
    end: date,
    seed: int,
) -> pd.DataFrame:
    """Bars of HKD=X, every home line of `listings` whose ADR is in `us_bars`, and the benchmark."""
    rng = np.random.default_rng([seed, 852])
    us_days = sessions_between(start, end, XNYS)
    hk_days = [d for d in sessions_between(start, end, XHKG) if d > us_days[0]]
    fx_days = sessions_between(start, end, FX)

    fx_close = [FX_LEVEL * (1.0 + FX_SD * z) for z in rng.standard_normal(len(fx_days))]
    fx_of = dict(zip(fx_days, fx_close, strict=True))
    frames = [_bar_rows(HKD_PER_USD_TICKER, fx_days, fx_close, [0] * len(fx_days), rng,
                        FX_PRICE_DECIMALS)]

    close_of = {(t, d): c for t, d, c in us_bars[["ticker", "session_date", "close"]].itertuples(
        index=False)}
    us_index = {d: i for i, d in enumerate(us_days)}

    def ordinary_return(ticker: str, day: date, shocked: float) -> float:
        """The ADR's close-to-close return on the New York session `day` (0 when New York is
        closed that date), without the injected shock of that day."""
        i = us_index.get(day)
        if not i:
            return 0.0
        move = close_of[(ticker, day)] / close_of[(ticker, us_days[i - 1])] - 1.0
        return (1.0 + move) / (1.0 + shocked) - 1.0

    def last_us_before(day: date) -> date:
        i = np.searchsorted(np.array(us_days, dtype="datetime64[D]"), np.datetime64(day)) - 1
        return us_days[int(i)]

    present = set(us_bars["ticker"])
    for listing in sorted(listings, key=lambda item: item.adr_ticker):
        if listing.adr_ticker not in present:
            continue
        own = [s for s in shocks if s.ticker == listing.adr_ticker]
        home_zero = {s: day_zero(announcements[s.event_id], XHKG) for s in own}
        noise = rng.normal(0.0, PREMIUM_NOISE_SD, size=len(hk_days))
        closes, volumes = [], []
        for i, day in enumerate(hk_days):
            lagged = last_us_before(day)
            factor = 1.0
            for shock in own:
                # Hong Kong has seen the news, the ADR close it follows has not yet.
                if home_zero[shock] <= day and shock.session_date > lagged:
                    factor *= 1.0 + shock.abnormal_return
            parity = close_of[(listing.adr_ticker, lagged)] * fx_of.get(day, FX_LEVEL)
            shocked = sum(s.abnormal_return for s in own if s.session_date == day)
            same_day = 1.0 + SAME_DAY_SHARE * ordinary_return(listing.adr_ticker, day, shocked)
            closes.append(
                parity / listing.shares_per_ads * factor * same_day * math.exp(noise[i])
            )
            volumes.append(int(2_000_000 * (1.0 + abs(rng.normal(0.0, 0.3)))))
        frames.append(_bar_rows(listing.home_ticker, hk_days, closes, volumes, rng,
                                HK_PRICE_DECIMALS))

    anchor = close_of[(HK_BENCHMARK_FOLLOWS, last_us_before(hk_days[0]))]
    bench = [
        HK_BENCHMARK_START * close_of[(HK_BENCHMARK_FOLLOWS, last_us_before(d))] / anchor
        * math.exp(rng.normal(0.0, 0.002))
        for d in hk_days
    ]
    frames.append(_bar_rows(HK_BENCHMARK, hk_days, bench, [50_000_000] * len(hk_days), rng,
                            HK_PRICE_DECIMALS))
    return pd.concat(frames, ignore_index=True)
