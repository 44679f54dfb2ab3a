"""Vectorised bar simulation for the bench (numpy), in the spirit of
orchestration/tools/sample_data/prices.py.

Daily total return of ticker i on session t:

    r = drift_i / 252 + beta_i * market_t + loading_i * bloc_t + idio_i * noise_it (+ event shock)

with fat-tailed (Student-t) draws as in the sample. Tickers are simulated in chunks so memory stays
flat; each chunk draws from its own seeded stream, so the output depends only on (seed, chunk
size), never on the machine. SPY is the market itself. A third of the tickers pay a quarterly
dividend, back-adjusted Yahoo-style into adj_close.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import date

import numpy as np
import pyarrow as pa

from orchestration.tools.benchmark.events import BenchEvent
from orchestration.tools.benchmark.universe import BenchUniverse, bloc_sd
from orchestration.tools.sample_data.profiles import (
    BLOC_DAILY_SD,
    MARKET_ANNUAL_DRIFT,
    MARKET_DAILY_SD,
    TAIL_DF,
)
from warehouse.archive import PRICE_COLUMNS

SESSIONS_PER_YEAR = 252
DIVIDEND_EVERY_SESSIONS = 63
DIVIDEND_YIELD_PER_PAYMENT = 0.006
# Keep a simulated day inside what a listed stock does (a t(5) draw can be extreme).
RETURN_FLOOR, RETURN_CAP = -0.6, 1.5


def _unit_t(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_t(TAIL_DF, shape) * math.sqrt((TAIL_DF - 2) / TAIL_DF)


def factor_returns(n_sessions: int, seed: int) -> dict[str, np.ndarray]:
    """The market factor (SPY's return) and one factor per bloc."""
    rng = np.random.default_rng([seed, 3])
    out = {"": np.zeros(n_sessions)}
    out["market"] = MARKET_ANNUAL_DRIFT / SESSIONS_PER_YEAR + MARKET_DAILY_SD * _unit_t(
        rng, (n_sessions,)
    )
    for bloc, sd in sorted(BLOC_DAILY_SD.items()):
        out[bloc] = sd * _unit_t(rng, (n_sessions,))
    return out


def _shock_matrix(
    events: Sequence[BenchEvent],
    columns: dict[str, int],
    session_index: dict[date, int],
    shape: tuple[int, int],
) -> np.ndarray:
    shocks = np.zeros(shape)
    for event in events:
        col = columns.get(event.ticker)
        if col is not None:
            shocks[session_index[event.day_zero], col] += event.abnormal_return
    return shocks


def _adjustment_factors(close: np.ndarray, dividends: np.ndarray) -> np.ndarray:
    """Yahoo-style: an ex-date multiplies every earlier row by 1 - D / previous close."""
    step = np.ones_like(close)
    step[1:] = 1.0 - dividends[1:] / close[:-1]
    # factor_t = product of step_s for s > t
    reversed_cum = np.cumprod(step[::-1], axis=0)[::-1]
    factors = np.ones_like(close)
    factors[:-1] = reversed_cum[1:]
    return factors


def simulate_chunk(
    universe: BenchUniverse,
    columns: slice,
    sessions: Sequence[date],
    factors: dict[str, np.ndarray],
    events: Sequence[BenchEvent],
    seed: int,
    chunk_number: int,
    held_back: int = 1,
) -> pa.Table:
    """Bars (PRICE_COLUMNS) for the tickers in `columns` on every session, by ticker then date.
    The last `held_back` sessions are the daily updates: no ex-date falls on them."""
    tickers = universe.tickers[columns]
    n_s, n_t = len(sessions), len(tickers)
    rng = np.random.default_rng([seed, 4, chunk_number])
    noise = _unit_t(rng, (n_s, n_t))
    gap = rng.standard_normal((n_s, n_t))
    wick_high = np.abs(rng.standard_normal((n_s, n_t)))
    wick_low = np.abs(rng.standard_normal((n_s, n_t)))
    share = rng.uniform(0.3, 0.7, (n_s, n_t))
    volume_noise = rng.lognormal(-(0.35**2) / 2, 0.35, (n_s, n_t))

    beta = universe.beta[columns]
    loading = universe.bloc_loading[columns]
    idio = universe.idio_sd[columns]
    blocs = universe.blocs[columns]
    bloc_matrix = np.stack([factors[b] for b in blocs], axis=1)
    day_sd = np.sqrt(
        (beta * MARKET_DAILY_SD) ** 2
        + (loading * np.array([bloc_sd(b) for b in blocs])) ** 2
        + idio**2
    )
    session_index = {d: i for i, d in enumerate(sessions)}
    shocks = _shock_matrix(events, {t: i for i, t in enumerate(tickers)}, session_index, (n_s, n_t))
    returns = (
        universe.annual_drift[columns] / SESSIONS_PER_YEAR
        + beta * factors["market"][:, None]
        + loading * bloc_matrix
        + idio * noise
        + shocks
    )
    returns = np.clip(returns, RETURN_FLOOR, RETURN_CAP)
    returns[0, :] = 0.0
    close = np.round(universe.start_close[columns] * np.cumprod(1.0 + returns, axis=0), 4)
    close = np.maximum(close, 0.01)
    previous = np.vstack([close[:1], close[:-1]])
    open_ = np.round(previous * (1.0 + share * returns + 0.25 * day_sd * gap), 4)
    high = np.round(np.maximum(open_, close) * (1.0 + np.minimum(0.3, 0.4 * day_sd * wick_high)), 4)
    low = np.round(np.minimum(open_, close) * (1.0 - np.minimum(0.3, 0.4 * day_sd * wick_low)), 4)
    activity = 1.0 + 8.0 * np.abs(returns - beta * factors["market"][:, None])
    volume = np.maximum(
        1, np.round(universe.mean_volume[columns] * volume_noise * activity)
    ).astype(np.int64)

    dividends = np.zeros((n_s, n_t))
    payers = universe.pays_dividends[columns]
    # Ex-dates every quarter, never on a held-back session: an update must not restate history
    # (an ex-date adjusts every earlier adj_close).
    ex_rows = np.arange(DIVIDEND_EVERY_SESSIONS, n_s - held_back, DIVIDEND_EVERY_SESSIONS)
    if len(ex_rows) and payers.any():
        dividends[np.ix_(ex_rows, np.flatnonzero(payers))] = np.round(
            previous[np.ix_(ex_rows, np.flatnonzero(payers))] * DIVIDEND_YIELD_PER_PAYMENT, 4
        )
    adj_close = close * _adjustment_factors(close, dividends)

    dates = np.array(sessions, dtype="datetime64[D]")

    def long(matrix: np.ndarray) -> np.ndarray:
        return matrix.T.reshape(-1)  # ticker-major: all sessions of one ticker, then the next

    columns_out = {
        "ticker": pa.array(np.repeat(np.array(tickers, dtype=object), n_s), pa.string()),
        "session_date": pa.array(np.tile(dates, n_t), pa.date32()),
        "open": long(open_),
        "high": long(high),
        "low": long(low),
        "close": long(close),
        "adj_close": long(adj_close),
        "volume": long(volume),
        "dividends": long(dividends),
        "stock_splits": np.zeros(n_s * n_t),
        "adj_close_source": pa.array(["provider"] * (n_s * n_t), pa.string()),
    }
    return pa.table({name: columns_out[name] for name in PRICE_COLUMNS})


def simulate_bars(
    universe: BenchUniverse,
    sessions: Sequence[date],
    events: Sequence[BenchEvent],
    seed: int,
    chunk_tickers: int,
    held_back: int = 1,
) -> Iterator[tuple[list[str], pa.Table]]:
    """(tickers, bars) per chunk of `chunk_tickers` tickers, over all sessions (the last
    `held_back` of them the daily updates)."""
    factors = factor_returns(len(sessions), seed)
    for number, start in enumerate(range(0, len(universe), chunk_tickers)):
        columns = slice(start, start + chunk_tickers)
        yield (
            universe.tickers[columns],
            simulate_chunk(
                universe, columns, sessions, factors, events, seed, number, held_back
            ),
        )
