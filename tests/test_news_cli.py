"""`adrpulse fetch-news` in a subprocess, with its own ADRPULSE_HOME and a feed list pointing at
the loopback feed server: one line per feed, the reason of each failure, a 304 on the second
poll, and a clear error for a broken feed list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.feed_server import FeedServer

# name -> loopback path
FEEDS = {
    "rss20": "/rss20.xml",
    "atom": "/atom.xml",
    "conditional": "/conditional.xml",
    "http500": "/error500",
    "html": "/html-page",
}


def _table_line(stdout: str, feed: str) -> str:
    lines = [line for line in stdout.splitlines() if line.split(" ", 1)[0] == feed]
    assert len(lines) == 1, f"expected one line for {feed} in:\n{stdout}"
    return lines[0]


def _cells(line: str) -> list[str]:
    # Columns are separated by at least two spaces; "not modified" holds one.
    return re.split(r"\s{2,}", line.strip())


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@pytest.fixture(scope="module")
def two_polls(
    server: FeedServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str, int, int]:
    home = tmp_path_factory.mktemp("fetch_news_home")
    feeds_csv = home / "feeds.csv"
    feeds_csv.write_text(
        "name,url,tickers,allow_private_network\n"
        + "".join(f"{name},{server.url(path)},BABA,true\n" for name, path in FEEDS.items())
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ADRPULSE_FEEDS", str(feeds_csv))
        first = run_cli(home, "fetch-news")
        second = run_cli(home, "fetch-news")
    for result in (first, second):
        assert "Dagster run of job poll_news" in result.stderr, result.stderr[-3000:]
    return first.stdout, second.stdout, first.returncode, second.returncode


def test_help_explains_the_command() -> None:
    result = run_cli(Path("/nonexistent-home-not-used"), "fetch-news", "--help")
    assert result.returncode == 0
    assert "usage: adrpulse fetch-news" in result.stdout
    assert "ADRPULSE_FEEDS" in result.stdout


def test_prints_a_line_per_feed_with_new_items_or_the_reason(
    two_polls: tuple[str, str, int, int],
) -> None:
    stdout, _, returncode, _ = two_polls
    assert returncode == 0, stdout
    assert _cells(_table_line(stdout, "rss20"))[:4] == ["rss20", "ok", "3", "0"]
    assert _cells(_table_line(stdout, "atom"))[:4] == ["atom", "ok", "2", "0"]
    # Same items as rss20: updated, not new.
    assert _cells(_table_line(stdout, "conditional"))[:4] == ["conditional", "ok", "0", "3"]
    http500 = _table_line(stdout, "http500")
    assert _cells(http500)[1] == "FAILED" and "HTTP 500 Internal Server Error" in http500
    html = _table_line(stdout, "html")
    assert _cells(html)[1] == "FAILED" and "HTML page, not a feed" in html
    assert "5 feeds polled: 3 ok, 2 failed; 5 new items, 3 updated." in stdout
    # the four news checks ran in the same run: failed and warned ones listed, the rest counted
    counts = re.search(r"Checks: (\d+) passed, (\d+) failed, (\d+) warned", stdout)
    assert counts is not None, stdout
    assert sum(int(n) for n in counts.groups()) == 4 and counts.group(2) == "0"


def test_second_poll_reports_not_modified_for_the_conditional_feed(
    two_polls: tuple[str, str, int, int],
) -> None:
    _, stdout, _, returncode = two_polls
    assert returncode == 0, stdout
    assert _cells(_table_line(stdout, "conditional"))[:5] == [
        "conditional", "not modified", "0", "0", "304"
    ]
    assert _cells(_table_line(stdout, "rss20"))[:4] == ["rss20", "ok", "0", "3"]


def test_a_broken_feed_list_fails_with_the_file_and_line(tmp_path: Path) -> None:
    feeds_csv = tmp_path / "feeds.csv"
    feeds_csv.write_text("name,url,tickers\nbad,http://127.0.0.1:9/feed.xml,NOTATICKER1\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ADRPULSE_FEEDS", str(feeds_csv))
        result = run_cli(tmp_path / "home", "fetch-news")
    assert result.returncode == 1
    assert f"{feeds_csv}:2: ticker NOTATICKER1 is not in the universe" in result.stderr
