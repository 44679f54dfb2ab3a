"""parse_feed on documents served by the loopback server, plus keys, dates and text helpers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from assets.news import parse as parse_module
from assets.news.dates import parse_entry_date
from assets.news.http import fetch_feed
from assets.news.keys import canonical_link, hash_key, item_key
from assets.news.parse import ParsedFeed, parse_archived_fetch, parse_feed
from assets.news.text import html_to_text
from tests.support.feed_server import (
    ATOM,
    LATIN1_TITLE,
    NON_ASCII_TITLE,
    RSS10,
    RSS20,
    FeedServer,
)
from warehouse.archive import ArchiveFileError, list_news_fetches, write_news_fetch

FETCHED_AT = datetime(2025, 2, 12, 22, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def fetch_and_parse(server: FeedServer, path: str, feed_name: str = "test") -> ParsedFeed:
    response = fetch_feed(server.url(path), connect_timeout=1.0, read_timeout=1.0,
                          allow_private_network=True)
    assert response.status == "ok", response.error
    assert response.body is not None
    return parse_feed(response.body, feed_name=feed_name, fetched_at=response.fetched_at,
                      content_type=response.content_type)


# --- formats ---------------------------------------------------------------------------------

def test_rss20_items_keys_dates_and_text(server: FeedServer) -> None:
    parsed = fetch_and_parse(server, "/rss20.xml", feed_name="yahoo_baba")

    assert (parsed.status, parsed.feed_format, parsed.entries) == ("ok", "rss20", 3)
    apple, deepseek, vance = parsed.items
    assert apple.feed_name == "yahoo_baba"
    assert apple.item_key == "guid:baba-apple-2025-02-12"
    assert apple.guid == "baba-apple-2025-02-12"
    assert apple.link == "https://news.example.com/baba/apple?id=7"
    # Wed 07:15 in Beijing is Tue 23:15 UTC; the +08:00 is kept beside the instant.
    assert apple.published_at == datetime(2025, 2, 11, 23, 15, tzinfo=UTC)
    assert apple.published_utc_offset == "+08:00"
    assert apple.published_is_fallback is False
    assert apple.summary == ('Shares of Alibaba rose 4.9% & more Second paragraph \u2014 with '
                             '"quotes"')

    assert deepseek.guid is None
    assert deepseek.item_key == "link:https://www.example.com/news/deepseek?story=42"
    assert deepseek.published_at == datetime(2025, 1, 27, 14, 0, tzinfo=UTC)
    assert deepseek.published_utc_offset == "-05:00"
    assert deepseek.summary == "Chip stocks slid on Monday."

    assert vance.item_key.startswith("sha256:") and len(vance.item_key) == len("sha256:") + 64
    assert vance.link is None
    assert vance.published_is_fallback is True
    assert vance.published_utc_offset is None
    assert vance.published_at.tzinfo == UTC
    assert abs(vance.published_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_rss10_rdf(server: FeedServer) -> None:
    parsed = fetch_and_parse(server, "/rss10.rdf")

    assert (parsed.status, parsed.feed_format) == ("ok", "rss10")
    (item,) = parsed.items
    assert item.title == "Xi meets private entrepreneurs, Jack Ma attends"
    assert item.item_key == "guid:http://example.com/xi-symposium"
    assert item.published_at == datetime(2025, 2, 17, 7, 0, tzinfo=UTC)
    assert item.published_utc_offset == "+08:00"


def test_atom_html_title_and_published_preferred_over_updated(server: FeedServer) -> None:
    parsed = fetch_and_parse(server, "/atom.xml")

    assert (parsed.status, parsed.feed_format) == ("ok", "atom10")
    byd, ev = parsed.items
    assert byd.title == "BYD launches God's Eye with DeepSeek"
    assert byd.summary == "Driver assistance on cheap models"
    assert byd.link == "https://example.com/byd"
    # Only <updated>: it is used, with its offset.
    assert byd.published_at == datetime(2025, 2, 10, 11, 30, tzinfo=UTC)
    assert byd.published_utc_offset == "+08:00"
    # <published> wins over <updated>.
    assert ev.published_at == datetime(2025, 2, 1, 8, 0, tzinfo=UTC)
    assert ev.published_utc_offset == "+00:00"
    assert ev.summary is None


def test_text_xml_without_charset_is_not_a_warning(server: FeedServer) -> None:
    parsed = fetch_and_parse(server, "/rss-as-text-xml.xml")

    assert parsed.status == "ok"
    assert parsed.warning is None
    assert len(parsed.items) == 3


# --- dedup keys --------------------------------------------------------------------------------

def test_same_items_get_the_same_keys_across_fetches_and_feeds(server: FeedServer) -> None:
    first = fetch_and_parse(server, "/rss20.xml", feed_name="a")
    time.sleep(0.01)  # a later fetch time, which must not leak into any key
    second = fetch_and_parse(server, "/rss-as-text-xml.xml", feed_name="b")

    assert [i.item_key for i in first.items] == [i.item_key for i in second.items]
    assert first.items[2].published_at != second.items[2].published_at  # fallback dates differ


def test_link_canonicalisation() -> None:
    assert canonical_link("HTTPS://Example.COM:443/a/b?utm_source=x&id=3&fbclid=z#frag") == \
        "https://example.com/a/b?id=3"
    assert canonical_link("http://example.com:8080") == "http://example.com:8080/"
    assert canonical_link("https://finance.yahoo.com/news/x.html?.tsrc=rss") == \
        "https://finance.yahoo.com/news/x.html"
    assert canonical_link("https://example.com/p?b=2&a=1") == "https://example.com/p?b=2&a=1"
    assert canonical_link("javascript:alert(1)") is None
    assert canonical_link("") is None
    assert canonical_link(None) is None


def test_item_key_prefers_guid_then_link_then_hash() -> None:
    when = datetime(2025, 2, 12, tzinfo=UTC)
    assert item_key(" g-1 ", "https://a.com/x", "T", when) == "guid:g-1"
    assert item_key(None, "https://A.com/x?utm_medium=rss", "T", when) == "link:https://a.com/x"
    assert item_key("", None, "T", when).startswith("sha256:")


def test_hash_key_normalizes_title_and_depends_on_date() -> None:
    when = datetime(2025, 2, 12, 1, 0, tzinfo=UTC)
    same_instant_elsewhere = when.astimezone(timezone(timedelta(hours=8)))
    base = hash_key("Alibaba  jumps\non earnings", when)

    assert hash_key("alibaba jumps on EARNINGS", same_instant_elsewhere) == base
    assert hash_key("Alibaba jumps on earnings", when + timedelta(hours=1)) != base
    assert hash_key("Alibaba slumps on earnings", when) != base
    assert hash_key("Alibaba jumps on earnings", None) != base


def test_duplicate_entries_in_one_document_are_kept_once() -> None:
    item = "<item><title>Same</title><guid>dup-1</guid></item>"
    body = f'<rss version="2.0"><channel><title>d</title>{item}{item}</channel></rss>'.encode()

    parsed = parse_feed(body, feed_name="d", fetched_at=FETCHED_AT)

    assert [i.item_key for i in parsed.items] == ["guid:dup-1"]
    assert parsed.duplicates == 1
    assert parsed.entries == 2


# --- dates -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "instant", "offset"),
    [
        ("Tue, 11 Feb 2025 08:30:00 +0800", datetime(2025, 2, 11, 0, 30, tzinfo=UTC), "+08:00"),
        ("Tue, 11 Feb 2025 08:30:00 GMT", datetime(2025, 2, 11, 8, 30, tzinfo=UTC), "+00:00"),
        ("Tue, 11 Feb 2025 08:30:00 EST", datetime(2025, 2, 11, 13, 30, tzinfo=UTC), "-05:00"),
        ("11 Feb 2025 08:30 +0530", datetime(2025, 2, 11, 3, 0, tzinfo=UTC), "+05:30"),
        ("Tue, 11 Feb 2025 08:30:00", datetime(2025, 2, 11, 8, 30, tzinfo=UTC), None),
        ("Tue, 11 Feb 2025 08:30:00 -0000", datetime(2025, 2, 11, 8, 30, tzinfo=UTC), None),
        ("2025-02-11T08:30:00+08:00", datetime(2025, 2, 11, 0, 30, tzinfo=UTC), "+08:00"),
        ("2025-02-11T08:30:00Z", datetime(2025, 2, 11, 8, 30, tzinfo=UTC), "+00:00"),
        ("2025-02-11T08:30:00", datetime(2025, 2, 11, 8, 30, tzinfo=UTC), None),
    ],
)
def test_entry_dates_keep_the_source_offset(raw: str, instant: datetime,
                                            offset: str | None) -> None:
    found = parse_entry_date(raw, None)

    assert found is not None
    assert found.published_at == instant
    assert found.published_at.tzinfo == UTC
    assert found.utc_offset == offset


def test_entry_date_falls_back_to_feedparsers_utc_value_then_to_none() -> None:
    parsed_utc = time.strptime("2025-02-11 08:30:00", "%Y-%m-%d %H:%M:%S")

    from_struct = parse_entry_date("Dienstag, 11. Februar", parsed_utc)
    assert from_struct is not None
    assert from_struct.published_at == datetime(2025, 2, 11, 8, 30, tzinfo=UTC)
    assert from_struct.utc_offset is None
    assert parse_entry_date("sometime last week", None) is None
    assert parse_entry_date(None, None) is None


def test_missing_date_uses_fetch_time_and_is_flagged() -> None:
    body = b'<rss version="2.0"><channel><title>d</title><item><title>x</title>' \
           b'<pubDate>not a date</pubDate></item></channel></rss>'

    (item,) = parse_feed(body, feed_name="d", fetched_at=FETCHED_AT).items

    assert item.published_at == FETCHED_AT
    assert item.published_is_fallback is True
    assert item.published_utc_offset is None


# --- text --------------------------------------------------------------------------------------

def test_html_to_text_strips_tags_unescapes_and_collapses() -> None:
    markup = ("<p>AT&amp;T &lt;3 &#8220;Tmall&#8221;</p><p>next\u00a0\n line</p>"
              "<style>p{}</style><script>x()</script>a<br/>b")

    assert html_to_text(markup) == "AT&T <3 \u201cTmall\u201d next line a b"
    assert html_to_text(None) == ""


# --- guards and failures ----------------------------------------------------------------------

def test_truncated_document_with_a_complete_item_is_a_warning(server: FeedServer) -> None:
    parsed = fetch_and_parse(server, "/truncated-after-item.xml")

    assert parsed.status == "warning"
    assert parsed.warning is not None and "malformed" in parsed.warning
    assert [i.item_key for i in parsed.items] == ["guid:baba-apple-2025-02-12"]


def test_truncated_document_without_items_fails(server: FeedServer) -> None:
    parsed = fetch_and_parse(server, "/truncated-before-items.xml")

    assert parsed.status == "failed"
    assert parsed.items == []
    assert parsed.error is not None and "malformed" in parsed.error


def test_html_page_is_not_a_feed(server: FeedServer) -> None:
    parsed = fetch_and_parse(server, "/html-page")

    assert parsed.status == "failed"
    assert parsed.error == "HTML page, not a feed"


def test_entity_expansion_is_refused_before_parsing(server: FeedServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    response = fetch_feed(server.url("/billion-laughs.xml"), allow_private_network=True)
    assert response.body is not None
    # Record (not raise): parse_feed turns exceptions from feedparser into failures.
    monkeypatch.setattr(parse_module.feedparser, "parse", lambda *a, **k: calls.append(a))

    parsed = parse_feed(response.body, feed_name="lol", fetched_at=FETCHED_AT,
                        content_type=response.content_type)

    assert calls == []
    assert parsed.status == "failed"
    assert parsed.error is not None and parsed.error.startswith("refused")
    assert "entit" in parsed.error
    assert parsed.items == []


def test_plain_external_doctype_is_allowed() -> None:
    body = (b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS '
            b'0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
            b'<rss version="0.91"><channel><title>old</title><item><title>Baidu news</title>'
            b'<link>http://example.com/b</link></item></channel></rss>')

    parsed = parse_feed(body, feed_name="old", fetched_at=FETCHED_AT)

    assert parsed.status == "ok"
    assert [i.title for i in parsed.items] == ["Baidu news"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty document"),
        (b"   \n", "empty document"),
        (b'{"items": []}', "not an XML feed"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "root element <svg>"),
    ],
)
def test_documents_that_are_not_feeds_fail(body: bytes, reason: str) -> None:
    parsed = parse_feed(body, feed_name="x", fetched_at=FETCHED_AT)

    assert parsed.status == "failed"
    assert parsed.error is not None and reason in parsed.error


def test_an_exception_inside_feedparser_becomes_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    # feedparser 6.0.x raises on some malformed input; simulate that the parse call raises.
    def raising(*args: object, **kwargs: object) -> None:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    monkeypatch.setattr(parse_module.feedparser, "parse", raising)

    parsed = parse_feed(RSS20.encode(), feed_name="x", fetched_at=FETCHED_AT)

    assert parsed.status == "failed"
    assert parsed.error is not None and parsed.error.startswith("feedparser raised UnicodeDecode")


def test_empty_but_valid_feed_is_ok_with_no_items() -> None:
    body = b'<rss version="2.0"><channel><title>quiet day</title></channel></rss>'

    parsed = parse_feed(body, feed_name="x", fetched_at=FETCHED_AT)

    assert (parsed.status, parsed.items, parsed.error) == ("ok", [], None)


def test_naive_fetch_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="zone-aware"):
        parse_feed(RSS20.encode(), feed_name="x", fetched_at=datetime(2025, 2, 12))


# --- encodings ---------------------------------------------------------------------------------

def test_declared_windows_1252_is_decoded(server: FeedServer) -> None:
    parsed = fetch_and_parse(server, "/cp1252-declared.xml")

    assert parsed.status == "ok"
    assert [i.title for i in parsed.items] == [NON_ASCII_TITLE]


def test_undeclared_non_utf8_falls_back_with_a_warning(server: FeedServer) -> None:
    parsed = fetch_and_parse(server, "/cp1252-undeclared.xml")

    assert parsed.status == "warning"
    assert parsed.warning is not None and "windows-1252" in parsed.warning
    assert [i.title for i in parsed.items] == [NON_ASCII_TITLE]


def test_charset_from_the_http_header_is_used(server: FeedServer) -> None:
    parsed = fetch_and_parse(server, "/latin1-by-header.xml")

    assert parsed.status == "ok"
    assert [i.title for i in parsed.items] == [LATIN1_TITLE]


def test_utf16_with_bom_is_read() -> None:
    parsed = parse_feed(RSS10.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16"),
                        feed_name="x", fetched_at=FETCHED_AT)

    assert parsed.status == "ok"
    assert [i.title for i in parsed.items] == ["Xi meets private entrepreneurs, Jack Ma attends"]


# --- archive replay ----------------------------------------------------------------------------

def test_archived_fetches_replay_with_their_status(tmp_path: Path) -> None:
    ok = write_news_fetch(tmp_path, feed_name="atom", url="http://example.com/atom",
                          fetched_at=FETCHED_AT, http_status=200, body=ATOM.encode(),
                          content_type="application/atom+xml")
    not_modified = write_news_fetch(tmp_path, feed_name="atom", url="http://example.com/atom",
                                    fetched_at=FETCHED_AT + timedelta(hours=1), http_status=304,
                                    body=None, etag='"e"')
    failed = write_news_fetch(tmp_path, feed_name="atom", url="http://example.com/atom",
                              fetched_at=FETCHED_AT + timedelta(hours=2), http_status=None,
                              body=None, error="timeout after 15s")
    manifests = {m.fetch_id: m for m in list_news_fetches(tmp_path)}

    replayed = parse_archived_fetch(tmp_path, manifests[ok.fetch_id])
    direct = parse_feed(ATOM.encode(), feed_name="atom", fetched_at=FETCHED_AT,
                        content_type="application/atom+xml")
    assert replayed == direct
    assert len(replayed.items) == 2

    skipped = parse_archived_fetch(tmp_path, manifests[not_modified.fetch_id])
    assert (skipped.status, skipped.items) == ("not_modified", [])

    broken = parse_archived_fetch(tmp_path, manifests[failed.fetch_id])
    assert (broken.status, broken.error, broken.items) == ("failed", "timeout after 15s", [])


def test_archived_fetch_with_a_lost_body_names_the_manifest(tmp_path: Path) -> None:
    manifest = write_news_fetch(tmp_path, feed_name="rss", url="http://example.com/rss",
                                fetched_at=FETCHED_AT, http_status=200, body=RSS20.encode())
    assert manifest.body_file is not None
    (tmp_path / manifest.body_file).unlink()

    with pytest.raises(ArchiveFileError, match=f"{manifest.fetch_id}.xml: is missing") as exc:
        parse_archived_fetch(tmp_path, manifest)
    assert manifest.manifest_file in str(exc.value)


def test_archived_fetch_with_flipped_bytes_is_refused_by_name(tmp_path: Path) -> None:
    manifest = write_news_fetch(tmp_path, feed_name="rss", url="http://example.com/rss",
                                fetched_at=FETCHED_AT, http_status=200, body=RSS20.encode())
    assert manifest.body_file is not None
    body = tmp_path / manifest.body_file
    data = bytearray(body.read_bytes())
    data[data.index(b"<title>") + 7] ^= 0x20  # one title letter changes case: same size
    body.write_bytes(bytes(data))

    with pytest.raises(ArchiveFileError, match="SHA-256 .* differs") as exc:
        parse_archived_fetch(tmp_path, manifest)
    assert exc.value.path == str(body)
    assert exc.value.fetch_id == manifest.fetch_id
