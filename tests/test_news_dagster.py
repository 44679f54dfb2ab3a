"""The raw news asset and its checks, through Dagster, against the loopback feed server.

Two polls in live mode share one temporary warehouse and archive. The first reads a feed list
with good feeds in three formats, the same items served by three feeds, and feeds that misbehave
in every way the fetcher guards against; before the second, some good feeds start failing, so
the second shows a 304, stored news surviving failures, and dedup across fetches.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from assets.news import quality
from assets.news_checks import NEWS_CHECKS
from assets.raw_news import NEWS_FETCHES, raw_news
from tests.support.feed_server import (
    ATOM,
    BILLION_LAUGHS,
    ETAG,
    HTML_PAGE,
    RSS10,
    RSS20,
    RSS_TYPE,
    TRUNCATED_BEFORE_ITEMS,
    FeedServer,
    Route,
    default_routes,
    redirect,
)
from tests.support.resources import pipeline_resources
from warehouse.schema import create_raw_schema

FUTURE_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>future</title>
<item><title>Alibaba results from a misconfigured clock</title><guid>future-1</guid>
<pubDate>Fri, 01 Jan 2100 12:00:00 GMT</pubDate></item>
</channel></rss>
"""

# name -> loopback path. rss20, rss20_as_text_xml and conditional serve the same three items.
FEEDS = {
    "rss20": "/rss20.xml",
    "rss10": "/rss10.rdf",
    "atom": "/atom.xml",
    "rss20_as_text_xml": "/rss-as-text-xml.xml",
    "conditional": "/conditional.xml",
    "http500": "/error500",
    "slow": "/slow.xml",
    "oversized": "/oversized.xml",
    "truncated": "/truncated-before-items.xml",
    "truncated_tail": "/truncated-after-item.xml",
    "html": "/html-page",
    "billion_laughs": "/billion-laughs.xml",
    "future": "/future.xml",
    "to_other_port": "/to-other-port",  # redirects to another loopback port: refused
    "not_local": "/rss20.xml?feed=not_local",  # a loopback feed not marked local: refused
}
NOT_LOCAL = {"not_local"}
FAILING = {
    "http500": "HTTP 500",
    "slow": "timeout",
    "oversized": "larger than",
    "truncated": "malformed feed",
    "html": "HTML page",
    "billion_laughs": "entities",
    "to_other_port": "loopback address not allowed for feed to_other_port",
    "not_local": "loopback address not allowed for feed not_local",
}
RSS20_ITEMS = 3
UNIQUE_ITEMS = RSS20_ITEMS + 1 + 2 + 1  # RSS 2.0 fixture, RSS 1.0, Atom, the future item


@dataclass
class Poll:
    result: dg.ExecuteInProcessResult
    fetches: dict[str, dict[str, Any]]  # feed name -> its raw.news_fetches row of this poll
    items: dict[str, dict[str, Any]]  # item key -> raw.news_items row after this poll
    tags: set[tuple[str, str]]  # (item key, tag) after this poll

    def checks(self) -> dict[str, dg.AssetCheckEvaluation]:
        return {e.check_name: e for e in self.result.get_asset_check_evaluations()}


@dataclass
class Scenario:
    home: Path
    server: FeedServer
    other: FeedServer  # the loopback port /to-other-port redirects to
    first: Poll
    second: Poll

    @property
    def archive(self) -> Path:
        return self.home / "archive"


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _poll(home: Path, feeds_csv: Path) -> Poll:
    result = dg.materialize(
        [raw_news, *NEWS_CHECKS],
        # Small limits: the slow route waits 3 s, the oversized body is 300 KB.
        resources=pipeline_resources(
            home,
            ADRPULSE_FEEDS=str(feeds_csv),
            ADRPULSE_FEED_CONNECT_TIMEOUT="2",
            ADRPULSE_FEED_READ_TIMEOUT="0.5",
            ADRPULSE_FEED_MAX_BYTES="100000",
        ),
        raise_on_error=False,
    )
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        fetch_rows = _rows(con, "select * from raw.news_fetches order by fetched_at")
        items = {r["item_key"]: r for r in _rows(con, "select * from raw.news_items")}
        tags = {(r["item_key"], r["tag"]) for r in _rows(con, "select * from raw.news_item_tags")}
    finally:
        con.close()
    run_ids = _run_fetch_ids(result)
    fetches = {r["feed_name"]: r for r in fetch_rows if r["fetch_id"] in run_ids}
    return Poll(result, fetches, items, tags)


