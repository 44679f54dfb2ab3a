"""The feed list: the shipped seed is valid, and bad rows are reported with file and line."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from assets.news.feeds import Feed, read_feeds
from assets.universe import universe_tickers

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
YAHOO = "https://feeds.finance.yahoo.com/rss/2.0/headline?s={}&region=US&lang=en-US"


def write_feeds(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_feed_list_covers_the_universe() -> None:
    universe = universe_tickers(SEEDS / "universe.csv")
    feeds = read_feeds(SEEDS / "news_feeds.csv", known_tickers=universe)
    by_url = {f.url: f for f in feeds}

    for ticker in universe:
        feed = by_url.get(YAHOO.format(ticker))
        assert feed is not None, f"no Yahoo headline feed for {ticker}"
        assert feed.tickers == (ticker,)
    google = [f for f in feeds if urlsplit(f.url).hostname == "news.google.com"]
    queries = " ".join(parse_qs(urlsplit(f.url).query)["q"][0] for f in google).lower()
    for theme in ("deepseek", "tariffs", "antitrust"):
        assert theme in queries
    assert all(urlsplit(f.url).scheme == "https" for f in feeds)


def test_reads_rows_with_and_without_tickers(tmp_path: Path) -> None:
    path = write_feeds(tmp_path, "name,url,tickers\n"
                                 "baba,https://example.com/baba.xml,baba  JD\n"
                                 "\n"
                                 "general,http://example.com/all.xml,\n")

    assert read_feeds(path) == [
        Feed("baba", "https://example.com/baba.xml", ("BABA", "JD")),
        Feed("general", "http://example.com/all.xml", ()),
    ]


def test_allow_private_network_marks_a_feed_local(tmp_path: Path) -> None:
    path = write_feeds(tmp_path, "name,url,tickers,allow_private_network\n"
                                 "public,https://example.com/a.xml,BABA,\n"
                                 "lan,http://10.1.2.3:8080/feed.xml,,true\n"
                                 "box,http://127.0.0.1:9000/feed.xml,, Yes \n"
                                 "off,https://example.com/b.xml,,false\n")

    assert read_feeds(path) == [
        Feed("public", "https://example.com/a.xml", ("BABA",)),
        Feed("lan", "http://10.1.2.3:8080/feed.xml", (), allow_private_network=True),
        Feed("box", "http://127.0.0.1:9000/feed.xml", (), allow_private_network=True),
        Feed("off", "https://example.com/b.xml", ()),
    ]


def test_allow_private_network_without_tickers_column(tmp_path: Path) -> None:
    path = write_feeds(tmp_path, "name,url,allow_private_network\n"
                                 "box,http://127.0.0.1:9000/feed.xml,true\n")

    assert read_feeds(path) == [
        Feed("box", "http://127.0.0.1:9000/feed.xml", (), allow_private_network=True)
    ]


def test_shipped_feed_list_marks_no_feed_local() -> None:
    assert not any(f.allow_private_network for f in read_feeds(SEEDS / "news_feeds.csv"))


def test_tickers_column_is_optional(tmp_path: Path) -> None:
    path = write_feeds(tmp_path, "name,url\nx,https://example.com/x.xml\n")

    assert read_feeds(path) == [Feed("x", "https://example.com/x.xml", ())]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("a,https://e.com/1,\na,https://e.com/2,\n", "feed name 'a' is already used on line 2"),
        ("a,https://e.com/1,\nb,https://e.com/1,\n", "url is already listed on line 2"),
        ("a,ftp://e.com/feed,\n", "is not an http(s) URL"),
        ("a,https:///nohost,\n", "is not an http(s) URL"),
        ("a,,\n", "empty url"),
        ("a,https://e.com/a b,\n", "contains whitespace"),
        ("bad name,https://e.com/1,\n", "feed name 'bad name'"),
        ("a,https://e.com/1,BA$BA\n", "does not look like a ticker"),
        ("a,https://e.com/1,,maybe\n", "allow_private_network must be true or false"),
    ],
)
def test_invalid_rows_name_file_and_line(tmp_path: Path, rows: str, message: str) -> None:
    path = write_feeds(tmp_path, "name,url,tickers,allow_private_network\n" + rows)
    bad_line = rows.count("\n") + 1

    with pytest.raises(ValueError, match=f"feeds.csv:{bad_line}: ") as raised:
        read_feeds(path)
    assert message in str(raised.value)


def test_ticker_outside_the_universe_is_rejected(tmp_path: Path) -> None:
    path = write_feeds(tmp_path, "name,url,tickers\nx,https://e.com/x,BABA ZZZZ\n")

    assert read_feeds(path)[0].tickers == ("BABA", "ZZZZ")
    with pytest.raises(ValueError, match="feeds.csv:2: ticker ZZZZ is not in the universe"):
        read_feeds(path, known_tickers=["BABA"])


def test_wrong_header_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="feeds.csv:1: header must be name,url,tickers"):
        read_feeds(write_feeds(tmp_path, "url,name\nhttps://e.com,x\n"))
    with pytest.raises(ValueError, match="feeds.csv:1: header must be"):
        read_feeds(write_feeds(tmp_path, "name,url,tickers,local\nx,https://e.com,,\n"))
    with pytest.raises(ValueError, match="feeds.csv:1: header must be"):
        read_feeds(write_feeds(tmp_path, "name,url,tickers,tickers\nx,https://e.com,,\n"))
    with pytest.raises(FileNotFoundError, match="ADRPULSE_FEEDS"):
        read_feeds(tmp_path / "missing.csv")
