"""Offline stand-ins for Yahoo Finance that keep yfinance's own assembly of results.

Only the network layer is replaced: `yfinance.multi.Ticker` is swapped, for the duration of one
call, for a fake whose `history()` serves scripted per-ticker frames (shaped like yfinance 1.7's
`PriceHistory.history(interval='1d')`: index 'Date' at midnight in the exchange's zone
(America/New_York for US listings, Asia/Hong_Kong for a `.HK` line, Europe/London for a Yahoo FX
pair such as `HKD=X`, whose exchange is "CCY"; `exchange_zone(ticker)`), columns Open,
High, Low, Close, Adj Close, Volume (int64), Dividends, Stock Splits, plus Capital Gains for funds)
or raises the exceptions yfinance raises. The real `yfinance.download` then builds the frame
(MultiIndex ['Price', 'Ticker'], NaN reindexing, zone handling, empty placeholders for failures,
error logging), so what the code under test receives is exactly what yfinance produces.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import yfinance
import yfinance.multi
import yfinance.utils
from yfinance.exceptions import YFPricesMissingError, YFRateLimitError, YFTzMissingError

EXCHANGE_ZONE = "America/New_York"
HONG_KONG_ZONE = "Asia/Hong_Kong"
FX_ZONE = "Europe/London"  # Yahoo's exchangeTimezoneName for currency pairs (CCY)

__all__ = [
    "FakeYahoo",
    "YFPricesMissingError",
    "YFRateLimitError",
    "YFTzMissingError",
    "exchange_zone",
    "history_frame",
]


def exchange_zone(ticker: str) -> str:
    """The zone yfinance stamps a ticker's daily bars in: its exchange's (from Yahoo's
    exchangeTimezoneName), midnight local."""
    symbol = ticker.upper()
    if symbol.endswith(".HK"):
        return HONG_KONG_ZONE
    if symbol.endswith("=X"):
        return FX_ZONE
    return EXCHANGE_ZONE


def history_frame(
    dates: Sequence[date | str],
    closes: Sequence[float],
    *,
    adj_closes: Sequence[float] | None = None,
    volumes: Sequence[int] | None = None,
    dividends: dict[str, float] | None = None,
    splits: dict[str, float] | None = None,
    fund: bool = False,
    zone: str = EXCHANGE_ZONE,
) -> pd.DataFrame:
    """One ticker's daily history as `Ticker.history(auto_adjust=False, actions=True)` returns it,
    stamped at midnight in `zone` (pass exchange_zone(ticker) for a Hong Kong line or FX pair).

    Open/High/Low are derived from the close (open = close - 0.5, high = close + 1, low = close - 1)
    so that every bar is internally consistent; tests set exact values by editing the frame.
    """
    closes_arr = np.asarray(closes, dtype="float64")
    if len(closes_arr) != len(dates):
        raise ValueError("dates and closes differ in length")
    index = pd.DatetimeIndex(pd.to_datetime([str(d) for d in dates])).tz_localize(
        zone, ambiguous=True, nonexistent="shift_forward"
    )
    frame = pd.DataFrame(
        {
            "Open": closes_arr - 0.5,
            "High": closes_arr + 1.0,
            "Low": closes_arr - 1.0,
            "Close": closes_arr,
            "Adj Close": (
                np.asarray(adj_closes, dtype="float64") if adj_closes is not None else closes_arr
            ),
            "Volume": (
                np.asarray(volumes, dtype=np.int64)
                if volumes is not None
                else np.arange(1_000, 1_000 + len(closes_arr), dtype=np.int64)
            ),
        },
        index=index,
    )
    frame["Dividends"] = 0.0
    frame["Stock Splits"] = 0.0
    if fund:
        frame["Capital Gains"] = 0.0
    for day, amount in (dividends or {}).items():
        frame.loc[pd.Timestamp(day).tz_localize(zone), "Dividends"] = amount
    for day, ratio in (splits or {}).items():
        frame.loc[pd.Timestamp(day).tz_localize(zone), "Stock Splits"] = ratio
    frame.index.name = "Date"
    return frame


Outcome = pd.DataFrame | BaseException


@dataclass
class FakeYahoo:
    """Scripted Yahoo: per ticker, a history frame or an exception, per request in order.

    `script[ticker]` is one outcome (used for every request) or a list of outcomes consumed one per
    request of that ticker (the last one repeats). A frame is the full history: each request gets
    the slice [start, end) as Yahoo would send it, or YFPricesMissingError when the slice is empty.
    A ticker absent from the script raises YFTzMissingError, as Yahoo does for an unknown symbol.
    `batch_errors[i]`, if set, is raised by the i-th download call itself (before any ticker).
    """

    script: dict[str, Outcome | list[Outcome]] = field(default_factory=dict)
    batch_errors: dict[int, BaseException] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)
    call_kwargs: list[dict[str, Any]] = field(default_factory=list)
    history_kwargs: list[dict[str, Any]] = field(default_factory=list)
    _served: dict[str, int] = field(default_factory=dict)

    def requests_for(self, ticker: str) -> int:
        return sum(ticker in call for call in self.calls)

    def _next_outcome(self, ticker: str) -> Outcome | None:
        planned = self.script.get(ticker)
        if planned is None:
            return None
        if not isinstance(planned, list):
            return planned
        n = self._served.get(ticker, 0)
        self._served[ticker] = n + 1
        return planned[min(n, len(planned) - 1)]

    def download(self, tickers: str | Iterable[str], **kwargs: Any) -> pd.DataFrame:
        """Same signature as `yfinance.download`; runs the real function offline."""
        batch = [tickers] if isinstance(tickers, str) else list(tickers)
        call_no = len(self.calls)
        self.calls.append(batch)
        self.call_kwargs.append(dict(kwargs))
        if call_no in self.batch_errors:
            raise self.batch_errors[call_no]
        fake = self

        class _FakeTicker:
            def __init__(self, ticker: str) -> None:
                self.ticker = ticker.upper()
                self._price_history = None

            def history(self, **kw: Any) -> pd.DataFrame:
                fake.history_kwargs.append({"ticker": self.ticker, **kw})
                outcome = fake._next_outcome(self.ticker)
                if outcome is None:
                    raise YFTzMissingError(self.ticker)
                if isinstance(outcome, BaseException):
                    raise outcome
                return _serve(outcome, self.ticker, kw)

        real_ticker = yfinance.multi.Ticker
        yfinance.multi.Ticker = _FakeTicker
        try:
            with warnings.catch_warnings():
                # yfinance 1.7 uses inplace= keywords that pandas 3.1 deprecates: library noise.
                warnings.simplefilter("ignore")
                return yfinance.download(batch, **kwargs)
        finally:
            yfinance.multi.Ticker = real_ticker


def _serve(full: pd.DataFrame, ticker: str, kw: dict[str, Any]) -> pd.DataFrame:
    """What Yahoo plus yfinance's history() return for one request of a scripted history."""
    frame = full.copy()
    zone = frame.index.tz or EXCHANGE_ZONE  # Yahoo reads start/end in the exchange's zone
    start, end = kw.get("start"), kw.get("end")
    if start is not None:
        frame = frame.loc[frame.index >= pd.Timestamp(start).tz_localize(zone)]
    if end is not None:
        frame = frame.loc[frame.index < pd.Timestamp(end).tz_localize(zone)]
    if frame.empty:
        raise YFPricesMissingError(ticker, f" (1d {start} -> {end})")
    if kw.get("auto_adjust"):
        frame = yfinance.utils.auto_adjust(frame)
    if not kw.get("actions"):
        frame = frame.drop(columns=["Dividends", "Stock Splits", "Capital Gains"], errors="ignore")
    return frame