def _run_fetch_ids(result: dg.ExecuteInProcessResult) -> set[str]:
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization.asset_key == NEWS_FETCHES:
            return {r.data["fetch_id"] for r in materialization.metadata["fetches"].records}
    raise AssertionError("raw_news recorded no fetches table")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    home = tmp_path_factory.mktemp("news_home")
    routes = default_routes()
    routes["/future.xml"] = Route(body=FUTURE_RSS.encode(), headers={"Content-Type": RSS_TYPE})
    with FeedServer() as other, FeedServer(routes) as server:
        routes["/to-other-port"] = redirect(other.url("/rss20.xml"))
        feeds_csv = home / "feeds.csv"
        feeds_csv.write_text(
            # The loopback feeds are marked local: only such feeds may be fetched from 127.0.0.1.
            "name,url,tickers,allow_private_network\n"
            + "".join(f"{name},{server.url(path)},,{'' if name in NOT_LOCAL else 'true'}\n"
                      for name, path in FEEDS.items())
        )
        first = _poll(home, feeds_csv)
        # Feeds whose items only they deliver start failing: their stored news must stay.
        routes["/rss10.rdf"] = Route(status=500, body=b"down for maintenance")
        routes["/atom.xml"] = Route(body=TRUNCATED_BEFORE_ITEMS,
                                    headers={"Content-Type": RSS_TYPE})
        second = _poll(home, feeds_csv)
        yield Scenario(home, server, other, first, second)


def test_the_asset_succeeds_although_many_feeds_fail(scenario: Scenario) -> None:
    assert scenario.first.result.success
    assert scenario.second.result.success
    assert set(scenario.first.fetches) == set(FEEDS)
    assert set(scenario.second.fetches) == set(FEEDS)


def test_rss20_rss10_and_atom_load_their_items(scenario: Scenario) -> None:
    fetches = scenario.first.fetches
    assert fetches["rss20"]["status"] == "ok"
    assert fetches["rss20"]["new_items"] == RSS20_ITEMS
    assert fetches["rss10"]["status"] == "ok"
    assert fetches["rss10"]["new_items"] == 1
    assert fetches["atom"]["status"] == "ok"
    assert fetches["atom"]["new_items"] == 2
    titles = {item["title"] for item in scenario.first.items.values()}
    assert "Xi meets private entrepreneurs, Jack Ma attends" in titles  # RSS 1.0
    assert "BYD launches God's Eye with DeepSeek" in titles  # Atom, HTML title made text
    assert "Apple picks Alibaba AI for iPhones in China" in titles  # RSS 2.0


@pytest.mark.parametrize(("feed", "reason"), sorted(FAILING.items()))
def test_each_misbehaving_feed_fails_alone_with_its_reason(
    scenario: Scenario, feed: str, reason: str
) -> None:
    fetch = scenario.first.fetches[feed]
    assert fetch["status"] == "failed"
    assert reason in fetch["error"]
    assert fetch["new_items"] == 0
    assert fetch["updated_items"] == 0


