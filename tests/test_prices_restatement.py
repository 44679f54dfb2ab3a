"""Restatement of Yahoo's adjusted history after a dividend, and the re-fetch plan."""

from __future__ import annotations

from datetime import date

from assets.calendar import sessions_between
from assets.prices.fetch import fetch_daily_bars
from assets.prices.restatement import (
    compare_adjusted_close,
    detect_restated_tickers,
    plan_restatement_refetch,
)
from tests.support.yfinance_fakes import FakeYahoo, history_frame

SESSIONS = sessions_between(date(2025, 1, 2), date(2025, 1, 17))
CLOSES = [100.0 + i for i in range(len(SESSIONS))]


def _fetch(fake: FakeYahoo, tickers, start, end):
    return fetch_daily_bars(tickers, start, end, download=fake.download, sleep=lambda s: None).bars


def test_a_new_dividend_restates_only_that_ticker():
    before = FakeYahoo(script={
        "DIV": history_frame(SESSIONS, CLOSES),
        "FLAT": history_frame(SESSIONS, CLOSES),
    })
    stored = _fetch(before, ["DIV", "FLAT"], SESSIONS[0], SESSIONS[-1])

    # DIV goes ex-dividend on the last session: Yahoo scales every earlier adjusted close.
    factor = 1 - 2.0 / CLOSES[-2]
    restated_adj = [c * factor for c in CLOSES[:-1]] + [CLOSES[-1]]
    after = FakeYahoo(script={
        "DIV": history_frame(SESSIONS, CLOSES, adj_closes=restated_adj,
                             dividends={str(SESSIONS[-1]): 2.0}),
        "FLAT": history_frame(SESSIONS, CLOSES),
    })
    recent = _fetch(after, ["DIV", "FLAT"], SESSIONS[-5], SESSIONS[-1])

    assert detect_restated_tickers(stored, recent) == ["DIV"]
    diffs = compare_adjusted_close(stored, recent)
    assert sorted(diffs["session_date"]) == SESSIONS[-5:-1]  # the ex-date itself is unchanged

    plan = plan_restatement_refetch(["DIV"], stored, history_start=date(2025, 1, 6),
                                    end=SESSIONS[-1])
    assert plan is not None
    assert plan.replaces_history_of == ["DIV"]
    assert plan.start == SESSIONS[0]  # covers every stored row it will delete


def test_differences_within_tolerance_and_non_provider_rows_are_ignored():
    stored = _fetch(FakeYahoo(script={"AAA": history_frame(SESSIONS, CLOSES)}),
                    ["AAA"], SESSIONS[0], SESSIONS[-1])
    noisy = stored.copy()
    noisy["adj_close"] = noisy["adj_close"] * (1 + 1e-9)
    assert detect_restated_tickers(stored, noisy) == []
    assert detect_restated_tickers(stored, noisy, rel_tol=1e-12) == ["AAA"]

    imported = stored.copy()
    imported["adj_close_source"] = "close"
    moved = stored.copy()
    moved["adj_close"] = moved["adj_close"] * 0.9
    assert detect_restated_tickers(imported, moved) == []


def test_no_overlap_means_no_restatement():
    stored = _fetch(FakeYahoo(script={"AAA": history_frame(SESSIONS, CLOSES)}),
                    ["AAA"], SESSIONS[0], SESSIONS[4])
    later = _fetch(FakeYahoo(script={"AAA": history_frame(SESSIONS, [c * 2 for c in CLOSES])}),
                   ["AAA"], SESSIONS[5], SESSIONS[-1])
    assert detect_restated_tickers(stored, later) == []
    assert plan_restatement_refetch([], stored, history_start=SESSIONS[0], end=SESSIONS[-1]) is None
