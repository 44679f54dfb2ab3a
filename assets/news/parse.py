"""Parse one feed document (RSS 0.9x/1.0/2.0 or Atom) into news items, defensively.

Guards, in order, before feedparser sees the bytes:
- an empty body, an HTML page, or a document whose root is not a feed fails with a clear reason;
- a DOCTYPE with an internal subset or any ENTITY declaration is refused: entity expansion
  ("billion laughs") can exhaust memory, and no real news feed needs its own entities. A plain
  DOCTYPE without a subset (Netscape's RSS 0.91) declares nothing and is let through.
Then feedparser runs inside try/except (6.0.x can raise on some input), and its `bozo` flag is
read as: entries plus bozo -> 'warning', no entries plus bozo -> 'failed'.

Encodings: feedparser honours a BOM, the XML declaration and the HTTP charset; when none is given
and the bytes are not UTF-8 it falls back to windows-1252 and says so, which becomes a warning.
`text/xml` without a charset is treated as `application/xml` (RFC 7303): the older RFC 3023 default
of us-ascii would flag every UTF-8 feed served that way.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import feedparser

from assets.news.dates import parse_entry_date
from assets.news.keys import canonical_link, item_key
from assets.news.text import html_to_text, plain_to_text
from warehouse.archive import NewsFetchManifest, read_news_body

ParseStatus = Literal["ok", "warning", "failed", "not_modified"]

TITLE_MAX_CHARS = 1_000
SUMMARY_MAX_CHARS = 4_000
# How far into the document to look for the root element and any DTD before giving up.
_SNIFF_BYTES = 65_536

_FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})
_HTML_ROOTS = frozenset({"html", "head", "body"})
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_ROOT_ELEMENT = re.compile(r"<([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)[\s/>]")
_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)
_DOCTYPE_WITH_SUBSET = re.compile(r"<!DOCTYPE[^>\[<]*\[", re.IGNORECASE)
_HTML_DOCTYPE = re.compile(r"<!DOCTYPE\s+html[\s>]", re.IGNORECASE)


@dataclass(frozen=True)
class NewsItem:
    """One entry, shaped like a row of raw.news_items (minus the seen-at bookkeeping)."""

    item_key: str
    feed_name: str
    guid: str | None
    link: str | None  # canonical form (tracking parameters dropped)
    title: str
    summary: str | None
    published_at: datetime  # UTC-aware; the fetch time when the entry had no usable date
    published_utc_offset: str | None  # the source's own offset, e.g. '+08:00'
    published_is_fallback: bool


@dataclass(frozen=True)
class ParsedFeed:
    feed_name: str
    status: ParseStatus
    items: list[NewsItem] = field(default_factory=list)
    entries: int = 0  # entries in the document, before skipping and de-duplication
    error: str | None = None  # why it failed
    warning: str | None = None  # what was odd, when items were still read
    feed_format: str | None = None  # feedparser's version: rss20, rss10, atom10 ...
    encoding: str | None = None
    duplicates: int = 0  # entries dropped because an earlier entry had the same key

    @property
    def message(self) -> str | None:
        """The one text raw.news_fetches.error keeps: the failure, else the warning."""
        return self.error or self.warning


def _sniff_text(body: bytes) -> str:
    """The document's start as text, good enough to find markup (not to read content)."""
    head = body[:_SNIFF_BYTES]
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                       (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom):].decode(codec, errors="ignore")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", errors="ignore")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", errors="ignore")
    # Markup is ASCII in every ASCII-compatible encoding; latin-1 never fails to decode.
    return head.decode("latin-1")