def test_refused_feeds_fail_alone_store_nothing_and_are_not_retried(scenario: Scenario) -> None:
    port, other_port = scenario.server.port, scenario.other.port
    expected = {
        "to_other_port": f"redirect to 127.0.0.1:{other_port} refused: loopback address not "
                         f"allowed for feed to_other_port (a local feed reaches private "
                         f"addresses only at its own http://127.0.0.1:{port})",
        "not_local": f"connection to 127.0.0.1:{port} refused: loopback address not allowed "
                     f"for feed not_local (mark it allow_private_network=true in the feed list "
                     f"if it is meant to be local)",
    }
    for poll in (scenario.first, scenario.second):
        for feed, error in expected.items():
            fetch = poll.fetches[feed]
            assert (fetch["status"], fetch["error"]) == ("failed", error)
            assert (fetch["entries"], fetch["new_items"], fetch["updated_items"]) == (0, 0, 0)
            manifest = json.loads((scenario.archive / fetch["archive_path"]).read_text())
            assert manifest["body_file"] is None
    # Nothing reached the other port; each poll asked the redirecting feed once, no retries.
    assert scenario.other.requests == []
    assert len(scenario.server.requests_to("/to-other-port")) == 2
    assert len(scenario.server.requests_to("/rss20.xml")) == 2  # the rss20 feed's, not not_local's
    assert all(item["feed_name"] not in expected for item in scenario.second.items.values())


def test_entries_with_a_parse_error_are_a_warning_not_a_failure(scenario: Scenario) -> None:
    fetch = scenario.first.fetches["truncated_tail"]
    assert fetch["status"] == "warning"
    assert "malformed feed" in fetch["error"]
    assert fetch["entries"] == 1


def test_the_same_items_from_three_feeds_are_stored_once(scenario: Scenario) -> None:
    first = scenario.first
    assert len(first.items) == UNIQUE_ITEMS
    for feed in ("rss20_as_text_xml", "conditional"):
        assert first.fetches[feed]["status"] == "ok"
        assert first.fetches[feed]["new_items"] == 0
        assert first.fetches[feed]["updated_items"] == RSS20_ITEMS
    # The delivering feed is the one that saw the item first.
    rss20_keys = {k for k, v in first.items.items() if v["feed_name"] == "rss20"}
    assert len(rss20_keys) == RSS20_ITEMS


def test_a_later_poll_updates_items_and_never_duplicates_them(scenario: Scenario) -> None:
    first, second = scenario.first, scenario.second
    assert set(second.items) == set(first.items)
    assert second.fetches["rss20"]["new_items"] == 0
    assert second.fetches["rss20"]["updated_items"] == RSS20_ITEMS
    second_fetch_ids = {f["fetch_id"] for f in second.fetches.values()}
    for key, item in second.items.items():
        if item["feed_name"] == "rss20":
            # Seen again by the second poll ...
            assert item["last_fetch_id"] in second_fetch_ids
            assert item["last_seen_at"] > first.items[key]["last_seen_at"]
            # ... and still the row the first poll created.
            assert item["first_fetch_id"] == first.items[key]["first_fetch_id"]
            assert item["first_seen_at"] == first.items[key]["first_seen_at"]


def test_a_304_on_the_second_poll_costs_nothing_and_changes_nothing(scenario: Scenario) -> None:
    requests = scenario.server.requests_to("/conditional.xml")
    assert len(requests) == 2
    assert "if-none-match" not in requests[0].headers
    assert requests[1].headers["if-none-match"] == ETAG

    fetch = scenario.second.fetches["conditional"]
    assert fetch["status"] == "not_modified"
    assert fetch["http_status"] == 304
    assert (fetch["entries"], fetch["new_items"], fetch["updated_items"]) == (0, 0, 0)
    assert all(i["last_fetch_id"] != fetch["fetch_id"] for i in scenario.second.items.values())
    manifest = json.loads((scenario.archive / fetch["archive_path"]).read_text())
    assert manifest["body_file"] is None
    assert manifest["etag"] == ETAG  # kept, so the next poll is conditional again


def test_stored_news_survives_its_feeds_failing(scenario: Scenario) -> None:
    second = scenario.second
    assert second.fetches["rss10"]["status"] == "failed"
    assert "HTTP 500" in second.fetches["rss10"]["error"]
    assert second.fetches["atom"]["status"] == "failed"
    for key, item in scenario.first.items.items():
        if item["feed_name"] in ("rss10", "atom"):
            assert second.items[key] == item  # every column, last_seen_at included
    assert second.tags == scenario.first.tags


