"""How each synthetic ticker behaves: starting price, drift, factor loadings, volume, dividends.

Daily total return of a ticker (before any injected event shock):

    r = drift / 252 + beta * market + loading * bloc_factor + idio_sd * noise

`market` is the return of SPY (the market benchmark), `bloc_factor` is shared within a bloc of
groups (all China listings move together; the US megacaps move together). The numbers are chosen
to look like 2024-25 markets (SPY about 1% a day, megacaps 1.5-3%, China ADRs and EV names 2.5-4%),
not fitted to anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Blocs of universe groups that share a factor. Groups not listed here have no bloc factor.
BLOC_OF_GROUP: dict[str, str] = {
    "china_adr": "china",
    "china_otc": "china",
    "china_etf": "china",
    "us_megacap": "megacap",
}

# Tickers whose bloc is not their group's: QQQ is a benchmark but is mostly the megacaps.
BLOC_OF_TICKER: dict[str, str] = {"QQQ": "megacap"}

MARKET_DAILY_SD = 0.0085
MARKET_ANNUAL_DRIFT = 0.18
BLOC_DAILY_SD: dict[str, float] = {"china": 0.018, "megacap": 0.007}

# Student-t degrees of freedom for all shocks: daily returns have fatter tails than a normal.
TAIL_DF = 5

# A China rally (abnormal relative to the market) from mid-January to late February 2025, like the
# one that took Alibaba from its January low to its late-February high. Added to the China bloc
# factor, so it shows up in ETFs too.
CHINA_RALLY_START = date(2025, 1, 14)
CHINA_RALLY_END = date(2025, 2, 21)
CHINA_RALLY_DAILY_DRIFT = 0.004

# Market returns pinned on days the whole market moved on catalogued news (SPY fell about 1.5% on
# the DeepSeek sell-off). This is the benchmark's own return, not an injected abnormal return.
MARKET_RETURN_ON: dict[date, float] = {date(2025, 1, 27): -0.0146}


@dataclass(frozen=True)
class TickerProfile:
    start_close: float  # raw close on the first sample session (split-adjusted where relevant)
    annual_drift: float  # expected total return per year, on top of the market
    beta: float  # loading on the market (SPY)
    bloc_loading: float  # loading on the ticker's bloc factor (0 when it has no bloc)
    idio_sd: float  # daily sd of the ticker's own noise
    mean_volume: int  # typical shares traded per session
    volume_sd: float = 0.35  # log-sd of volume around the mean (thin OTC names vary more)


# SPY is the market itself: its return is `market` exactly (beta 1, nothing else).
PROFILES: dict[str, TickerProfile] = {
    # China ADRs
    "BABA": TickerProfile(72.0, 0.10, 0.80, 1.00, 0.014, 15_000_000),
    "JD": TickerProfile(27.9, 0.05, 0.80, 1.00, 0.018, 10_000_000),
    "PDD": TickerProfile(142.0, -0.10, 0.90, 1.00, 0.025, 8_000_000),
    "BIDU": TickerProfile(117.0, -0.15, 0.80, 0.95, 0.016, 3_000_000),
    "NTES": TickerProfile(92.0, 0.05, 0.70, 0.70, 0.016, 1_200_000),
    "BILI": TickerProfile(11.9, 0.20, 1.10, 1.20, 0.028, 8_000_000),
    "TME": TickerProfile(8.9, 0.10, 0.80, 0.90, 0.022, 7_000_000),
    "NIO": TickerProfile(8.6, -0.30, 1.30, 1.20, 0.032, 50_000_000),
    "LI": TickerProfile(36.0, -0.20, 1.10, 1.10, 0.028, 6_000_000),
    "XPEV": TickerProfile(14.0, 0.15, 1.30, 1.30, 0.034, 15_000_000),
    # BYD's ADR trades over the counter, thinly.
    "BYDDY": TickerProfile(54.9, 0.25, 0.60, 0.80, 0.020, 250_000, volume_sd=0.8),
    # US megacaps (NVDA split-adjusted, as Yahoo shows it today)
    "AAPL": TickerProfile(185.6, 0.15, 1.00, 0.80, 0.010, 55_000_000),
    "MSFT": TickerProfile(370.9, 0.05, 1.00, 0.80, 0.009, 20_000_000),
    "GOOGL": TickerProfile(138.2, 0.20, 1.10, 0.90, 0.014, 28_000_000),
    "AMZN": TickerProfile(149.9, 0.25, 1.15, 1.00, 0.013, 40_000_000),
    "META": TickerProfile(346.3, 0.40, 1.20, 1.10, 0.017, 15_000_000),
    "NVDA": TickerProfile(48.2, 0.80, 1.60, 1.60, 0.022, 350_000_000),
    "TSLA": TickerProfile(248.4, 0.20, 1.50, 1.30, 0.030, 95_000_000),
    # US companies exposed to China (no bloc factor of their own)
    "GM": TickerProfile(35.6, 0.25, 1.00, 0.00, 0.018, 14_000_000),
    "SBUX": TickerProfile(94.8, -0.05, 0.90, 0.00, 0.016, 9_000_000),
    # Benchmarks: QQQ leans on the megacap bloc as well as the market
    "SPY": TickerProfile(472.6, 0.00, 1.00, 0.00, 0.000, 60_000_000),
    "QQQ": TickerProfile(402.0, 0.03, 1.15, 0.45, 0.002, 38_000_000),
    # China ETFs
    "KWEB": TickerProfile(27.7, 0.00, 0.70, 1.00, 0.005, 20_000_000),
    "FXI": TickerProfile(23.5, 0.00, 0.60, 0.70, 0.005, 40_000_000),
    "MCHI": TickerProfile(40.6, 0.00, 0.65, 0.85, 0.004, 8_000_000),
}

# Cash dividends by ex-date, close to the real quarterly amounts. Only ex-dates up to the end of the
# backfill fetch (2025-02-28) are used, so every fetch in the sample sees the same adjusted history
# and the overlapping rows of consecutive fetches are identical (a later ex-date would make the
# provider restate all earlier adjusted closes).
DIVIDENDS: dict[str, dict[date, float]] = {
    "AAPL": {
        date(2024, 2, 9): 0.24,
        date(2024, 5, 10): 0.25,
        date(2024, 8, 12): 0.25,
        date(2024, 11, 8): 0.25,
        date(2025, 2, 10): 0.25,
    },
    "MSFT": {
        date(2024, 2, 14): 0.75,
        date(2024, 5, 15): 0.75,
        date(2024, 8, 15): 0.75,
        date(2024, 11, 21): 0.83,
        date(2025, 2, 20): 0.83,
    },
    "SPY": {
        date(2024, 3, 15): 1.5950,
        date(2024, 6, 21): 1.7590,
        date(2024, 9, 20): 1.7460,
        date(2024, 12, 20): 1.9660,
    },
}

# Market benchmark: no abnormal return is ever injected into it.
MARKET_TICKER = "SPY"
