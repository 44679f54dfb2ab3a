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
    "FakeYahooQuotes",
    "analyst_action",
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


# --- quote endpoints: Ticker.upgrades_downgrades and Ticker.info ------------------------------


def upgrade_downgrade_history(*actions: dict[str, Any]) -> dict[str, Any]:
    """Yahoo's quoteSummary answer for module upgradeDowngradeHistory, from actions given as
    Yahoo's JSON keys: epochGradeDate (int seconds), firm, toGrade, fromGrade, action
    (up/down/main/init/reit), priceTargetAction (Raises/Lowers/Maintains/Announces),
    currentPriceTarget, priorPriceTarget. `graded_at` (an ISO UTC time) may replace
    epochGradeDate. yfinance turns this into the frame `Ticker.upgrades_downgrades` returns: index
    'GradeDate' (datetime64, naive UTC, from the epoch seconds), columns Firm, ToGrade, FromGrade,
    Action (renamed) and priceTargetAction, currentPriceTarget, priorPriceTarget (as Yahoo names
    them)."""
    history = []
    for action in actions:
        row = dict(action)
        if "graded_at" in row:
            row["epochGradeDate"] = int(pd.Timestamp(row.pop("graded_at")).timestamp())
        history.append(row)
    return {
        "quoteSummary": {
            "result": [{"upgradeDowngradeHistory": {"history": history, "maxAge": 86400}}],
            "error": None,
        }
    }


def analyst_action(
    graded_at: str,
    firm: str,
    *,
    to_grade: str = "Buy",
    from_grade: str = "",
    action: str = "main",
    price_target_action: str = "Raises",
    current_target: float = 0.0,
    prior_target: float = 0.0,
) -> dict[str, Any]:
    """One entry of Yahoo's upgradeDowngradeHistory, as Yahoo sends it (0.0: no target)."""
    return {
        "graded_at": graded_at,
        "firm": firm,
        "toGrade": to_grade,
        "fromGrade": from_grade,
        "action": action,
        "priceTargetAction": price_target_action,
        "currentPriceTarget": current_target,
        "priorPriceTarget": prior_target,
    }


# Where Yahoo's quoteSummary keeps each valuation key of `Ticker.info` (formatted=false: raw).
_INFO_MODULE: dict[str, str] = {
    "marketCap": "summaryDetail",
    "trailingPE": "summaryDetail",
    "forwardPE": "summaryDetail",
    "priceToSalesTrailing12Months": "summaryDetail",
    "dividendYield": "summaryDetail",
    "currency": "summaryDetail",
    "priceToBook": "defaultKeyStatistics",
    "enterpriseToEbitda": "defaultKeyStatistics",
    "targetMeanPrice": "financialData",
    "recommendationMean": "financialData",
    "numberOfAnalystOpinions": "financialData",
    "currentPrice": "financialData",
}


def quote_summary_info(symbol: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Yahoo's quoteSummary answer for the modules `Ticker.info` asks for, holding `fields` (info
    keys) in the modules Yahoo keeps them in; a key not in the table goes to summaryDetail. Values
    are sent as given, so a test can send what Yahoo sometimes does (a string, 'Infinity', None)."""
    modules: dict[str, dict[str, Any]] = {
        "financialData": {"maxAge": 86400},
        "quoteType": {"symbol": symbol, "quoteType": "EQUITY", "maxAge": 1},
        "defaultKeyStatistics": {"maxAge": 1},
        "assetProfile": {"maxAge": 86400},
        "summaryDetail": {"maxAge": 1},
    }
    for key, value in fields.items():
        modules[_INFO_MODULE.get(key, "summaryDetail")][key] = value
    return {"quoteSummary": {"result": [modules], "error": None}}


@dataclass
class FakeYahooQuotes:
    """Scripted Yahoo quote endpoints behind a real `yfinance.Ticker`, offline.

    `ticker(symbol)` returns a real yfinance.Ticker whose quote scraper talks to this fake instead
    of the network, so `upgrades_downgrades` and `info` are assembled by yfinance's own code.
    `actions[symbol]` is a list of `analyst_action(...)` dicts (an empty list: Yahoo has no
    history, and yfinance raises YFDataException) or an exception raised by the request;
    `info[symbol]` is a dict of info keys or an exception. Either may be a list of outcomes
    consumed one per request (the last one repeats), like FakeYahoo's script. A symbol absent from
    a script gets an empty quoteSummary result: yfinance raises YFDataException ("Failed to parse
    json response") for its actions and returns an info holding little more than the symbol.
    """

    actions: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (symbol, endpoint)
    _served: dict[tuple[str, str], int] = field(default_factory=dict)

    def requests_for(self, symbol: str, endpoint: str) -> int:
        return self.requests.count((symbol, endpoint))

    def _outcome(self, script: dict[str, Any], symbol: str, endpoint: str) -> Any:
        planned = script.get(symbol)
        if planned is None:
            return None
        # A list of outcomes is consumed in order; a list of action dicts is one outcome.
        if isinstance(planned, list) and planned and isinstance(planned[0], (list, BaseException)):
            n = self._served.get((symbol, endpoint), 0)
            self._served[(symbol, endpoint)] = n + 1
            return planned[min(n, len(planned) - 1)]
        return planned

    def ticker(self, symbol: str) -> yfinance.Ticker:
        from yfinance.scrapers.quote import Quote

        ticker = yfinance.Ticker(symbol)
        ticker._quote = Quote(_ScriptedQuoteData(self, ticker.ticker), ticker.ticker)
        return ticker


class _FakeResponse:
    def __init__(self, payload: dict[str, Any]) -> None:
        import json

        self.text = json.dumps(payload)


@dataclass
class _ScriptedQuoteData:
    """Stands in for yfinance's YfData (the HTTP layer) for one symbol's quote scraper."""

    fake: FakeYahooQuotes
    symbol: str

    def get_raw_json(self, url: str, params: dict[str, Any] | None = None, timeout: int = 30):
        modules = (params or {}).get("modules", "")
        if "upgradeDowngradeHistory" in modules:
            self.fake.requests.append((self.symbol, "upgrades_downgrades"))
            outcome = self.fake._outcome(self.fake.actions, self.symbol, "upgrades_downgrades")
            if isinstance(outcome, BaseException):
                raise outcome
            if outcome is None:
                return {"quoteSummary": {"result": [], "error": None}}
            return upgrade_downgrade_history(*outcome)
        if "/v7/finance/quote" in url:
            # The complementary quote call of Ticker.info: answered empty, the fields come from
            # quoteSummary.
            return {"quoteResponse": {"result": [], "error": None}}
        self.fake.requests.append((self.symbol, "info"))
        outcome = self.fake._outcome(self.fake.info, self.symbol, "info")
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome is None:
            return {"quoteSummary": {"result": [], "error": None}}
        return quote_summary_info(self.symbol, outcome)

    def cache_get(self, url: str, params: dict[str, Any] | None = None, timeout: int = 30):
        # The trailing-PEG time series Ticker.info also asks for: none.
        return _FakeResponse({"timeseries": {"result": [], "error": None}})