def test_every_fetch_is_archived_and_bodies_are_kept_byte_for_byte(scenario: Scenario) -> None:
    served = {
        "rss20": RSS20.encode(),
        "rss10": RSS10.encode(),
        "atom": ATOM.encode(),
        "html": HTML_PAGE.encode(),
        "billion_laughs": BILLION_LAUGHS.encode(),
        "truncated": TRUNCATED_BEFORE_ITEMS,
    }
    for feed, body in served.items():
        fetch = scenario.first.fetches[feed]
        manifest = json.loads((scenario.archive / fetch["archive_path"]).read_text())
        assert (scenario.archive / manifest["body_file"]).read_bytes() == body, feed
    for feed in ("http500", "slow", "oversized"):
        fetch = scenario.first.fetches[feed]
        manifest = json.loads((scenario.archive / fetch["archive_path"]).read_text())
        assert manifest["body_file"] is None
        assert manifest["error"] == fetch["error"]


def test_success_rate_check_warns_and_lists_the_failing_feeds(scenario: Scenario) -> None:
    evaluation = scenario.first.checks()["feed_success_rate"]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    listed = {row["feed_name"] for row in evaluation.metadata["feeds"].value}
    assert listed == set(FAILING)


def test_future_check_fails_and_names_the_item(scenario: Scenario) -> None:
    evaluation = scenario.first.checks()["published_not_in_future"]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    listed = evaluation.metadata["items_in_future"].value
    assert [row["item_key"] for row in listed] == ["guid:future-1"]


def test_key_and_tag_checks_pass_on_the_polled_news(scenario: Scenario) -> None:
    checks = scenario.second.checks()
    assert checks["unique_item_key"].passed
    assert checks["tagged_share"].passed
    assert checks["tagged_share"].metadata["items_in_window"].value == UNIQUE_ITEMS


# --- the rules themselves, on hand-made tables ---------------------------------------------


def _item(key: str, feed: str, published: datetime, seen: datetime) -> tuple[Any, ...]:
    return (key, feed, None, None, f"title {key}", None, published, None, False, seen, seen,
            "f1", "f1")


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    create_raw_schema(connection)
    yield connection
    connection.close()


def test_repeated_keys_are_reported_with_their_feeds(con: duckdb.DuckDBPyConnection) -> None:
    # A table created without the primary key (an older schema) can hold copies.
    con.execute("create schema legacy")
    con.execute("create table legacy.news_items as select * from raw.news_items limit 0")
    con.execute("drop table raw.news_items")
    con.execute("create table raw.news_items as select * from legacy.news_items")
    now = datetime(2025, 2, 12, tzinfo=UTC)
    con.executemany("insert into raw.news_items values (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [_item("guid:a", "one", now, now), _item("guid:a", "two", now, now),
                     _item("guid:b", "one", now, now)])
    outcome = quality.unique_item_keys(con)
    assert not outcome.passed
    assert outcome.rows == [{"item_key": "guid:a", "copies": 2, "feeds": ["one", "two"]}]


def test_future_rule_allows_clock_skew_only(con: duckdb.DuckDBPyConnection) -> None:
    seen = datetime(2025, 2, 12, 12, tzinfo=UTC)
    con.executemany("insert into raw.news_items values (?,?,?,?,?,?,?,?,?,?,?,?,?)", [
        _item("guid:skew", "f", seen + quality.CLOCK_SKEW - timedelta(seconds=1), seen),
        _item("guid:late", "f", seen + quality.CLOCK_SKEW + timedelta(seconds=1), seen),
    ])
    outcome = quality.published_not_in_future(con, now=seen)
    assert not outcome.passed
    assert [r["item_key"] for r in outcome.rows] == ["guid:late"]


