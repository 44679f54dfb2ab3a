"""fetch_daily_bars against the real yfinance.download with a scripted, offline Yahoo."""

from __future__ import annotations

from datetime import date

import pytest

from assets.calendar import sessions_between
from assets.prices.fetch import RATE_LIMITED_REASON, UNREACHABLE_REASON, fetch_daily_bars
from tests.support.yfinance_fakes import (
    FakeYahoo,
    YFPricesMissingError,
    YFRateLimitError,
    history_frame,
)

START, END = date(2025, 1, 2), date(2025, 1, 10)
SESSIONS = sessions_between(START, END)  # 2025-01-09 was a holiday (national day of mourning)


def full(closes_from: float = 10.0, sessions=SESSIONS, **kw):
    return history_frame(sessions, [closes_from + i for i in range(len(sessions))], **kw)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fetch(fake: FakeYahoo, tickers, **kw):
    sleeps = Sleeps()
    kw.setdefault("sleep", sleeps)
    result = fetch_daily_bars(tickers, START, END, download=fake.download, **kw)
    return result, sleeps


def test_end_is_inclusive_and_call_options_are_passed():
    fake = FakeYahoo(script={"AAA": full()})
    result, sleeps = fetch(fake, ["AAA"], timeout=7.5)
    assert result.failed == {}
    assert sorted(result.bars["session_date"]) == SESSIONS  # the bar on END is there
    kwargs = fake.call_kwargs[0]
    assert kwargs["end"] == "2025-01-11" and kwargs["start"] == "2025-01-02"
    assert kwargs["auto_adjust"] is False and kwargs["actions"] is True
    assert kwargs["progress"] is False
    assert fake.history_kwargs[0]["timeout"] == 7.5
    assert (result.requests, result.attempts, sleeps) == (1, 1, [])


def test_batches_of_chunk_size():
    tickers = ["A1", "A2", "A3", "A4", "A5"]
    fake = FakeYahoo(script={t: full(10 + i) for i, t in enumerate(tickers)})
    result, _ = fetch(fake, tickers, chunk_size=2)
    assert [len(c) for c in fake.calls] == [2, 2, 1]
    assert sorted({t for c in fake.calls for t in c}) == tickers
    assert result.succeeded == tickers
    assert len(result.bars) == len(tickers) * len(SESSIONS)


def test_only_failed_tickers_are_retried_with_backoff_until_the_budget_ends():
    fake = FakeYahoo(script={
        "AAA": full(),
        "BBB": full(50),
        "DEAD": YFPricesMissingError("DEAD", " (1d 2025-01-02 -> 2025-01-11)"),
    })
    result, sleeps = fetch(fake, ["AAA", "BBB", "DEAD"], max_retries=3, backoff_seconds=2.0)
    assert sleeps == [2.0, 4.0, 8.0]
    assert fake.calls[1:] == [["DEAD"], ["DEAD"], ["DEAD"]]
    assert (result.requests, result.attempts) == (4, 4)
    assert list(result.failed) == ["DEAD"]
    assert "no price data found" in result.failed["DEAD"]
    assert result.succeeded == ["AAA", "BBB"]


def test_rate_limited_ticker_recovers_on_retry():
    # yfinance 1.7 catches YFRateLimitError per ticker and only logs it: the frame is all-NaN.
    fake = FakeYahoo(script={"AAA": full(), "BBB": [YFRateLimitError(), full(50)]})
    result, sleeps = fetch(fake, ["AAA", "BBB"])
    assert sleeps == [2.0]
    assert fake.calls == [["AAA", "BBB"], ["BBB"]]
    assert result.failed == {} and result.succeeded == ["AAA", "BBB"]


def test_rate_limit_raised_by_the_download_call_backs_off_too():
    fake = FakeYahoo(script={"AAA": full()}, batch_errors={0: YFRateLimitError()})
    result, sleeps = fetch(fake, ["AAA"], backoff_seconds=0.5)
    assert sleeps == [0.5]
    assert result.failed == {} and len(result.bars) == len(SESSIONS)


def test_persistent_rate_limit_spends_the_whole_budget_and_says_so():
    fake = FakeYahoo(script={"AAA": YFRateLimitError(), "BBB": YFRateLimitError()})
    result, sleeps = fetch(fake, ["AAA", "BBB"], max_retries=2)
    assert sleeps == [2.0, 4.0]
    assert result.failed == {"AAA": RATE_LIMITED_REASON, "BBB": RATE_LIMITED_REASON}


def test_an_exception_in_one_batch_does_not_stop_the_others():
    fake = FakeYahoo(script={"AAA": full(), "BBB": full(50)},
                     batch_errors={0: RuntimeError("socket closed mid-response")})
    result, sleeps = fetch(fake, ["AAA", "BBB"], chunk_size=1, max_retries=0)
    assert result.succeeded == ["BBB"]
    assert result.failed == {"AAA": "RuntimeError: socket closed mid-response"}
    assert sleeps == []


def test_offline_fails_fast_with_a_clear_reason():
    # Offline, yfinance's first request of each ticker fails and the frame comes back empty.
    offline = ConnectionError("Failed to perform, curl: (6) Could not resolve host: "
                              "query1.finance.yahoo.com")
    tickers = ["AAA", "BBB", "CCC"]
    fake = FakeYahoo(script=dict.fromkeys(tickers, offline))
    result, sleeps = fetch(fake, tickers, chunk_size=2, max_retries=5)
    assert result.attempts == 2 and sleeps == [2.0]  # one confirming retry, not five
    assert result.requests == 4
    assert sorted(result.failed) == tickers
    for reason in result.failed.values():
        assert reason.startswith(UNREACHABLE_REASON)
        assert "Could not resolve host" in reason
    assert result.bars.empty


def test_gaps_are_reported_not_retried():
    gappy = [d for d in SESSIONS if d != date(2025, 1, 6)]
    fake = FakeYahoo(script={"AAA": full(), "GAP": full(sessions=gappy)})
    result, sleeps = fetch(fake, ["AAA", "GAP"])
    assert result.missing_sessions == {"GAP": [date(2025, 1, 6)]}
    assert result.failed == {} and result.requests == 1 and sleeps == []


def test_rows_on_non_sessions_are_kept_and_reported():
    with_holiday = sorted([*SESSIONS, date(2025, 1, 9)])
    fake = FakeYahoo(script={"AAA": full(sessions=with_holiday)})
    result, _ = fetch(fake, ["AAA"])
    assert result.extra_sessions == {"AAA": [date(2025, 1, 9)]}
    assert date(2025, 1, 9) in set(result.bars["session_date"])


def test_expected_sessions_can_be_given():
    fake = FakeYahoo(script={"AAA": full()})
    result = fetch_daily_bars(["AAA"], START, END, download=fake.download,
                              expected_sessions=[*SESSIONS, date(2025, 1, 13)], sleep=Sleeps())
    assert result.missing_sessions == {"AAA": [date(2025, 1, 13)]}


def test_no_session_in_range_means_no_request():
    fake = FakeYahoo(script={"AAA": full()})
    result = fetch_daily_bars(["AAA"], date(2025, 1, 4), date(2025, 1, 5),
                              download=fake.download, sleep=Sleeps())
    assert result.requests == 0 and fake.calls == [] and result.bars.empty


def test_end_before_start_is_refused():
    with pytest.raises(ValueError, match="before start"):
        fetch_daily_bars(["AAA"], END, START, download=FakeYahoo().download)
