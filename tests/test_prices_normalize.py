"""normalize_download on frames produced by the real yfinance.download (network faked)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from assets.prices.normalize import AutoAdjustedFrameError, normalize_download, session_dates
from tests.support.yfinance_fakes import FakeYahoo, history_frame
from warehouse.archive import PRICE_COLUMNS

DOWNLOAD_KW = dict(
    start="2025-01-02", end="2025-01-08", auto_adjust=False, actions=True, progress=False,
    threads=False,
)
AAA = history_frame(
    ["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07"],
    [10.0, 11.0, 12.0, 13.0],
    adj_closes=[9.8, 10.8, 11.8, 13.0],
    volumes=[500, 600, 700, 800],
    dividends={"2025-01-07": 0.2},
)
# BBB did not trade on 2025-01-03: the multi-ticker frame has a NaN row for it there.
BBB = history_frame(["2025-01-02", "2025-01-06", "2025-01-07"], [50.0, 51.0, 52.0], fund=True)


def _expected_rows(ticker: str, history: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": ticker,
            "session_date": [ts.date() for ts in history.index],
            "open": history["Open"].to_numpy(),
            "high": history["High"].to_numpy(),
            "low": history["Low"].to_numpy(),
            "close": history["Close"].to_numpy(),
            "adj_close": history["Adj Close"].to_numpy(),
            "volume": history["Volume"].to_numpy(),
            "dividends": history["Dividends"].to_numpy(),
            "stock_splits": history["Stock Splits"].to_numpy(),
            "adj_close_source": "provider",
        }
    )


def _assert_bars_equal(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(actual.columns) == list(PRICE_COLUMNS)
    assert len(actual) == len(expected)
    for col in PRICE_COLUMNS:
        left = actual[col].tolist()
        right = expected[col].tolist()
        if col in ("ticker", "session_date", "adj_close_source"):
            assert left == right, col
        else:
            np.testing.assert_allclose(np.asarray(left, float), np.asarray(right, float),
                                       err_msg=col)


def test_many_tickers_with_a_failed_one_and_nan_rows():
    fake = FakeYahoo(script={"AAA": AAA, "BBB": BBB})  # CCC is unknown to Yahoo
    frame = fake.download(["AAA", "BBB", "CCC"], **DOWNLOAD_KW)
    # The shape yfinance really returns: (Price, Ticker) columns, CCC all-NaN, BBB NaN on 01-03.
    assert list(frame.columns.names) == ["Price", "Ticker"]
    assert frame[("Close", "CCC")].isna().all()
    assert ("Dividends", "CCC") not in frame.columns
    assert np.isnan(frame.loc["2025-01-03", ("Close", "BBB")])

    bars = normalize_download(frame, ["AAA", "BBB", "CCC"])

    expected = pd.concat([_expected_rows("AAA", AAA), _expected_rows("BBB", BBB)],
                         ignore_index=True)
    _assert_bars_equal(bars, expected)
    assert str(bars["volume"].dtype) == "Int64"
    assert bars.loc[bars["session_date"] == date(2025, 1, 7), "dividends"].tolist() == [0.2, 0.0]


def test_one_ticker_keeps_the_multiindex_and_normalizes():
    frame = FakeYahoo(script={"AAA": AAA}).download(["AAA"], **DOWNLOAD_KW)
    assert isinstance(frame.columns, pd.MultiIndex)
    _assert_bars_equal(normalize_download(frame, ["AAA"]), _expected_rows("AAA", AAA))


def test_flat_columns_for_one_ticker_are_accepted():
    frame = FakeYahoo(script={"AAA": AAA}).download(
        ["AAA"], multi_level_index=False, **DOWNLOAD_KW
    )
    assert not isinstance(frame.columns, pd.MultiIndex)
    _assert_bars_equal(normalize_download(frame, ["AAA"]), _expected_rows("AAA", AAA))


def test_a_failed_ticker_alone_gives_an_empty_frame():
    frame = FakeYahoo().download(["ZZZ"], **DOWNLOAD_KW)
    assert frame.empty and len(frame.columns) > 0
    bars = normalize_download(frame, ["ZZZ"])
    assert bars.empty
    assert list(bars.columns) == list(PRICE_COLUMNS)


def test_zone_aware_index_gives_the_same_session_dates():
    fake = FakeYahoo(script={"AAA": AAA, "BBB": BBB})
    naive = fake.download(["AAA", "BBB"], **DOWNLOAD_KW)
    aware = fake.download(["AAA", "BBB"], ignore_tz=False, **DOWNLOAD_KW)
    assert naive.index.tz is None and str(aware.index.tz) == "America/New_York"
    left = normalize_download(naive, ["AAA", "BBB"])
    right = normalize_download(aware, ["AAA", "BBB"])
    assert left["session_date"].tolist() == right["session_date"].tolist()


def test_session_dates_read_an_aware_index_in_new_york_not_in_its_own_zone():
    midnight_ny = pd.DatetimeIndex(["2025-01-02", "2025-01-03"]).tz_localize("America/New_York")
    # The same instants expressed in UTC (05:00) and Los Angeles (21:00 the day before).
    assert session_dates(midnight_ny.tz_convert("UTC")) == [date(2025, 1, 2), date(2025, 1, 3)]
    assert session_dates(midnight_ny.tz_convert("America/Los_Angeles")) == [
        date(2025, 1, 2), date(2025, 1, 3)
    ]


def test_intraday_stamps_are_refused():
    with pytest.raises(ValueError, match="not midnight"):
        session_dates(pd.DatetimeIndex(["2025-01-02 09:30"]))


def test_auto_adjusted_frame_is_refused():
    frame = FakeYahoo(script={"AAA": AAA}).download(
        ["AAA"], **{**DOWNLOAD_KW, "auto_adjust": True}
    )
    assert "Adj Close" not in frame.columns.get_level_values("Price")
    with pytest.raises(AutoAdjustedFrameError, match="auto_adjust=False"):
        normalize_download(frame, ["AAA"])


def test_auto_adjusted_frame_with_a_failed_peer_is_refused():
    # The failed peer's empty placeholder brings an 'Adj Close' column, all NaN.
    frame = FakeYahoo(script={"AAA": AAA}).download(
        ["AAA", "ZZZ"], **{**DOWNLOAD_KW, "auto_adjust": True}
    )
    assert "Adj Close" in frame.columns.get_level_values("Price")
    with pytest.raises(AutoAdjustedFrameError, match="AAA"):
        normalize_download(frame, ["AAA", "ZZZ"])


def test_tickers_that_were_not_requested_are_an_error():
    frame = FakeYahoo(script={"AAA": AAA, "BBB": BBB}).download(["AAA", "BBB"], **DOWNLOAD_KW)
    with pytest.raises(ValueError, match="not requested"):
        normalize_download(frame, ["AAA"])


def test_requested_spelling_is_kept():
    frame = FakeYahoo(script={"AAA": AAA}).download(["aaa"], **DOWNLOAD_KW)
    assert set(frame.columns.get_level_values("Ticker")) == {"AAA"}
    assert set(normalize_download(frame, ["aaa"])["ticker"]) == {"aaa"}
