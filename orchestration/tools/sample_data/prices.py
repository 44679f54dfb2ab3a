"""Simulate daily bars for the sample: a market factor, bloc factors, own noise, injected shocks.

Only + - * / and rounding touch the simulated floats after the random draws (no vectorised
exp/log, whose last bit can differ between CPUs), so the CSVs are identical on every machine with
the same numpy.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from assets.universe import Member
from orchestration.tools.sample_data.profiles import (
    BLOC_DAILY_SD,
    BLOC_OF_GROUP,
    BLOC_OF_TICKER,
    CHINA_RALLY_DAILY_DRIFT,
    CHINA_RALLY_END,
    CHINA_RALLY_START,
    DIVIDENDS,
    MARKET_ANNUAL_DRIFT,
    MARKET_DAILY_SD,
    MARKET_RETURN_ON,
    MARKET_TICKER,
    PROFILES,
    TAIL_DF,
    TickerProfile,
)
from orchestration.tools.sample_data.shocks import InjectedShock
from warehouse.archive import PRICE_COLUMNS

PRICE_DECIMALS = 4
SESSIONS_PER_YEAR = 252
# A bloc-wide news day: when at least this many of a bloc's tickers carry a shock, the bloc factor
# itself takes their mean, so members outside the event's scope (the ETFs) move with the news.
BLOC_EVENT_MIN_TICKERS = 3


def _stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per name, so adding a ticker leaves the others unchanged."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _unit_t(rng: np.random.Generator, n: int) -> np.ndarray:
    """Fat-tailed draws scaled to unit variance."""
    return rng.standard_t(TAIL_DF, n) * math.sqrt((TAIL_DF - 2) / TAIL_DF)


def _market_returns(sessions: Sequence[date], seed: int) -> np.ndarray:
    market = MARKET_ANNUAL_DRIFT / SESSIONS_PER_YEAR + MARKET_DAILY_SD * _unit_t(
        _stream(seed, "factor:market"), len(sessions)
    )
    for i, day in enumerate(sessions):
        if day in MARKET_RETURN_ON:
            market[i] = MARKET_RETURN_ON[day]
    return market


def _bloc_factors(
    sessions: Sequence[date],
    seed: int,
    shocks_by_day: dict[date, dict[str, float]],
    bloc_of_ticker: dict[str, str],
) -> dict[str, np.ndarray]:
    factors: dict[str, np.ndarray] = {}
    for bloc, sd in sorted(BLOC_DAILY_SD.items()):
        factor = sd * _unit_t(_stream(seed, f"factor:{bloc}"), len(sessions))
        for i, day in enumerate(sessions):
            if bloc == "china" and CHINA_RALLY_START <= day <= CHINA_RALLY_END:
                factor[i] += CHINA_RALLY_DAILY_DRIFT
            in_bloc = [
                size
                for ticker, size in shocks_by_day.get(day, {}).items()
                if bloc_of_ticker.get(ticker) == bloc
            ]
            if len(in_bloc) >= BLOC_EVENT_MIN_TICKERS:
                factor[i] = sum(in_bloc) / len(in_bloc)
        factors[bloc] = factor
    return factors


def _total_daily_sd(profile: TickerProfile, bloc_sd: float) -> float:
    return math.sqrt(
        (profile.beta * MARKET_DAILY_SD) ** 2
        + (profile.bloc_loading * bloc_sd) ** 2
        + profile.idio_sd**2
    )


def _adjustment_factors(closes: list[float], dividends: list[float]) -> list[float]:
    """Yahoo-style back-adjustment: an ex-date multiplies all earlier rows by 1 - D / prev close."""
    factors = [1.0] * len(closes)
    running = 1.0
    for i in range(len(closes) - 1, -1, -1):
        factors[i] = running
        if dividends[i] and i > 0:
            running *= 1.0 - dividends[i] / closes[i - 1]
    return factors


def _simulate_ticker(
    member: Member,
    profile: TickerProfile,
    sessions: Sequence[date],
    seed: int,
    market: np.ndarray,
    bloc: str | None,
    bloc_factor: np.ndarray | None,
    shock_on: dict[int, float],
) -> pd.DataFrame:
    n = len(sessions)
    rng = _stream(seed, f"ticker:{member.ticker}")
    own_noise = _unit_t(rng, n)
    gap_noise = rng.standard_normal(n)
    high_wick = np.abs(rng.standard_normal(n))
    low_wick = np.abs(rng.standard_normal(n))
    gap_share = rng.uniform(0.3, 0.7, n)
    volume_noise = rng.lognormal(-(profile.volume_sd**2) / 2, profile.volume_sd, n)

    day_sd = _total_daily_sd(profile, BLOC_DAILY_SD.get(bloc or "", 0.0))
    drift = profile.annual_drift / SESSIONS_PER_YEAR
    pay = DIVIDENDS.get(member.ticker, {})
    unknown_ex_dates = sorted(set(pay) - set(sessions))
    if any(sessions[0] < d <= sessions[-1] for d in unknown_ex_dates):
        raise ValueError(f"{member.ticker}: dividend ex-dates {unknown_ex_dates} are not sessions")

    closes: list[float] = []
    opens: list[float] = []
    highs: list[float] = []
    lows: list[float] = []
    volumes: list[int] = []
    dividends: list[float] = []
    for i, day in enumerate(sessions):
        dividend = float(pay.get(day, 0.0)) if i > 0 else 0.0
        non_market = profile.idio_sd * own_noise[i]
        if bloc_factor is not None:
            non_market += profile.bloc_loading * bloc_factor[i]
        shocked = i in shock_on
        if shocked:
            non_market = shock_on[i]
        day_return = drift + profile.beta * market[i] + non_market
        if i == 0:
            close = profile.start_close
            open_ = close * (1.0 + 0.3 * day_sd * gap_noise[i])
        else:
            # The ex-dividend drop happens at the open; the return is earned on what is left.
            base = closes[-1] - dividend
            close = base * (1.0 + day_return)
            # News that lands before the open shows up mostly in the opening gap.
            share = 0.8 if shocked else gap_share[i]
            open_ = base * (1.0 + share * day_return + 0.25 * day_sd * gap_noise[i])
        close = round(close, PRICE_DECIMALS)
        open_ = round(open_, PRICE_DECIMALS)
        high = round(
            max(open_, close) * (1.0 + min(0.3, 0.4 * day_sd * high_wick[i])), PRICE_DECIMALS
        )
        low = round(
            min(open_, close) * (1.0 - min(0.3, 0.4 * day_sd * low_wick[i])), PRICE_DECIMALS
        )
        # Busy days trade more shares.
        activity = 1.0 + (25.0 if shocked else 8.0) * abs(non_market)
        volumes.append(max(1, int(round(profile.mean_volume * volume_noise[i] * activity))))
        closes.append(close)
        opens.append(open_)
        highs.append(high)
        lows.append(low)
        dividends.append(dividend)

    factors = _adjustment_factors(closes, dividends)
    return pd.DataFrame(
        {
            "ticker": member.ticker,
            "session_date": list(sessions),
            "open": opens,
            "high": highs,
            "low": lows,
            "close": closes,
            "adj_close": [c * f for c, f in zip(closes, factors, strict=True)],
            "volume": np.array(volumes, dtype="int64"),
            "dividends": dividends,
            "stock_splits": 0.0,
            "adj_close_source": "provider",
        }
    )


def simulate_bars(
    members: Sequence[Member],
    sessions: Sequence[date],
    shocks: Sequence[InjectedShock],
    seed: int,
) -> pd.DataFrame:
    """Bars for every member on every session, in PRICE_COLUMNS order, sorted by ticker and date."""
    if not sessions:
        raise ValueError("no sessions to simulate")
    missing = [m.ticker for m in members if m.ticker not in PROFILES]
    if missing:
        raise ValueError(
            f"no sample profile for {missing}: add them to PROFILES in "
            "orchestration/tools/sample_data/profiles.py"
        )
    index_of = {day: i for i, day in enumerate(sessions)}
    shocks_by_day: dict[date, dict[str, float]] = defaultdict(dict)
    shock_index: dict[str, dict[int, float]] = defaultdict(dict)
    for shock in shocks:
        if shock.ticker == MARKET_TICKER:
            raise ValueError(
                f"{shock.event_id}: the market benchmark {MARKET_TICKER} cannot be shocked"
            )
        if shock.session_date not in index_of:
            raise ValueError(f"{shock.event_id}: {shock.session_date} is not a sample session")
        # Two events on the same ticker and day add up.
        i = index_of[shock.session_date]
        shock_index[shock.ticker][i] = shock_index[shock.ticker].get(i, 0.0) + shock.abnormal_return
        day = shocks_by_day[shock.session_date]
        day[shock.ticker] = day.get(shock.ticker, 0.0) + shock.abnormal_return

    bloc_of_ticker = {
        m.ticker: BLOC_OF_TICKER.get(m.ticker) or BLOC_OF_GROUP[m.group_name]
        for m in members
        if m.ticker in BLOC_OF_TICKER or m.group_name in BLOC_OF_GROUP
    }
    market = _market_returns(sessions, seed)
    blocs = _bloc_factors(sessions, seed, shocks_by_day, bloc_of_ticker)
    frames = [
        _simulate_ticker(
            member,
            PROFILES[member.ticker],
            sessions,
            seed,
            market,
            bloc_of_ticker.get(member.ticker),
            blocs.get(bloc_of_ticker.get(member.ticker, "")),
            shock_index.get(member.ticker, {}),
        )
        for member in sorted(members, key=lambda m: m.ticker)
    ]
    return pd.concat(frames, ignore_index=True).loc[:, list(PRICE_COLUMNS)]
