"""SYNTHETIC analyst actions and valuation snapshots for the sample archive.

Nothing here is a real rating, target or multiple: the firms are invented (their names say
"(synthetic)"), and the valuation fields are derived from the sample's simulated closes with
fixed, made-up earnings, sales and book values per share. They exist so that `adrpulse demo`
fills fct_analyst_actions, fct_valuation_history and fct_valuation_spread.

What the daily runs of the sample archive hold, like a live run's (assets/analysts/live.py):
- an analyst fetch per March 2025 session after the close: every action graded by then (Yahoo
  sends the whole history each time), in the frame shape of yfinance's upgrades_downgrades;
- a valuation snapshot per March 2025 session: every equity's info fields, computed from that
  session's simulated close. ETFs and the benchmark get an info without valuation fields (as
  Yahoo's have none). NIO loses money: Yahoo sends negative P/Es, which load as NULL and make
  the valuation check warn in the demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

# firm, ticker, graded at (UTC), Yahoo action, from grade, to grade, prior target, current target
# (0: none, as Yahoo sends it). Several sit on days the sample's prices move on purpose
# (injected_shocks.csv, injected_moves.csv), so the demo shows actions with significant
# abnormal returns next to ordinary ones.
ACTIONS: tuple[tuple[str, str, str, str, str, str, float, float], ...] = (
    ("Example Securities (synthetic)", "BABA", "2025-01-27T12:30:00Z", "up",
     "Hold", "Buy", 100.0, 130.0),
    ("Sample Capital (synthetic)", "BIDU", "2025-01-26T15:00:00Z", "main",
     "Buy", "Buy", 90.0, 110.0),
    ("Placeholder Research (synthetic)", "NVDA", "2025-01-27T11:45:00Z", "down",
     "Buy", "Hold", 160.0, 130.0),
    ("Sample Capital (synthetic)", "JD", "2025-02-10T13:00:00Z", "init",
     "", "Buy", 0.0, 50.0),
    ("Example Securities (synthetic)", "AAPL", "2025-03-05T14:00:00Z", "reit",
     "Buy", "Buy", 250.0, 250.0),
    ("Placeholder Research (synthetic)", "MSFT", "2025-03-12T20:30:00Z", "main",
     "Buy", "Buy", 500.0, 460.0),
    # Friday 2025-03-28 at 17:00 New York, after the close: day 0 is Monday 2025-03-31.
    ("Placeholder Research (synthetic)", "NIO", "2025-03-28T21:00:00Z", "up",
     "Sell", "Hold", 4.0, 6.0),
    ("Example Securities (synthetic)", "PDD", "2025-03-31T12:15:00Z", "down",
     "Buy", "Hold", 150.0, 120.0),
)


@dataclass(frozen=True)
class ValuationProfile:
    """Made-up per-share fundamentals: forward and trailing EPS, sales, book; EV/EBITDA."""

    forward_eps: float
    trailing_eps: float
    sales_per_share: float
    book_per_share: float
    ev_to_ebitda: float
    shares_billion: float
    dividend_yield_percent: float | None
    target_upside: float
    recommendation_mean: float
    analyst_count: int


# The China ADRs trade at roughly a third to a half of the US megacaps' multiples, as in the
# story ADR Pulse follows; the numbers themselves are invented.
PROFILES: dict[str, ValuationProfile] = {
    "BABA": ValuationProfile(11.0, 8.5, 55.0, 60.0, 8.0, 2.4, 1.0, 0.30, 1.6, 42),
    "JD": ValuationProfile(4.2, 3.3, 150.0, 25.0, 6.5, 1.5, 2.0, 0.25, 1.7, 38),
    "PDD": ValuationProfile(12.5, 10.0, 35.0, 40.0, 7.5, 1.4, None, 0.35, 1.8, 40),
    "BIDU": ValuationProfile(10.5, 7.0, 55.0, 110.0, 6.0, 0.35, None, 0.22, 2.0, 36),
    "NTES": ValuationProfile(7.0, 6.2, 16.0, 28.0, 11.0, 0.64, 2.0, 0.15, 1.9, 30),
    "BILI": ValuationProfile(0.9, 0.4, 7.0, 3.5, 25.0, 0.42, None, 0.20, 2.1, 28),
    "TME": ValuationProfile(0.8, 0.6, 2.8, 5.0, 14.0, 1.7, 1.2, 0.25, 1.9, 25),
    "NIO": ValuationProfile(-1.1, -1.5, 4.3, 1.1, -5.0, 2.0, None, 0.35, 2.6, 30),
    "LI": ValuationProfile(1.9, 1.2, 14.0, 7.0, 12.0, 1.0, None, 0.30, 2.1, 32),
    "XPEV": ValuationProfile(0.6, -0.7, 5.5, 4.2, 40.0, 0.95, None, 0.10, 2.4, 28),
    "BYDDY": ValuationProfile(3.6, 3.1, 38.0, 15.0, 9.0, 1.5, 1.3, 0.20, 1.8, 20),
    "AAPL": ValuationProfile(8.3, 6.6, 26.0, 4.5, 24.0, 15.0, 0.45, 0.08, 2.0, 40),
    "MSFT": ValuationProfile(14.0, 12.5, 35.0, 40.0, 22.0, 7.4, 0.75, 0.15, 1.5, 55),
    "GOOGL": ValuationProfile(9.0, 8.0, 29.0, 26.0, 15.0, 12.2, 0.45, 0.15, 1.7, 50),
    "AMZN": ValuationProfile(6.2, 5.5, 60.0, 27.0, 17.0, 10.5, None, 0.18, 1.6, 60),
    "META": ValuationProfile(25.0, 23.0, 66.0, 72.0, 16.0, 2.5, 0.35, 0.15, 1.6, 58),
    "NVDA": ValuationProfile(4.3, 2.9, 5.3, 2.6, 38.0, 24.5, 0.03, 0.25, 1.4, 60),
    "TSLA": ValuationProfile(3.0, 2.0, 30.0, 23.0, 70.0, 3.2, None, -0.05, 2.7, 45),
    "GM": ValuationProfile(10.8, 9.5, 190.0, 70.0, 8.0, 1.0, 1.0, 0.15, 2.2, 25),
    "SBUX": ValuationProfile(3.5, 3.0, 32.0, -7.0, 17.0, 1.1, 2.5, 0.10, 2.2, 30),
}


def analyst_actions_frame(fetched_at: datetime) -> pd.DataFrame:
    """What an upgrades_downgrades fetch at `fetched_at` returns for every ticker, in the archived
    shape (assets/analysts/fetch.py actions_frame): actions graded by then, newest first per
    ticker as Yahoo sends them."""
    rows = [
        {
            "ticker": ticker,
            "GradeDate": pd.Timestamp(graded_at).tz_convert(UTC).tz_localize(None),
            "Firm": firm,
            "ToGrade": to_grade,
            "FromGrade": from_grade,
            "Action": action,
            "priceTargetAction": (
                "Raises" if current > prior > 0 else "Lowers" if 0 < current < prior
                else "Announces" if current and not prior else "Maintains"
            ),
            "currentPriceTarget": current,
            "priorPriceTarget": prior,
        }
        for firm, ticker, graded_at, action, from_grade, to_grade, prior, current in ACTIONS
        if pd.Timestamp(graded_at) <= pd.Timestamp(fetched_at)
    ]
    frame = pd.DataFrame(rows)
    return frame.sort_values(["ticker", "GradeDate"], ascending=[True, False]).reset_index(
        drop=True
    )


def valuation_infos(closes: dict[str, float], tickers: list[str]) -> dict[str, dict[str, object]]:
    """The info dicts of one snapshot, from each ticker's close of the session. A ticker without a
    profile (an ETF, the benchmark) gets an info without valuation fields."""
    infos: dict[str, dict[str, object]] = {}
    for ticker in tickers:
        close = closes.get(ticker)
        profile = PROFILES.get(ticker)
        info: dict[str, object] = {"symbol": ticker, "currency": "USD", "maxAge": 86400}
        if profile is None or close is None:
            info["quoteType"] = "ETF"
            infos[ticker] = info
            continue
        info.update(
            {
                "quoteType": "EQUITY",
                "currentPrice": round(close, 4),
                "marketCap": int(close * profile.shares_billion * 1e9),
                # Yahoo sends a loss-maker's P/E negative; the loader stores it as NULL.
                "trailingPE": round(close / profile.trailing_eps, 4),
                "forwardPE": round(close / profile.forward_eps, 4),
                "priceToSalesTrailing12Months": round(close / profile.sales_per_share, 4),
                "priceToBook": round(close / profile.book_per_share, 4),
                "enterpriseToEbitda": profile.ev_to_ebitda,
                "targetMeanPrice": round(close * (1 + profile.target_upside), 2),
                "recommendationMean": profile.recommendation_mean,
                "numberOfAnalystOpinions": profile.analyst_count,
            }
        )
        if profile.dividend_yield_percent is not None:
            info["dividendYield"] = profile.dividend_yield_percent
        infos[ticker] = info
    return infos
