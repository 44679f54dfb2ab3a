"""The bundled SYNTHETIC sample archive: reproducible, each ticker on its exchange's calendar (XNYS,
XHKG for the Hong Kong lines, weekdays for HKD=X), with known shocks on both lines."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from pathlib import Path

import feedparser
import numpy as np
import pandas as pd
import pytest

from assets.calendar import FX, XHKG, XNYS, day_zero, exchange_of, sessions_between
from assets.dual_listings import read_dual_listings
from assets.universe import read_universe
from orchestration.tools.sample_data.generate import SHOCKS_FILE, generate, main
from orchestration.tools.sample_data.locations import (
    DEFAULT_ARCHIVE_DIR,
    DEFAULT_EVENT_CATALOG_PATH,
    DEFAULT_FEEDS_PATH,
    DEFAULT_UNIVERSE_PATH,
)
from orchestration.tools.sample_data.shocks import SAMPLE_END, SAMPLE_START, injected_shocks
from warehouse.archive import (
    PRICE_COLUMNS,
    list_news_fetches,
    list_price_fetches,
    read_news_body,
)

ARCHIVE = DEFAULT_ARCHIVE_DIR


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("sample")
    generate(out / "archive", out / "feeds.csv")
    return out / "archive", out / "feeds.csv"


@pytest.fixture(scope="module")
def fetch_frames() -> list[tuple[object, pd.DataFrame]]:
    out = []
    for manifest in list_price_fetches(ARCHIVE):
        frame = pd.read_csv(ARCHIVE / manifest.data_file, parse_dates=["session_date"])
        frame["session_date"] = frame["session_date"].dt.date
        out.append((manifest, frame))
    return out


@pytest.fixture(scope="module")
def bars(fetch_frames: list[tuple[object, pd.DataFrame]]) -> pd.DataFrame:
    combined = pd.concat([frame for _, frame in fetch_frames], ignore_index=True)
    return combined.drop_duplicates().sort_values(["ticker", "session_date"], ignore_index=True)


@pytest.fixture(scope="module")
def returns(bars: pd.DataFrame) -> pd.DataFrame:
    """Daily returns of the tickers on XNYS, one row per XNYS session."""
    us = bars[bars["ticker"].map(exchange_of) == XNYS]
    adj = us.pivot(index="session_date", columns="ticker", values="adj_close").sort_index()
    return adj / adj.shift(1) - 1.0


@pytest.fixture(scope="module")
def news() -> list[tuple[object, feedparser.FeedParserDict | None]]:
    out = []
    for manifest in list_news_fetches(ARCHIVE):
        body = read_news_body(ARCHIVE, manifest)
        out.append((manifest, feedparser.parse(body) if body is not None else None))
    return out


# --- reproducibility -----------------------------------------------------------------------------


def test_regenerating_gives_the_committed_archive_byte_for_byte(regenerated: tuple[Path, Path]):
    archive, feeds = regenerated
    committed = _files(ARCHIVE)
    fresh = _files(archive)
    assert sorted(fresh) == sorted(committed)
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert changed == []
    assert feeds.read_bytes() == DEFAULT_FEEDS_PATH.read_bytes()


def test_regenerating_replaces_stale_fetches(tmp_path: Path):
    stale = tmp_path / "archive" / "prices" / "1999" / "01" / "stale.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    generate(tmp_path / "archive", tmp_path / "feeds.csv")
    assert not stale.exists()
    assert len(list_price_fetches(tmp_path / "archive")) == len(list_price_fetches(ARCHIVE))


def test_cli_help_exits_cleanly(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "--out" in capsys.readouterr().out


def test_archive_is_labelled_synthetic():
    assert "SYNTHETIC" in (ARCHIVE / "README.md").read_text()
    assert "SYNTHETIC" in (ARCHIVE.parent / "README.md").read_text()
    assert all(m.synthetic and "SYNTHETIC" in m.note for m in list_price_fetches(ARCHIVE))
    assert all(m.synthetic for m in list_news_fetches(ARCHIVE))


# --- prices --------------------------------------------------------------------------------------


def test_every_ticker_has_exactly_its_exchanges_sessions(bars: pd.DataFrame):
    sessions = sessions_between(SAMPLE_START, SAMPLE_END)
    tickers = {m.ticker for m in read_universe(DEFAULT_UNIVERSE_PATH)}
    home = {item.home_ticker for item in read_dual_listings() if item.adr_ticker in tickers}
    assert set(bars["ticker"]) == tickers | home | {"HKD=X", "2800.HK"}
    for ticker, dates in bars.groupby("ticker")["session_date"]:
        exchange = exchange_of(ticker)
        if exchange == XNYS:
            assert list(dates) == sessions, ticker
        elif exchange == FX:
            assert list(dates) == sessions_between(SAMPLE_START, SAMPLE_END, FX), ticker
        else:  # a home line starts after the first US close it follows
            assert list(dates) == sessions_between(sessions[1], SAMPLE_END, XHKG), ticker
    us_dates = set(bars.loc[bars["ticker"].map(exchange_of) == XNYS, "session_date"])
    assert date(2025, 1, 9) not in us_dates  # national day of mourning
    assert date(2025, 2, 17) not in us_dates  # Presidents Day
    hk_dates = set(bars.loc[bars["ticker"] == "9988.HK", "session_date"])
    assert date(2025, 2, 17) in hk_dates and date(2025, 1, 29) not in hk_dates  # Lunar New Year
    assert all(d.weekday() < 5 for d in set(bars["session_date"]))


def test_each_line_reacts_to_an_event_on_its_own_day_zero(bars: pd.DataFrame):
    """The Xi symposium (10:00 Beijing, Monday 2025-02-17, a US holiday) moves 9988.HK that day
    and BABA the next US session; Alibaba's results (06:30 New York, 02-20) move BABA that day
    and 9988.HK the next Hong Kong session."""
    close = bars.pivot(index="session_date", columns="ticker", values="close")

    def move(ticker: str, day: date, exchange: str) -> float:
        series = close[ticker].dropna()
        i = list(series.index).index(day)
        return float(series.iloc[i] / series.iloc[i - 1] - 1)

    symposium = datetime.fromisoformat("2025-02-17T10:00:00+08:00")
    assert day_zero(symposium, XHKG) == date(2025, 2, 17)
    assert move("9988.HK", date(2025, 2, 17), XHKG) > 0.04
    assert move("BABA", date(2025, 2, 18), XNYS) > 0.03
    results = datetime.fromisoformat("2025-02-20T06:30:00-05:00")
    assert day_zero(results, XHKG) == date(2025, 2, 21)
    assert move("BABA", date(2025, 2, 20), XNYS) > 0.05
    assert abs(move("9988.HK", date(2025, 2, 20), XHKG)) < 0.03
    assert move("9988.HK", date(2025, 2, 21), XHKG) > 0.05


def test_fetches_overlap_with_identical_rows(fetch_frames: list[tuple[object, pd.DataFrame]]):
    assert len(fetch_frames) > 5
    combined = pd.concat([frame for _, frame in fetch_frames], ignore_index=True)
    repeated = combined.duplicated(["ticker", "session_date"], keep=False)
    assert repeated.sum() > 0  # the daily lookback re-fetches earlier sessions
    # Every re-fetched (ticker, session) carries the same values each time.
    distinct = combined[repeated].drop_duplicates()
    assert not distinct.duplicated(["ticker", "session_date"]).any()
    for manifest, frame in fetch_frames:
        assert tuple(frame.columns) == PRICE_COLUMNS
        assert manifest.rows == len(frame)
        assert not set(frame["ticker"]) & set(manifest.failed_tickers)
        assert frame["session_date"].min() >= date.fromisoformat(manifest.start)
        assert frame["session_date"].max() <= date.fromisoformat(manifest.end)


def test_bars_are_internally_consistent(bars: pd.DataFrame):
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] > 0).all()
    fx = bars["ticker"].map(exchange_of) == FX
    assert pd.api.types.is_integer_dtype(bars["volume"]) and (bars.loc[~fx, "volume"] > 0).all()
    assert (bars.loc[fx, "volume"] == 0).all()  # Yahoo reports no volume for currencies
    assert (bars["stock_splits"] == 0).all()
    assert (bars["adj_close_source"] == "provider").all()
    assert (bars["close"].round(4) == bars["close"]).all()


def test_adj_close_is_close_times_the_back_adjustment_factor(bars: pd.DataFrame):
    payers = sorted(bars.loc[bars["dividends"] > 0, "ticker"].unique())
    assert len(payers) >= 2
    assert (bars["dividends"] > 0).sum() <= 4 * 5 * len(payers)  # quarterly at most
    for ticker, frame in bars.groupby("ticker"):
        close = frame["close"].to_numpy()
        dividend = frame["dividends"].to_numpy()
        # Each ex-date scales every earlier row by 1 - D / (previous close).
        step = np.ones(len(close))
        step[1:] = 1.0 - dividend[1:] / close[:-1]
        factor = np.append(np.cumprod(step[::-1])[::-1][1:], 1.0)
        np.testing.assert_allclose(frame["adj_close"], close * factor, rtol=1e-9, err_msg=ticker)
        if ticker not in payers:
            assert (frame["adj_close"] == frame["close"]).all()


def test_returns_are_correlated_within_blocs_more_than_across(returns: pd.DataFrame):
    members = read_universe(DEFAULT_UNIVERSE_PATH)
    china = [m.ticker for m in members if m.group_name in ("china_adr", "china_otc", "china_etf")]
    megacap = [m.ticker for m in members if m.group_name == "us_megacap"]
    corr = returns.corr()

    def mean_corr(a: list[str], b: list[str]) -> float:
        return float(np.mean([corr.loc[x, y] for x in a for y in b if x != y]))

    within = min(mean_corr(china, china), mean_corr(megacap, megacap))
    across = mean_corr(china, megacap)
    assert within > across + 0.25, (within, across)


def test_daily_volatility_is_plausible(returns: pd.DataFrame):
    vol = returns.std()
    assert 0.006 < vol["SPY"] < 0.013
    assert all(0.010 < vol[t] < 0.035 for t in ("AAPL", "MSFT", "GOOGL", "AMZN", "META"))
    assert all(0.018 < vol[t] < 0.055 for t in ("BABA", "JD", "PDD", "NIO", "XPEV", "BYDDY"))


# --- injected shocks -----------------------------------------------------------------------------


def test_shocks_file_matches_the_injected_truth():
    table = pd.read_csv(ARCHIVE / SHOCKS_FILE, parse_dates=["session_date"])
    assert list(table.columns) == ["event_id", "ticker", "session_date", "abnormal_return"]
    truth = injected_shocks()
    assert len(table) == len(truth) > 0
    for row, shock in zip(table.itertuples(), truth, strict=True):
        assert (row.event_id, row.ticker, row.session_date.date()) == (
            shock.event_id,
            shock.ticker,
            shock.session_date,
        )
        assert row.abnormal_return == pytest.approx(shock.abnormal_return, abs=1e-6)


def test_shocks_follow_the_catalog_day_zero_and_scope():
    truth = {(s.event_id, s.ticker): s for s in injected_shocks()}
    assert not any(t == "SPY" for _, t in truth)
    assert not any(e in ("ant_ipo_halt", "antitrust_fine") for e, _ in truth)  # before the sample
    # Presidents Day: the Sunday-evening (ET) symposium is traded on Tuesday.
    assert truth[("xi_symposium", "BABA")].session_date == date(2025, 2, 18)
    # MLK Day: R1 released on a holiday is traded on Tuesday.
    assert truth[("deepseek_r1_release", "NVDA")].session_date == date(2025, 1, 21)
    # Announced on a Friday evening ET: traded on Monday.
    assert truth[("us_investment_memo", "JD")].session_date == date(2025, 2, 24)
    assert truth[("deepseek_shock", "NVDA")].abnormal_return < -0.10
    assert truth[("baba_fq3_earnings", "BABA")].abnormal_return > 0.05
    adrs = [m.ticker for m in read_universe(DEFAULT_UNIVERSE_PATH) if m.group_name == "china_adr"]
    assert {t for e, t in truth if e == "us_investment_memo"} >= set(adrs) | {"BYDDY"}


def test_a_market_model_recovers_every_injected_shock(returns: pd.DataFrame):
    sessions = list(returns.index)
    expected: dict[tuple[str, date], float] = {}
    for shock in injected_shocks():
        key = (shock.ticker, shock.session_date)
        expected[key] = expected.get(key, 0.0) + shock.abnormal_return
    assert len(expected) > 50
    errors = []
    for (ticker, day), size in expected.items():
        i = sessions.index(day)
        window = returns.iloc[i - 250 : i - 10]  # estimation window [-250, -11]
        assert window[[ticker, "SPY"]].notna().all().all()
        beta, alpha = np.polyfit(window["SPY"], window[ticker], 1)
        abnormal = returns.iloc[i][ticker] - (alpha + beta * returns.iloc[i]["SPY"])
        errors.append(abs(abnormal - size))
        assert abnormal == pytest.approx(size, abs=0.01), (ticker, day)
    assert float(np.median(errors)) < 0.004


def test_events_in_the_sample_need_shock_sizes(tmp_path: Path):
    catalog = tmp_path / "events.csv"
    text = DEFAULT_EVENT_CATALOG_PATH.read_text()
    catalog.write_text(text + "new_event,New,,2025-03-10,America/New_York,BABA,test,false\n")
    with pytest.raises(ValueError, match="new_event"):
        injected_shocks(DEFAULT_UNIVERSE_PATH, catalog)


# --- news ----------------------------------------------------------------------------------------


def _entry_time(entry: feedparser.FeedParserDict) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


def test_feed_bodies_parse_in_all_three_formats(news):
    parsed = [(m, d) for m, d in news if d is not None]
    assert {d.version for _, d in parsed} == {"rss20", "atom10", "rss10"}
    for manifest, doc in parsed:
        assert manifest.http_status == 200
        assert not doc.bozo, manifest.body_file
        assert doc.entries, manifest.body_file


def test_failed_and_not_modified_fetches_are_archived_without_body(news):
    by_status = {}
    for manifest, doc in news:
        by_status.setdefault(manifest.http_status, []).append(manifest)
        if manifest.http_status != 200:
            assert doc is None and manifest.body_file is None
    assert by_status[500][0].error
    assert by_status[None][0].error  # transport failure: no HTTP status at all
    not_modified = by_status[304][0]
    earlier = [
        m
        for m in by_status[200]
        if m.feed_name == not_modified.feed_name and m.fetch_id < not_modified.fetch_id
    ]
    assert not_modified.etag == earlier[-1].etag


def test_news_names_the_universe_and_its_look_alikes(news):
    titles = " | ".join(e.title for _, d in news if d is not None for e in d.entries)
    for company in (
        "Alibaba", "Jack Ma", "Joe Tsai", "JD.com", "Pinduoduo", "Temu", "NetEase", "BYD",
        "Nvidia", "iPhone", "Meta", "DeepSeek", "tariffs", "Nio", "Li Auto", "XPeng", "Tesla",
    ):  # fmt: skip
        assert company in titles, company
    for distractor in ("JD Vance", "Apple pie", "meta-analysis", "Premier Li", "Antonio"):
        assert distractor in titles, distractor


def test_items_are_dated_inside_the_sample_with_real_offsets(news):
    seen: dict[str, datetime | None] = {}
    raw_dates = []
    for _, doc in news:
        for entry in doc.entries if doc is not None else []:
            seen[entry.id] = _entry_time(entry)
            raw_dates.append(entry.get("published") or entry.get("updated") or "")
    undated = [guid for guid, when in seen.items() if when is None]
    assert len(undated) == 1
    start = datetime(SAMPLE_START.year, SAMPLE_START.month, SAMPLE_START.day, tzinfo=UTC)
    end = datetime(SAMPLE_END.year, SAMPLE_END.month, SAMPLE_END.day, 23, 59, tzinfo=UTC)
    assert all(start <= when <= end for when in seen.values() if when is not None)
    for offset in ("+0800", "-0500", "GMT", "+08:00", "+04:00", "Z"):
        assert any(offset in text for text in raw_dates), offset


def test_revised_items_keep_their_guid_with_a_new_summary(news):
    summaries: dict[str, set[str]] = {}
    appearances: dict[str, int] = {}
    for _, doc in news:
        for entry in doc.entries if doc is not None else []:
            summaries.setdefault(entry.id, set()).add(entry.summary)
            appearances[entry.id] = appearances.get(entry.id, 0) + 1
    assert sum(1 for n in appearances.values() if n > 1) >= 5
    revised = [guid for guid, texts in summaries.items() if len(texts) > 1]
    assert len(revised) >= 2
    assert any("<p>" in text for texts in summaries.values() for text in texts)


def test_feeds_csv_lists_the_archived_feeds(news):
    table = pd.read_csv(DEFAULT_FEEDS_PATH, keep_default_na=False)
    assert list(table.columns) == ["name", "url", "tickers"]
    archived = {(m.feed_name, m.url) for m, _ in news}
    assert set(zip(table["name"], table["url"], strict=True)) == archived
    assert all(".invalid/" in url for url in table["url"])