def test_success_rate_counts_recent_fetches_of_active_feeds_only(
    con: duckdb.DuckDBPyConnection,
) -> None:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    rows = []
    # 'recovered' failed long ago, then succeeded for a whole window: it passes.
    for i in range(quality.SUCCESS_WINDOW_FETCHES + 5):
        status = "failed" if i < 5 else "ok"
        rows.append((f"r{i:03d}", "recovered", "u", start + timedelta(hours=i), status))
    # 'broken' fails two fetches out of three.
    for i in range(9):
        status = "ok" if i % 3 == 0 else "failed"
        rows.append((f"b{i:03d}", "broken", "u", start + timedelta(hours=i), status))
    # 'retired' always failed, but its last fetch is older than the active window.
    rows.append(("x001", "retired", "u",
                 start - timedelta(days=quality.ACTIVE_FEED_DAYS + 1), "failed"))
    con.executemany(
        "insert into raw.news_fetches (fetch_id, feed_name, url, fetched_at, status) "
        "values (?,?,?,?,?)", rows)
    outcome = quality.feed_success_rates(con)
    assert not outcome.passed
    assert [r["feed_name"] for r in outcome.rows] == ["broken"]
    assert outcome.rows[0]["success_rate"] == pytest.approx(3 / 9, abs=1e-3)
    assert outcome.figures["active_feeds"] == 2


def test_tagged_share_warns_below_the_threshold(con: duckdb.DuckDBPyConnection) -> None:
    seen = datetime(2025, 2, 12, tzinfo=UTC)
    con.executemany("insert into raw.news_items values (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [_item(f"guid:{i}", "f", seen, seen) for i in range(4)])
    con.execute("insert into raw.news_item_tags values ('guid:0', 'BABA', 'ticker', 'x', 0.9)")
    outcome = quality.tagged_share(con)
    assert not outcome.passed
    assert outcome.figures["tagged_share"] == 0.25
    con.execute("insert into raw.news_item_tags values ('guid:1', 'JD', 'ticker', 'x', 0.9)")
    assert quality.tagged_share(con).passed


# --- the bundled sample, through `adrpulse demo` (conftest.demo_run) -------------------------

NEWS_ASSETS = ("raw/news_items", "raw/news_fetches")


@pytest.mark.e2e
def test_the_news_checks_pass_on_the_demo_sample(demo_run: Any, demo_home: Path) -> None:
    # The demo prints only failed and warned checks: none of the news checks is listed ...
    listed = [line for line in demo_run.stdout.splitlines()
              if any(f" {asset} " in f" {line} " for asset in NEWS_ASSETS)]
    assert listed == [], demo_run.stdout[-3000:]
    # ... and the run recorded each of them, passed.
    instance = dg.DagsterInstance.from_config(str(demo_home / "dagster"))
    try:
        run = next(r for r in instance.get_runs() if r.job_name == "demo_sample_replay")
        records = instance.all_logs(
            run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        )
    finally:
        instance.dispose()
    results = {}
    for record in records:
        evaluation = record.dagster_event.event_specific_data
        results[(evaluation.asset_key.to_user_string(), evaluation.check_name)] = (
            evaluation.passed
        )
    expected = {(check.asset_key.to_user_string(), check.name)
                for checks_def in NEWS_CHECKS for check in checks_def.check_specs}
    assert expected <= set(results)
    assert all(results[key] for key in expected)


@pytest.mark.e2e
def test_demo_marts_hold_a_news_event_per_tagged_ticker_and_us_day_zero(demo_home: Path) -> None:
    from assets.calendar import us_day_zero
    from warehouse.publish import open_published

    warehouse = duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True)
    try:
        tagged = warehouse.execute(
            "select t.tag, i.published_at from raw.news_items i "
            "join raw.news_item_tags t using (item_key) "
            "where t.tag_type = 'ticker' and t.confidence >= 0.5 and not i.published_is_fallback"
        ).fetchall()
    finally:
        warehouse.close()
    published = open_published(demo_home / "published")
    try:
        events = published.execute(
            "select distinct event_id, ticker, day_zero_date from marts.fct_event_window_returns "
            "where event_origin = 'news'"
        ).fetchall()
    finally:
        published.close()
    # Day 0 by the methodology's rule, computed in Python, independently of the dbt macro.
    expected = {(ticker, us_day_zero(published_at)) for ticker, published_at in tagged}
    assert len(tagged) > 0
    assert {(ticker, day) for _, ticker, day in events} == expected
    assert all(event_id == f"news_{t}_{d:%Y%m%d}" for event_id, t, d in events)
