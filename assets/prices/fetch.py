"""Fetch daily bars from Yahoo Finance with yfinance, in batches, retrying only what failed.

yfinance does not raise when a ticker fails: `yf.download` catches every per-ticker exception
(rate limits included), puts an empty placeholder in the frame and only logs the reason on the
'yfinance' logger. So this module:

- counts the rows each ticker got against the XNYS sessions expected, and treats a ticker with no
  rows as failed;
- listens to the 'yfinance' logger during each call to learn why (rate limit, delisted, network);
- retries only the failed tickers, with exponential back-off and a bounded number of rounds;
- gives up early when nothing at all comes back (no network): one confirming retry, then stop.

Tickers that got some rows but miss some expected sessions are reported in `missing_sessions` and
not retried: Yahoo answers the same gap again for a halted or newly listed ticker, and retrying
would spend the back-off budget for nothing.
"""

from __future__ import annotations

import ast
import logging
import re
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Generic, Protocol, TypeVar

import pandas as pd

from assets.calendar import XNYS, exchange_of, sessions_between
from assets.prices.normalize import empty_bars, normalize_download
from assets.settings import DEFAULTS

YAHOO_HOST = "query1.finance.yahoo.com"
UNREACHABLE_REASON = f"could not reach Yahoo Finance ({YAHOO_HOST})"
RATE_LIMITED_REASON = "rate limited by Yahoo Finance (YFRateLimitError)"

DownloadFn = Callable[..., pd.DataFrame]

# yfinance logs failures as "['BABA', 'JD']: <repr of the exception>" after a download.
_FAILED_LINE = re.compile(r"^\s*(\[[^\]]*\]):\s*(.*)$", re.DOTALL)
RATE_LIMIT_HINTS = re.compile(r"YFRateLimitError|Too Many Requests|rate limit", re.IGNORECASE)


@dataclass
class PriceFetchResult:
    """Outcome of one fetch. `bars` holds only tickers that returned rows.

    requests: number of download calls made (one per batch per round).
    attempts: number of rounds (the first pass plus each retry round).
    extra_sessions: dates a ticker returned that are not sessions of its exchange (kept in `bars`,
    reported).
    """

    bars: pd.DataFrame
    failed: dict[str, str]
    missing_sessions: dict[str, list[date]]
    requests: int
    attempts: int
    extra_sessions: dict[str, list[date]] = field(default_factory=dict)

    @property
    def succeeded(self) -> list[str]:
        return sorted(self.bars["ticker"].unique()) if len(self.bars) else []


@dataclass
class _BatchOutcome:
    bars: pd.DataFrame
    reasons: dict[str, str]  # ticker -> why it got no rows
    rate_limited: bool

    @property
    def rows(self) -> int:
        return len(self.bars)


class BatchOutcome(Protocol):
    """What one request of a batch of tickers gave: rows received, and why each ticker that got
    nothing got nothing. Any endpoint fetched through `fetch_in_rounds` answers this way."""

    @property
    def rows(self) -> int: ...

    reasons: dict[str, str]  # ticker -> why it failed; absent: it succeeded
    rate_limited: bool


OutcomeT = TypeVar("OutcomeT", bound=BatchOutcome)


@dataclass
class RoundsResult(Generic[OutcomeT]):
    """Every batch outcome of every round (successes and failures), the tickers still failed after
    the last round with their reasons, and how many requests and rounds it took."""

    outcomes: list[OutcomeT]
    failed: dict[str, str]
    requests: int
    attempts: int


