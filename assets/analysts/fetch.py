"""Ask Yahoo, ticker by ticker, for analyst actions (`Ticker.upgrades_downgrades`) and valuation
fields (`Ticker.info`), with the price fetch's retry rounds (assets/prices/fetch.py
`fetch_in_rounds`): one ticker failing never costs the others their answer, failed tickers are
retried with back-off a bounded number of times, and a Yahoo that answers nothing at all is given
up on early.

yfinance hides many failures: an HTTP error is logged on the 'yfinance' logger and an empty frame
or dict is returned. So an empty answer without a reason yfinance gave counts as failed, with the
logged line as the reason. One empty answer is no failure: yfinance raises YFDataException "No
upgrade/downgrade history found" for a ticker no analyst ever graded.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from assets.prices.fetch import (
    RATE_LIMIT_HINTS,
    RATE_LIMITED_REASON,
    capture_yfinance_log,
    fetch_in_rounds,
    is_rate_limit_exception,
)
from assets.settings import DEFAULTS

# A factory of yfinance.Ticker objects: the network seam (tests pass a fake's `ticker`).
TickerFactory = Callable[[str], Any]

ANALYST_ENDPOINT = "upgrades_downgrades"
INFO_ENDPOINT = "info"
_NO_HISTORY = "No upgrade/downgrade history found"
# Keys every info Yahoo sends for a known symbol; an info holding none of the valuation keys and
# nothing else of substance means Yahoo did not answer.
_INFO_NOISE = frozenset({"symbol", "trailingPegRatio", "maxAge", "quoteType"})


@dataclass
class _Answers:
    """One request's outcome (a batch of one ticker), in the shape fetch_in_rounds expects."""

    answers: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    rate_limited: bool = False
    rows: int = 0


@dataclass
class QuoteFetchResult:
    """What a fetch got: `answers` by ticker (a frame for actions, a dict for info), the tickers
    that failed after every retry with why, and the requests and rounds it took."""

    answers: dict[str, Any]
    failed: dict[str, str]
    requests: int
    attempts: int

    @property
    def succeeded(self) -> list[str]:
        return sorted(self.answers)


def default_ticker_factory() -> TickerFactory:
    import yfinance  # lazily: tests and offline tools pass their own factory

    return yfinance.Ticker


def _ask(ticker_factory: TickerFactory, endpoint: str, ticker: str) -> _Answers:
    """One ticker's answer; never raises for a provider failure."""
    with capture_yfinance_log() as log, warnings.catch_warnings():
        # yfinance's own deprecation noise (see assets/prices/fetch.py _download_batch).
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"yfinance(\.|$)")
        warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
        try:
            answer = getattr(ticker_factory(ticker), endpoint)
        except Exception as exc:
            if endpoint == ANALYST_ENDPOINT and _NO_HISTORY in str(exc):
                return _Answers(answers={ticker: pd.DataFrame()})
            if is_rate_limit_exception(exc):
                return _Answers(reasons={ticker: RATE_LIMITED_REASON}, rate_limited=True)
            return _Answers(reasons={ticker: f"{type(exc).__name__}: {exc}"})
    logged = "; ".join(log.other + list(log.by_ticker.values()))
    empty = (
        not isinstance(answer, pd.DataFrame) or answer.empty
        if endpoint == ANALYST_ENDPOINT
        else not isinstance(answer, dict) or not set(answer) - _INFO_NOISE
    )
    if empty:
        if logged and RATE_LIMIT_HINTS.search(logged):
            return _Answers(reasons={ticker: RATE_LIMITED_REASON}, rate_limited=True)
        why = f": {logged}" if logged else ""
        return _Answers(reasons={ticker: f"no {endpoint} from Yahoo Finance{why}"})
    rows = len(answer) if isinstance(answer, pd.DataFrame) else 1
    return _Answers(answers={ticker: answer}, rows=rows)


def fetch_quote_endpoint(
    tickers: Sequence[str],
    endpoint: str,
    *,
    ticker_factory: TickerFactory | None = None,
    max_retries: int = DEFAULTS.price_max_retries,
    backoff_seconds: float = 2.0,
    sleep: Callable[[float], Any] = time.sleep,
) -> QuoteFetchResult:
    """`endpoint` (upgrades_downgrades or info) of every ticker, one request a ticker."""
    if endpoint not in (ANALYST_ENDPOINT, INFO_ENDPOINT):
        raise ValueError(f"unknown quote endpoint {endpoint!r}")
    factory = ticker_factory or default_ticker_factory()
    pending = list(dict.fromkeys(t.strip().upper() for t in tickers if t.strip()))
    rounds = fetch_in_rounds(
        pending,
        lambda batch: _ask(factory, endpoint, batch[0]),
        chunk_size=1,
        max_retries=max_retries,
        backoff_seconds=backoff_seconds,
        sleep=sleep,
    )
    answers: dict[str, Any] = {}
    for outcome in rounds.outcomes:
        answers.update(outcome.answers)
    return QuoteFetchResult(
        answers=dict(sorted(answers.items())),
        failed=rounds.failed,
        requests=rounds.requests,
        attempts=rounds.attempts,
    )


def actions_frame(answers: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The tickers' upgrades_downgrades frames as one frame to archive: yfinance's columns as
    received, its GradeDate index as a column, and a `ticker` column first."""
    frames = []
    for ticker, frame in sorted(answers.items()):
        if frame.empty:
            continue
        flat = frame.reset_index()
        flat.insert(0, "ticker", ticker)
        frames.append(flat)
    if not frames:
        return pd.DataFrame({"ticker": pd.Series(dtype="object")})
    return pd.concat(frames, ignore_index=True)
