"""Turn feed text (often HTML) into plain, single-spaced unicode."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Tags that separate words when rendered: replaced by a space so "a</p><p>b" does not become "ab".
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img", "li", "ol",
    "p", "pre", "section", "table", "td", "th", "tr", "ul",
})
# Their content is code or styling, never prose.
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template"})
_WHITESPACE = re.compile(r"\s+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def collapse_whitespace(text: str) -> str:
    """One space between words (non-breaking spaces and newlines included), no ends."""
    return _WHITESPACE.sub(" ", text).strip()


def html_to_text(markup: str | None) -> str:
    """Strip tags, unescape entities (&amp;, &#8217; ...) and collapse whitespace."""
    if not markup:
        return ""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    # A second unescape catches double-escaped text (&amp;amp;), common in feeds.
    text = html.unescape("".join(collector.parts))
    return collapse_whitespace(text)


def plain_to_text(value: str | None) -> str:
    """Text that is already plain (feedparser unescaped it): only collapse whitespace."""
    return collapse_whitespace(value or "")