def _root_element(text: str) -> tuple[str | None, str]:
    """(root element's local name, lowercased; the prolog before it, comments and PIs removed).

    A forward scan with str.find, linear in the text: a regex with lazy wildcards over
    untrusted input could be made to backtrack for a long time.
    """
    prolog: list[str] = []
    pos = 0
    while True:
        start = text.find("<", pos)
        if start < 0:
            return None, "".join(prolog) + text[pos:]
        prolog.append(text[pos:start])
        for opener, closer in (("<?", "?>"), ("<!--", "-->")):
            if text.startswith(opener, start):
                end = text.find(closer, start + len(opener))
                if end < 0:
                    return None, "".join(prolog)
                pos = end + len(closer)
                break
        else:
            element = _ROOT_ELEMENT.match(text, start)
            if element is not None:
                return element.group(1).split(":")[-1].lower(), "".join(prolog)
            # A declaration (<!DOCTYPE, <!ENTITY ...) or stray '<': it stays in the prolog.
            prolog.append("<")
            pos = start + 1


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    media, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media.strip().lower(), charset


def _content_type_for_feedparser(content_type: str | None) -> str | None:
    media, charset = _media_type(content_type)
    if not media:
        return None
    if media == "text/xml" or media in _HTML_TYPES or media == "text/plain":
        # The root element already proved this is a feed; only the charset is worth passing.
        media = "application/xml"
    return f"{media}; charset={charset}" if charset else media


def _precheck(body: bytes, content_type: str | None) -> str | None:
    """A reason to refuse the document before parsing, or None."""
    if not body.strip():
        return "empty document"
    text = _sniff_text(body)
    root, prolog = _root_element(text)
    media, _ = _media_type(content_type)
    if root in _HTML_ROOTS or (root is None and _HTML_DOCTYPE.search(prolog)):
        return "HTML page, not a feed"
    if _ENTITY_DECL.search(prolog) or _DOCTYPE_WITH_SUBSET.search(prolog):
        return ("refused: the document declares its own DTD entities (possible entity "
                "expansion attack); feeds do not need them")
    if root is None:
        if media in _HTML_TYPES:
            return "HTML page, not a feed"
        return "not an XML feed: no root element found (within the first 64 KB)"
    if root not in _FEED_ROOTS:
        return f"not an RSS/Atom feed: root element <{root}>"
    return None


def _detail_is_html(entry: Any, key: str) -> bool:
    detail = entry.get(f"{key}_detail") or {}
    return (detail.get("type") or "text/html") in ("text/html", "application/xhtml+xml")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _entry_text(entry: Any, key: str) -> str:
    value = entry.get(key)
    if key == "summary" and not value and entry.get("content"):
        first = entry["content"][0]
        value = first.get("value")
        return html_to_text(value) if first.get("type", "text/html") != "text/plain" \
            else plain_to_text(value)
    return html_to_text(value) if _detail_is_html(entry, key) else plain_to_text(value)


def _entry_item(entry: Any, feed_name: str, fetched_at: datetime) -> NewsItem | None:
    title = _entry_text(entry, "title")
    summary = _entry_text(entry, "summary")
    if not title:
        if not summary:
            return None
        title = summary  # some feeds only have a description; the headline is its start
    title = _truncate(title, TITLE_MAX_CHARS)
    found = None
    for name in ("published", "updated", "created"):
        # dict.get: FeedParserDict.get maps a missing 'updated' onto 'published' (with a
        # deprecation warning); each field is read for itself here.
        raw, parsed = dict.get(entry, name), dict.get(entry, f"{name}_parsed")
        if raw or parsed:
            found = parse_entry_date(raw, parsed)
            if found is not None:
                break
    guid = (entry.get("id") or "").strip() or None
    link = canonical_link(entry.get("link"))
    published_at = found.published_at if found else fetched_at.astimezone(UTC)
    return NewsItem(
        item_key=item_key(guid, link, title, found.published_at if found else None),
        feed_name=feed_name,
        guid=guid,
        link=link,
        title=title,
        summary=_truncate(summary, SUMMARY_MAX_CHARS) if summary else None,
        published_at=published_at,
        published_utc_offset=found.utc_offset if found else None,
        published_is_fallback=found is None,
    )


