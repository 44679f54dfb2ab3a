"""The bench universe: synthetic tickers in the project's groups, each with factor loadings.

The groups are the ones the dbt project's baskets name (china_adr, us_megacap, and the single
tickers SPY, QQQ, KWEB), so every mart has work to do at scale. Loadings are drawn once per ticker
from a seeded generator, in the spirit of orchestration/tools/sample_data/profiles.py: a market
factor (SPY itself), a bloc factor shared by the China groups or by the megacaps, and the ticker's
own noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.tools.sample_data.profiles import BLOC_DAILY_SD, BLOC_OF_GROUP, MARKET_TICKER

BENCHMARK_TICKERS: tuple[tuple[str, str, str], ...] = (
    # ticker, group, bloc
    (MARKET_TICKER, "benchmark", ""),
    ("QQQ", "benchmark", "megacap"),
    ("KWEB", "china_etf", "china"),
)

# Share of the non-benchmark tickers in each group; the prefix makes ticker names readable.
GROUP_SHARES: tuple[tuple[str, str, float], ...] = (
    ("china_adr", "CA", 0.30),
    ("china_otc", "CO", 0.05),
    ("china_etf", "CE", 0.05),
    ("us_megacap", "UM", 0.15),
    ("us_china_exposed", "UX", 0.15),
    ("us_large", "UL", 0.30),
)


@dataclass(frozen=True)
class BenchUniverse:
    """Parallel arrays, one entry per ticker, sorted by ticker."""

    tickers: list[str]
    groups: list[str]
    blocs: list[str]  # "" when the ticker has no bloc factor
    start_close: np.ndarray
    annual_drift: np.ndarray
    beta: np.ndarray
    bloc_loading: np.ndarray
    idio_sd: np.ndarray
    mean_volume: np.ndarray
    pays_dividends: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.tickers)

    @property
    def market_index(self) -> int:
        return self.tickers.index(MARKET_TICKER)

    def csv_text(self) -> str:
        """The universe seed (ticker,name,group_name,exchange,currency)."""
        lines = ["ticker,name,group_name,exchange,currency"]
        for ticker, group in zip(self.tickers, self.groups, strict=True):
            exchange = "OTC" if group == "china_otc" else "NYSE"
            lines.append(f"{ticker},Synthetic {ticker},{group},{exchange},USD")
        return "\n".join(lines) + "\n"


def _group_counts(n_other: int) -> list[int]:
    counts = [int(n_other * share) for _, _, share in GROUP_SHARES]
    counts[-1] += n_other - sum(counts)
    return counts


def bench_universe(n_tickers: int, seed: int) -> BenchUniverse:
    """`n_tickers` tickers (at least 4): SPY, QQQ, KWEB and synthetic names across the groups."""
    if n_tickers < len(BENCHMARK_TICKERS) + 1:
        raise ValueError(f"the bench needs at least {len(BENCHMARK_TICKERS) + 1} tickers")
    rows: list[tuple[str, str, str]] = list(BENCHMARK_TICKERS)
    n_other = n_tickers - len(BENCHMARK_TICKERS)
    for (group, prefix, _), count in zip(GROUP_SHARES, _group_counts(n_other), strict=True):
        bloc = BLOC_OF_GROUP.get(group, "")
        rows.extend((f"{prefix}{i:04d}", group, bloc) for i in range(count))
    rows.sort()
    n = len(rows)
    rng = np.random.default_rng([seed, 1])
    blocs = [r[2] for r in rows]
    china = np.array([b == "china" for b in blocs])
    has_bloc = np.array([b != "" for b in blocs])
    market = np.array([r[0] == MARKET_TICKER for r in rows])
    beta = np.where(market, 1.0, rng.uniform(0.6, 1.6, n))
    bloc_loading = np.where(has_bloc & ~market, rng.uniform(0.6, 1.3, n), 0.0)
    idio_sd = np.where(china, rng.uniform(0.012, 0.032, n), rng.uniform(0.006, 0.022, n))
    idio_sd = np.where(market, 0.0, idio_sd)
    return BenchUniverse(
        tickers=[r[0] for r in rows],
        groups=[r[1] for r in rows],
        blocs=blocs,
        start_close=np.round(np.exp(rng.normal(np.log(50.0), 0.9, n)), 2),
        annual_drift=np.where(market, 0.0, rng.normal(0.03, 0.12, n)),
        beta=beta,
        bloc_loading=bloc_loading,
        idio_sd=idio_sd,
        mean_volume=np.round(np.exp(rng.normal(np.log(5e6), 1.2, n))).astype(np.int64),
        pays_dividends=~market & (rng.uniform(size=n) < 0.3),
    )


def bloc_sd(bloc: str) -> float:
    return BLOC_DAILY_SD.get(bloc, 0.0)