def fetch_in_rounds(
    tickers: Sequence[str],
    fetch_batch: Callable[[list[str]], OutcomeT],
    *,
    chunk_size: int,
    max_retries: int,
    backoff_seconds: float,
    sleep: Callable[[float], Any],
) -> RoundsResult[OutcomeT]:
    """Fetch `tickers` in batches of `chunk_size`, retrying only the tickers that failed.

    `fetch_batch` must never raise for a provider failure: it reports each failed ticker in
    `reasons`, so one ticker's failure never costs the others their data. Tickers that failed are
    retried in the next round, after sleeping backoff_seconds * 2**(round - 1); at most
    1 + max_retries rounds run. A round in which nothing came back, while nothing has come back
    before, counts as "Yahoo unreachable": it gets one retry at most, then the fetch stops with
    UNREACHABLE_REASON in every failed ticker's reason. Rate limits are never taken for that.
    """
    pending = list(tickers)
    outcomes: list[OutcomeT] = []
    failed: dict[str, str] = {}
    requests = 0
    rounds = 0
    unreachable_rounds = 0
    anything_succeeded = False
    while pending:
        if rounds > 0:
            sleep(backoff_seconds * 2 ** (rounds - 1))
        rounds += 1
        failed = {}
        round_rows = 0
        round_answered = False
        rate_limited = False
        for batch in chunked(pending, chunk_size):
            outcome = fetch_batch(batch)
            requests += 1
            outcomes.append(outcome)
            round_rows += outcome.rows
            # A ticker that succeeded with no rows (no analyst ever covered it) still proves
            # Yahoo answered.
            round_answered = round_answered or len(outcome.reasons) < len(batch)
            rate_limited = rate_limited or outcome.rate_limited
            failed.update(outcome.reasons)

        if round_rows or round_answered:
            anything_succeeded = True
        elif not anything_succeeded and not rate_limited:
            unreachable_rounds += 1
        if not failed:
            break
        out_of_budget = rounds > max_retries
        # Nothing came back at all, twice: offline or Yahoo down; do not spend the whole budget.
        if unreachable_rounds >= 2 or (out_of_budget and unreachable_rounds and not round_rows):
            failed = {t: f"{UNREACHABLE_REASON}; last error: {r}" for t, r in failed.items()}
            break
        if out_of_budget:
            break
        pending = list(failed)
    return RoundsResult(outcomes, dict(sorted(failed.items())), requests, rounds)


