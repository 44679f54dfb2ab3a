"""Analyst actions and valuation snapshots from Yahoo's quote endpoints, fakes to raw tables.

Everything real but Yahoo's network: tests/support/yfinance_fakes.FakeYahooQuotes answers behind
real yfinance.Ticker objects, so the frames and dicts under test are the ones yfinance 1.7 builds.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from assets.analysts.fetch import ANALYST_ENDPOINT, INFO_ENDPOINT, fetch_quote_endpoint
from assets.analysts.live import fetch_snapshot, replay_snapshots
from assets.sample_home import SyntheticHomeError
from tests.support.yfinance_fakes import FakeYahooQuotes, YFRateLimitError, analyst_action
from warehouse.archive import ArchiveReplayError, scan_snapshot_fetches
from warehouse.schema import create_raw_schema
from warehouse.snapshots import clean_valuation_fields

LOG = logging.getLogger("test_analysts")
SESSION = date(2025, 2, 21)

BABA_ACTIONS = [
    analyst_action(
        "2025-02-21T13:05:00Z", "Jefferies", to_grade="Buy", from_grade="Buy", action="main",
        price_target_action="Raises", current_target=150.0, prior_target=130.0,
    ),
    analyst_action(
        "2025-02-20T21:30:00Z", "Citigroup", to_grade="Buy", from_grade="Neutral", action="up",
        price_target_action="Raises", current_target=140.0, prior_target=110.0,
    ),
]
JD_ACTIONS = [
    analyst_action(
        "2025-02-19T12:00:00Z", "Morgan Stanley", to_grade="Underweight",
        from_grade="Equal-Weight", action="down", price_target_action="Lowers",
        current_target=30.0, prior_target=40.0,
    ),
]
BABA_INFO = {
    "marketCap": 300_000_000_000, "trailingPE": 18.5, "forwardPE": 12.0,
    "priceToSalesTrailing12Months": 2.1, "priceToBook": 1.9, "enterpriseToEbitda": 9.5,
    "dividendYield": 0.8, "targetMeanPrice": 160.0, "recommendationMean": 1.8,
    "numberOfAnalystOpinions": 40, "currency": "USD",
}


class Quotes:
    """The QuoteSource a live run uses, over a fake, with no back-off sleeps."""

    def __init__(self, fake: FakeYahooQuotes, max_retries: int = 2) -> None:
        self.fake = fake
        self.max_retries = max_retries

    def fetch_quotes(self, tickers: list[str], endpoint: str):
        return fetch_quote_endpoint(
            tickers, endpoint, ticker_factory=self.fake.ticker,
            max_retries=self.max_retries, backoff_seconds=0.0, sleep=lambda _: None,
        )


@pytest.fixture
def con():
    connection = duckdb.connect()
    create_raw_schema(connection)
    yield connection
    connection.close()


def test_the_fake_frame_is_shaped_like_yfinance_17():
    frame = FakeYahooQuotes(actions={"BABA": BABA_ACTIONS}).ticker("BABA").upgrades_downgrades
    assert frame.index.name == "GradeDate"
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.tz is None  # naive UTC
    assert list(frame.columns) == [
        "Firm", "ToGrade", "FromGrade", "Action", "priceTargetAction",
        "currentPriceTarget", "priorPriceTarget",
    ]
    assert frame["currentPriceTarget"].dtype == "float64"
    assert frame.index[0] == pd.Timestamp("2025-02-21 13:05:00")


def test_one_ticker_failing_leaves_the_others_loaded(con, tmp_path: Path):
    fake = FakeYahooQuotes(
        actions={
            "BABA": BABA_ACTIONS,
            "JD": [YFRateLimitError(), JD_ACTIONS],  # rate limited once, then answers
            "PDD": ConnectionError("connection reset by peer"),  # every time
        }
    )
    outcome = fetch_snapshot(
        con, tmp_path, "analyst", Quotes(fake), ["BABA", "JD", "PDD"], SESSION, LOG
    )
    assert outcome.fetched == ["BABA", "JD"]
    assert list(outcome.failed) == ["PDD"] and "connection reset" in outcome.failed["PDD"]
    assert fake.requests_for("PDD", ANALYST_ENDPOINT) == 3  # 1 + max_retries, then given up
    assert fake.requests_for("JD", ANALYST_ENDPOINT) == 2
    rows = con.execute(
        "select ticker, firm, action, current_price_target, prior_price_target, "
        "strftime(graded_at at time zone 'UTC', '%Y-%m-%d %H:%M') "
        "from raw.analyst_actions order by ticker, graded_at"
    ).fetchall()
    assert rows == [
        ("BABA", "Citigroup", "up", 140.0, 110.0, "2025-02-20 21:30"),
        ("BABA", "Jefferies", "main", 150.0, 130.0, "2025-02-21 13:05"),
        ("JD", "Morgan Stanley", "down", 30.0, 40.0, "2025-02-19 12:00"),
    ]
    [manifest], problems = scan_snapshot_fetches(tmp_path, "analyst")
    assert not problems
    assert manifest.failed_tickers == ["PDD"] and manifest.rows == 3
    assert manifest.session_date == SESSION.isoformat()


def test_a_ticker_without_analyst_history_is_no_failure(con, tmp_path: Path):
    fake = FakeYahooQuotes(actions={"BABA": BABA_ACTIONS, "NIO": []})
    outcome = fetch_snapshot(con, tmp_path, "analyst", Quotes(fake), ["BABA", "NIO"], SESSION, LOG)
    assert outcome.failed == {} and outcome.fetched == ["BABA", "NIO"]
    assert fake.requests_for("NIO", ANALYST_ENDPOINT) == 1


def test_yahoo_unreachable_gives_up_early_and_archives_nothing(con, tmp_path: Path):
    fake = FakeYahooQuotes(actions={t: ConnectionError("no route") for t in ("BABA", "JD")})
    outcome = fetch_snapshot(
        con, tmp_path, "analyst", Quotes(fake, max_retries=5), ["BABA", "JD"], SESSION, LOG
    )
    assert set(outcome.failed) == {"BABA", "JD"}
    assert "could not reach Yahoo Finance" in outcome.failed["BABA"]
    assert fake.requests_for("BABA", ANALYST_ENDPOINT) == 2  # one confirming retry, not six
    assert scan_snapshot_fetches(tmp_path, "analyst") == ([], [])


def test_reloads_and_refetches_are_idempotent(con, tmp_path: Path):
    fake = FakeYahooQuotes(actions={"BABA": BABA_ACTIONS}, info={"BABA": BABA_INFO})
    for _ in range(2):  # Yahoo sends the whole history again: the natural key keeps one row each
        fetch_snapshot(con, tmp_path, "analyst", Quotes(fake), ["BABA"], SESSION, LOG)
        fetch_snapshot(con, tmp_path, "valuation", Quotes(fake), ["BABA"], SESSION, LOG)
    counts = "select (select count(*) from raw.analyst_actions), " \
        "(select count(*) from raw.valuation_snapshots), (select count(*) from raw.analyst_fetches)"
    assert con.execute(counts).fetchall() == [(2, 1, 2)]
    for kind in ("analyst", "valuation"):  # loading the archive again changes nothing
        replay = replay_snapshots(con, tmp_path, kind, rebuild=False, log=LOG)
        assert len(replay.loaded) == 2
    assert con.execute(counts).fetchall() == [(2, 1, 2)]
    # A rebuild replays both fetches into fresh tables: the same rows.
    before = con.execute("select * from raw.analyst_actions order by all").fetchall()
    for kind in ("analyst", "valuation"):
        replay_snapshots(con, tmp_path, kind, rebuild=True, log=LOG)
    assert con.execute("select * from raw.analyst_actions order by all").fetchall() == before
    assert con.execute(counts).fetchall() == [(2, 1, 2)]


def test_valuation_fields_are_loaded_and_nonsense_becomes_null(con, tmp_path: Path):
    odd = {
        **BABA_INFO,
        "trailingPE": -4.2,  # a loss-maker: Yahoo sends a negative P/E
        "forwardPE": "Infinity",
        "priceToBook": float("nan"),
        "enterpriseToEbitda": "12.5",
        "recommendationMean": 7.0,
        "numberOfAnalystOpinions": True,
    }
    del odd["dividendYield"]  # no dividend: NULL, and not reported (Yahoo omits it then)
    del odd["marketCap"]
    fake = FakeYahooQuotes(info={"BABA": BABA_INFO, "NIO": odd, "PDD": ConnectionError("reset")})
    outcome = fetch_snapshot(
        con, tmp_path, "valuation", Quotes(fake), ["BABA", "NIO", "PDD"], SESSION, LOG
    )
    assert list(outcome.failed) == ["PDD"]
    rows = con.execute(
        "select ticker, session_date, market_cap, trailing_pe, forward_pe, price_to_sales, "
        "price_to_book, ev_to_ebitda, dividend_yield, target_mean_price, recommendation_mean, "
        "analyst_count, invalid_fields from raw.valuation_snapshots order by ticker"
    ).fetchall()
    assert rows[0] == (
        "BABA", SESSION, 3e11, 18.5, 12.0, 2.1, 1.9, 9.5, 0.8, 160.0, 1.8, 40, [],
    )
    nio = rows[1]
    assert nio[:3] == ("NIO", SESSION, None)
    assert nio[3:12] == (None, None, 2.1, None, None, None, 160.0, None, None)
    assert nio[12] == [
        "marketCap: missing",
        "trailingPE: -4.2 is not positive (undefined)",
        "forwardPE: 'Infinity' is not a number",
        "priceToBook: nan is not a finite number",
        "enterpriseToEbitda: '12.5' is not a number",
        "recommendationMean: 7.0 is outside 1..5",
        "numberOfAnalystOpinions: True is not a number",
    ]


def test_clean_valuation_fields_says_why():
    values, problems = clean_valuation_fields({"forwardPE": "Infinity", "trailingPE": 0})
    assert values["forward_pe"] is None and values["trailing_pe"] is None
    assert "forwardPE: 'Infinity' is not a number" in problems
    assert "trailingPE: 0 is not positive (undefined)" in problems
    assert "marketCap: missing" in problems
    # An ETF's info has no valuation field at all: nothing to value, nothing reported missing.
    values, problems = clean_valuation_fields({"symbol": "SPY", "quoteType": "ETF"})
    assert problems == [] and set(values.values()) == {None}


def test_an_altered_archive_file_is_refused_by_name(con, tmp_path: Path):
    fake = FakeYahooQuotes(info={"BABA": BABA_INFO})
    outcome = fetch_snapshot(con, tmp_path, "valuation", Quotes(fake), ["BABA"], SESSION, LOG)
    assert outcome.manifest is not None
    data = tmp_path / outcome.manifest.data_file
    data.write_bytes(data.read_bytes().replace(b"18.5", b"99.5"))
    with pytest.raises(ArchiveReplayError) as failure:
        replay_snapshots(con, tmp_path, "valuation", rebuild=True, log=LOG)
    assert outcome.manifest.data_file in str(failure.value)
    assert con.execute("select trailing_pe from raw.valuation_snapshots").fetchall() == [(18.5,)]


def test_info_endpoint_retries_like_prices(con, tmp_path: Path):
    fake = FakeYahooQuotes(info={"BABA": [YFRateLimitError(), BABA_INFO]})
    result = fetch_quote_endpoint(
        ["BABA"], INFO_ENDPOINT, ticker_factory=fake.ticker, max_retries=1,
        backoff_seconds=0.0, sleep=lambda _: None,
    )
    assert result.failed == {} and result.answers["BABA"]["forwardPE"] == 12.0
    assert result.attempts == 2


def test_real_snapshots_are_not_loaded_into_a_sample_home(con, tmp_path: Path):
    fake = FakeYahooQuotes(actions={"BABA": BABA_ACTIONS})
    fetch_snapshot(con, tmp_path, "analyst", Quotes(fake), ["BABA"], SESSION, LOG)
    sample = duckdb.connect()
    create_raw_schema(sample)
    sample.execute(
        "insert into raw.price_fetches (fetch_id, source, fetched_at, archive_path, row_count, "
        "synthetic) values ('s1', 'sample', now(), 'prices/s1.json', 0, true)"
    )
    with pytest.raises(SyntheticHomeError, match="SYNTHETIC demo sample"):
        replay_snapshots(sample, tmp_path, "analyst", rebuild=False, log=LOG, home="/h")
    assert sample.execute("select count(*) from raw.analyst_actions").fetchall() == [(0,)]
    sample.close()


def test_a_ticker_listed_twice_is_asked_once_and_stored_once(con, tmp_path: Path):
    # A user's universe that lists BABA twice, once in lower case with a space: the fetch asks
    # Yahoo once, so the valuation rows, upserted in one statement (warehouse/rows.py), never
    # carry one key twice.
    asked = {**BABA_INFO, "trailingPE": 21.0}
    fake = FakeYahooQuotes(info={"BABA": BABA_INFO, "baba": asked})
    fetch_snapshot(con, tmp_path, "valuation", Quotes(fake), ["baba ", "BABA"], SESSION, LOG)
    assert [symbol for symbol, _ in fake.requests] == ["BABA"]
    assert con.execute(
        "select ticker, trailing_pe from raw.valuation_snapshots"
    ).fetchall() == [("BABA", 18.5)]