def _describe_bozo(exc: object) -> str:
    name = type(exc).__name__
    text = str(exc) or name
    if name == "CharacterEncodingOverride":
        return f"encoding: {text}"
    if name == "NonXMLContentType":
        return f"content type: {text}"
    return f"malformed feed ({name}): {text}"


def parse_feed(body: bytes, *, feed_name: str, fetched_at: datetime,
               content_type: str | None = None) -> ParsedFeed:
    """Parse one feed body; never raises for bad input (the result says what went wrong)."""
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be zone-aware (UTC)")
    refusal = _precheck(body, content_type)
    if refusal is not None:
        return ParsedFeed(feed_name=feed_name, status="failed", error=refusal)
    headers = {}
    effective_type = _content_type_for_feedparser(content_type)
    if effective_type:
        headers["content-type"] = effective_type
    try:
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True,
                                  resolve_relative_uris=False)
    except Exception as exc:  # feedparser 6.0.x raises on some malformed input
        return ParsedFeed(feed_name=feed_name, status="failed",
                          error=f"feedparser raised {type(exc).__name__}: {exc}")
    entries = list(parsed.get("entries") or [])
    feed_format = parsed.get("version") or None
    encoding = parsed.get("encoding") or None
    bozo_text = _describe_bozo(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    if not entries:
        if bozo_text:
            return ParsedFeed(feed_name=feed_name, status="failed", error=bozo_text,
                              feed_format=feed_format, encoding=encoding)
        if feed_format is None:
            return ParsedFeed(feed_name=feed_name, status="failed",
                              error="not an RSS/Atom feed (feedparser found no feed format)",
                              encoding=encoding)
        return ParsedFeed(feed_name=feed_name, status="ok", feed_format=feed_format,
                          encoding=encoding)

    items: list[NewsItem] = []
    seen: set[str] = set()
    skipped = duplicates = 0
    for entry in entries:
        item = _entry_item(entry, feed_name, fetched_at)
        if item is None:
            skipped += 1
        elif item.item_key in seen:
            duplicates += 1
        else:
            seen.add(item.item_key)
            items.append(item)
    notes = [bozo_text] if bozo_text else []
    if skipped:
        notes.append(f"{skipped} of {len(entries)} entries had neither title nor summary")
    if not items:
        return ParsedFeed(feed_name=feed_name, status="failed", entries=len(entries),
                          error="; ".join(notes), feed_format=feed_format, encoding=encoding)
    return ParsedFeed(
        feed_name=feed_name,
        status="warning" if notes else "ok",
        items=items,
        entries=len(entries),
        warning="; ".join(notes) or None,
        feed_format=feed_format,
        encoding=encoding,
        duplicates=duplicates,
    )


def parse_archived_fetch(archive_root: Path, manifest: NewsFetchManifest) -> ParsedFeed:
    """Replay one archived fetch: 304s and failures give no items and keep their status."""
    status = manifest.http_status
    if manifest.body_file is None:
        if status == 304:
            return ParsedFeed(feed_name=manifest.feed_name, status="not_modified")
        return ParsedFeed(feed_name=manifest.feed_name, status="failed",
                          error=manifest.error or "no body was archived for this fetch")
    if status is not None and not 200 <= status < 300:
        return ParsedFeed(feed_name=manifest.feed_name, status="failed",
                          error=manifest.error or f"HTTP {status}")
    # A missing or altered body raises ArchiveFileError naming it: the archive's fault, not the
    # feed's, so it is not turned into a failed fetch here.
    body = read_news_body(archive_root, manifest)
    if body is None:  # unreachable with body_file set; keeps the type checker honest
        return ParsedFeed(feed_name=manifest.feed_name, status="failed", error="no body")
    return parse_feed(body, feed_name=manifest.feed_name, fetched_at=manifest.fetched_at_dt,
                      content_type=manifest.content_type)