class _YfinanceLogCapture(logging.Handler):
    """Collect yfinance's per-ticker failure lines while one download runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.by_ticker: dict[str, str] = {}
        self.other: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must not break the fetch
            return
        match = _FAILED_LINE.match(message)
        if match:
            try:
                symbols = ast.literal_eval(match.group(1))
            except (ValueError, SyntaxError):
                symbols = []
            for symbol in symbols:
                self.by_ticker[str(symbol).upper()] = match.group(2).strip()
            if symbols:
                return
        if message.strip():
            self.other.append(message.strip())


@contextmanager
def capture_yfinance_log() -> Iterator[_YfinanceLogCapture]:
    logger = logging.getLogger("yfinance")
    handler = _YfinanceLogCapture()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _default_download() -> DownloadFn:
    import yfinance  # imported lazily: tests and offline tools pass their own download

    return yfinance.download


def is_rate_limit_exception(exc: BaseException) -> bool:
    try:
        from yfinance.exceptions import YFRateLimitError
    except ImportError:  # pragma: no cover - yfinance is a dependency
        return False
    return isinstance(exc, YFRateLimitError)


def chunked(items: Sequence[str], size: int) -> list[list[str]]:
    if size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {size}")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _download_batch(
    download: DownloadFn,
    batch: list[str],
    start: date,
    end: date,
    timeout: float,
) -> _BatchOutcome:
    """One yf.download call for `batch`; never raises for a provider failure."""
    with capture_yfinance_log() as log, warnings.catch_warnings():
        # yfinance turns DeprecationWarnings raised in its own code back on when imported, and
        # pandas 3 raises a block of them (Pandas4Warning) on every request: library noise the
        # user can do nothing about. Other warnings still show.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"yfinance(\.|$)")
        try:
            frame = download(
                batch,
                start=start.isoformat(),
                # Our end is inclusive, yfinance's is exclusive.
                end=(end + timedelta(days=1)).isoformat(),
                auto_adjust=False,
                actions=True,
                group_by="column",
                ignore_tz=True,
                progress=False,
                threads=False,
                timeout=timeout,
            )
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            rate_limited = is_rate_limit_exception(exc)
            if rate_limited:
                reason = RATE_LIMITED_REASON
            return _BatchOutcome(
                bars=empty_bars(),
                reasons=dict.fromkeys(batch, reason),
                rate_limited=rate_limited,
            )
    try:
        bars = normalize_download(frame, batch)
    except ValueError as exc:
        reason = f"unusable yfinance result: {exc}"
        return _BatchOutcome(empty_bars(), dict.fromkeys(batch, reason), rate_limited=False)

    got = set(bars["ticker"]) if len(bars) else set()
    reasons: dict[str, str] = {}
    rate_limited = False
    for ticker in batch:
        if ticker in got:
            continue
        logged = log.by_ticker.get(ticker.upper())
        if logged and RATE_LIMIT_HINTS.search(logged):
            rate_limited = True
            reasons[ticker] = RATE_LIMITED_REASON
        elif logged:
            reasons[ticker] = f"no rows from Yahoo Finance: {logged}"
        else:
            reasons[ticker] = f"no rows from Yahoo Finance for {start}..{end}"
    return _BatchOutcome(bars, reasons, rate_limited)


def fetch_daily_bars(
    tickers: Sequence[str],
    start: date,
    end: date,
    *,
    download: DownloadFn | None = None,
    chunk_size: int = DEFAULTS.price_chunk_size,
    max_retries: int = DEFAULTS.price_max_retries,
    backoff_seconds: float = 2.0,
    timeout: float = DEFAULTS.price_timeout_seconds,
    sleep: Callable[[float], Any] = time.sleep,
    expected_sessions: Sequence[date] | None = None,
) -> PriceFetchResult:
    """Daily bars for `tickers` over XNYS sessions start..end (both inclusive).

    Batches of `chunk_size` tickers per yf.download call; tickers that got no rows are retried
    with back-off by `fetch_in_rounds`, which also gives up early when Yahoo is unreachable.

    `expected_sessions` defaults to the XNYS sessions between start and end; pass a shorter list to
    exclude a session whose bar is not final yet.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be >= 0, got {max_retries}")
    download = download or _default_download()
    pending = list(dict.fromkeys(t.strip().upper() for t in tickers if t.strip()))
    expected = sorted(set(expected_sessions)) if expected_sessions is not None else (
        sessions_between(start, end)
    )
    if not pending or not expected:
        return PriceFetchResult(empty_bars(), {}, {}, requests=0, attempts=0)

    rounds = fetch_in_rounds(
        pending,
        lambda batch: _download_batch(download, batch, start, end, timeout),
        chunk_size=chunk_size,
        max_retries=max_retries,
        backoff_seconds=backoff_seconds,
        sleep=sleep,
    )
    collected = [outcome.bars for outcome in rounds.outcomes if len(outcome.bars)]
    bars = pd.concat(collected, ignore_index=True) if collected else empty_bars()
    bars = bars.sort_values(["ticker", "session_date"], kind="stable").reset_index(drop=True)
    missing, extra = _compare_with_calendar(bars, expected, start)
    return PriceFetchResult(
        bars=bars,
        failed=rounds.failed,
        missing_sessions=missing,
        requests=rounds.requests,
        attempts=rounds.attempts,
        extra_sessions=extra,
    )


def _compare_with_calendar(
    bars: pd.DataFrame, expected: list[date], start: date
) -> tuple[dict[str, list[date]], dict[str, list[date]]]:
    """Each ticker's bars against its own exchange's sessions: `expected` (XNYS) for US tickers;
    for a Hong Kong line or an FX pair, its calendar's sessions from `start` to the last expected
    XNYS session (so a session left out as not final is left out on every calendar)."""
    missing: dict[str, list[date]] = {}
    extra: dict[str, list[date]] = {}
    if not len(bars) or not expected:
        return missing, extra
    expected_of = {XNYS: set(expected)}
    for ticker, dates in bars.groupby("ticker")["session_date"]:
        exchange = exchange_of(str(ticker))
        if exchange not in expected_of:
            expected_of[exchange] = set(sessions_between(start, max(expected), exchange))
        expected_set = expected_of[exchange]
        got = set(dates)
        gap = sorted(expected_set - got)
        if gap:
            missing[str(ticker)] = gap
        outside = sorted(got - expected_set)
        if outside:
            extra[str(ticker)] = outside
    return missing, extra
