"""Canonical long-form daily bars for tests that archive and load prices directly."""

from __future__ import annotations

from datetime import date

import pandas as pd


def flat_bars(
    ticker: str, days: list[date], close: float, adj_factor: float = 1.0
) -> pd.DataFrame:
    """One bar per day at a constant close (high/low one either side), in the archive's columns."""
    return pd.DataFrame(
        {
            "ticker": ticker,
            "session_date": days,
            "open": close,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "adj_close": close * adj_factor,
            "volume": 1000,
            "dividends": 0.0,
            "stock_splits": 0.0,
            "adj_close_source": "provider",
        }
    )
