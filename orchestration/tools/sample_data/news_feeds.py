"""The sample feeds and their fetch history: the response bytes a server would have returned.

Three feeds in the three formats a feed reader meets (RSS 2.0, Atom 1.0, RSS 1.0/RDF), each
fetched several times over the sample period. A fetch lists the items the feed showed at that
moment (the last ten days, newest first), so items re-appear in later fetches, some with a revised
summary under the same guid. A few fetches fail (HTTP 500, a transport timeout) or come back
304 Not Modified, as real polling does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from orchestration.tools.sample_data.news_items import (
    CHINA_TECH_ITEMS,
    EV_ITEMS,
    MARKETS_ITEMS,
    SampleItem,
)

SAMPLE_HOST = "https://sample.adrpulse.invalid"
FEED_WINDOW = timedelta(days=10)
FEEDS_CSV_HEADER = ("name", "url", "tickers")


@dataclass(frozen=True)
class SampleFeed:
    name: str
    title: str
    fmt: str  # rss20 | atom10 | rss10
    items: tuple[SampleItem, ...]
    # (fetch time, outcome): ok | not_modified | http_500 | timeout
    schedule: tuple[tuple[datetime, str], ...]
    tickers: tuple[str, ...] = ()  # topic feeds: items are tagged from their text, not the feed

    @property
    def url(self) -> str:
        return f"{SAMPLE_HOST}/{self.name}.xml"


@dataclass(frozen=True)
class SampleNewsFetch:
    """One archived fetch, with every argument write_news_fetch needs."""

    fetch_id: str
    feed_name: str
    url: str
    fetched_at: datetime
    http_status: int | None
    body: bytes | None
    content_type: str | None
    etag: str | None
    last_modified: str | None
    error: str | None


def _utc(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


SAMPLE_FEEDS: tuple[SampleFeed, ...] = (
    SampleFeed(
        "sample_markets_rss",
        "ADR Pulse sample: markets wire (SYNTHETIC)",
        "rss20",
        MARKETS_ITEMS,
        (
            (_utc(2024, 9, 10, 12), "ok"),
            (_utc(2024, 11, 21, 12), "ok"),
            (_utc(2024, 12, 23, 12), "ok"),
            (_utc(2025, 1, 21, 12), "ok"),
            (_utc(2025, 1, 27, 14), "ok"),
            (_utc(2025, 1, 28, 1), "ok"),
            (_utc(2025, 2, 3, 16), "ok"),
            (_utc(2025, 2, 12, 13), "ok"),
            (_utc(2025, 2, 14, 14), "ok"),
            (_utc(2025, 2, 18, 12), "timeout"),
            (_utc(2025, 2, 20, 13), "ok"),
            (_utc(2025, 2, 22, 1), "ok"),
            (_utc(2025, 2, 24, 17), "ok"),
            (_utc(2025, 3, 5, 12), "ok"),
            (_utc(2025, 3, 10, 21), "ok"),
        ),
    ),
    SampleFeed(
        "sample_china_tech_atom",
        "ADR Pulse sample: China tech desk (SYNTHETIC)",
        "atom10",
        CHINA_TECH_ITEMS,
        (
            (_utc(2024, 11, 16, 0), "ok"),
            (_utc(2025, 1, 21, 0), "ok"),
            (_utc(2025, 1, 27, 16), "ok"),
            (_utc(2025, 1, 29, 12), "ok"),
            (_utc(2025, 2, 13, 9), "ok"),
            (_utc(2025, 2, 13, 11), "not_modified"),
            (_utc(2025, 2, 18, 0), "ok"),
            (_utc(2025, 2, 20, 12), "ok"),
            (_utc(2025, 2, 21, 2), "ok"),
            (_utc(2025, 3, 6, 12), "ok"),
            (_utc(2025, 3, 31, 13), "ok"),
        ),
    ),
    SampleFeed(
        "sample_ev_rdf",
        "ADR Pulse sample: EV makers (SYNTHETIC)",
        "rss10",
        EV_ITEMS,
        (
            (_utc(2025, 1, 3, 0), "ok"),
            (_utc(2025, 1, 24, 0), "ok"),
            (_utc(2025, 2, 11, 2), "ok"),
            (_utc(2025, 2, 12, 0), "ok"),
            (_utc(2025, 2, 18, 12), "http_500"),
            (_utc(2025, 2, 26, 0), "ok"),
            (_utc(2025, 3, 4, 12), "ok"),
            (_utc(2025, 3, 15, 0), "ok"),
            (_utc(2025, 3, 31, 13), "ok"),
        ),
    ),
)


def _fetch_id(fetched_at: datetime, salt: str) -> str:
    """Shaped like warehouse.archive.new_fetch_id, with a hash instead of random bits."""
    stamp = fetched_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-rss-{hashlib.sha256(f'{salt}|{stamp}'.encode()).hexdigest()[:6]}"


def _rfc822(moment: datetime) -> str:
    if moment.utcoffset() == timedelta(0):
        return format_datetime(moment.astimezone(UTC), usegmt=True)
    return format_datetime(moment)


def _rfc3339(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _link(feed: SampleFeed, item: SampleItem) -> str:
    return f"{SAMPLE_HOST}/{feed.name}/{item.slug}"


def _visible(feed: SampleFeed, moment: datetime) -> list[SampleItem]:
    shown = [i for i in feed.items if moment - FEED_WINDOW < i.available_at <= moment]
    return sorted(shown, key=lambda i: (i.available_at, i.guid), reverse=True)


def _rss20(feed: SampleFeed, moment: datetime, items: list[SampleItem]) -> str:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0">',
        "<channel>",
        f"<title>{escape(feed.title)}</title>",
        f"<link>{SAMPLE_HOST}/</link>",
        "<description>Invented headlines for testing ADR Pulse. Not news.</description>",
        f"<lastBuildDate>{_rfc822(moment)}</lastBuildDate>",
    ]
    for item in items:
        summary, _ = item.version_at(moment)
        body = f"<![CDATA[{summary}]]>" if item.summary_is_html else escape(summary)
        parts += [
            "<item>",
            f"<title>{escape(item.title)}</title>",
            f"<link>{_link(feed, item)}</link>",
            f'<guid isPermaLink="false">{escape(item.guid)}</guid>',
            f"<description>{body}</description>",
        ]
        if item.published is not None:
            parts.append(f"<pubDate>{_rfc822(item.published)}</pubDate>")
        parts.append("</item>")
    parts += ["</channel>", "</rss>"]
    return "\n".join(parts) + "\n"


def _atom10(feed: SampleFeed, moment: datetime, items: list[SampleItem]) -> str:
    newest = max((i.version_at(moment)[1] or i.available_at for i in items), default=moment)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(feed.title)}</title>",
        f"<id>tag:sample.adrpulse.invalid,2024:{feed.name}</id>",
        f'<link rel="self" href={quoteattr(feed.url)}/>',
        f"<updated>{_rfc3339(newest)}</updated>",
        "<author><name>ADR Pulse sample desk</name></author>",
    ]
    for item in items:
        summary, updated = item.version_at(moment)
        kind = "html" if item.summary_is_html else "text"
        parts += [
            "<entry>",
            f"<title>{escape(item.title)}</title>",
            f'<link rel="alternate" href={quoteattr(_link(feed, item))}/>',
            f"<id>{escape(item.guid)}</id>",
        ]
        if item.published is not None:
            parts.append(f"<published>{_rfc3339(item.published)}</published>")
        parts += [
            f"<updated>{_rfc3339(updated or item.available_at)}</updated>",
            f'<summary type="{kind}">{escape(summary)}</summary>',
            "</entry>",
        ]
    parts.append("</feed>")
    return "\n".join(parts) + "\n"


def _rss10(feed: SampleFeed, moment: datetime, items: list[SampleItem]) -> str:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        f"<channel rdf:about={quoteattr(feed.url)}>",
        f"<title>{escape(feed.title)}</title>",
        f"<link>{SAMPLE_HOST}/</link>",
        "<description>Invented headlines for testing ADR Pulse. Not news.</description>",
        "<items><rdf:Seq>",
        *(f"<rdf:li rdf:resource={quoteattr(item.guid)}/>" for item in items),
        "</rdf:Seq></items>",
        "</channel>",
    ]
    for item in items:
        summary, _ = item.version_at(moment)
        parts += [
            f"<item rdf:about={quoteattr(item.guid)}>",
            f"<title>{escape(item.title)}</title>",
            f"<link>{_link(feed, item)}</link>",
            f"<description>{escape(summary)}</description>",
        ]
        if item.published is not None:
            parts.append(f"<dc:date>{_rfc3339(item.published)}</dc:date>")
        parts.append("</item>")
    parts.append("</rdf:RDF>")
    return "\n".join(parts) + "\n"


RENDERERS: dict[str, Callable[[SampleFeed, datetime, list[SampleItem]], str]] = {
    "rss20": _rss20,
    "atom10": _atom10,
    "rss10": _rss10,
}
CONTENT_TYPES = {
    "rss20": "application/rss+xml; charset=utf-8",
    "atom10": "application/atom+xml; charset=utf-8",
    "rss10": "application/rdf+xml; charset=utf-8",
}


def _snapshot(feed: SampleFeed, moment: datetime) -> list[tuple[str, str]]:
    return [(i.guid, i.version_at(moment)[0]) for i in _visible(feed, moment)]


def feed_fetches(feed: SampleFeed) -> list[SampleNewsFetch]:
    """The feed's archived fetches in time order; every item is served by at least one of them."""
    fetches: list[SampleNewsFetch] = []
    served: set[str] = set()
    last_ok: SampleNewsFetch | None = None
    for moment, outcome in feed.schedule:
        common = {
            "fetch_id": _fetch_id(moment, feed.name),
            "feed_name": feed.name,
            "url": feed.url,
            "fetched_at": moment,
        }
        if outcome == "ok":
            items = _visible(feed, moment)
            if not items:
                raise ValueError(f"{feed.name}: the fetch at {moment} would show no items")
            body = RENDERERS[feed.fmt](feed, moment, items).encode("utf-8")
            newest = max(i.available_at for i in items).astimezone(UTC)
            fetch = SampleNewsFetch(
                **common,
                http_status=200,
                body=body,
                content_type=CONTENT_TYPES[feed.fmt],
                etag=f'"{hashlib.sha256(body).hexdigest()[:16]}"',
                last_modified=format_datetime(newest, usegmt=True),
                error=None,
            )
            served.update(i.guid for i in items)
            last_ok = fetch
        elif outcome == "not_modified":
            # A conditional GET only makes sense if nothing changed since the last good fetch.
            if last_ok is None or _snapshot(feed, moment) != _snapshot(feed, last_ok.fetched_at):
                raise ValueError(f"{feed.name}: the feed changed before the 304 at {moment}")
            fetch = SampleNewsFetch(
                **common,
                http_status=304,
                body=None,
                content_type=None,
                etag=last_ok.etag,
                last_modified=last_ok.last_modified,
                error=None,
            )
        elif outcome == "http_500":
            fetch = SampleNewsFetch(
                **common,
                http_status=500,
                body=None,
                content_type="text/html",
                etag=None,
                last_modified=None,
                error="HTTP 500 Internal Server Error",
            )
        elif outcome == "timeout":
            fetch = SampleNewsFetch(
                **common,
                http_status=None,
                body=None,
                content_type=None,
                etag=None,
                last_modified=None,
                error="ReadTimeout: no response within 15.0 s",
            )
        else:
            raise ValueError(f"{feed.name}: unknown fetch outcome {outcome!r} at {moment}")
        fetches.append(fetch)
    unserved = sorted({i.guid for i in feed.items} - served)
    if unserved:
        raise ValueError(f"{feed.name}: items {unserved} appear in no successful fetch")
    return fetches


def all_news_fetches() -> list[SampleNewsFetch]:
    return sorted(
        (f for feed in SAMPLE_FEEDS for f in feed_fetches(feed)), key=lambda f: f.fetch_id
    )


def feeds_csv_text() -> str:
    """The sample feed list for the pipeline (header name,url,tickers; tickers space-separated)."""
    lines = [",".join(FEEDS_CSV_HEADER)]
    lines += [f"{f.name},{f.url},{' '.join(f.tickers)}" for f in SAMPLE_FEEDS]
    return "\n".join(lines) + "\n"
