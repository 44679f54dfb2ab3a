"""The feed list (dbt seed `news_feeds.csv`): which RSS/Atom feeds ADR Pulse reads.

Columns: `name,url,tickers`. `tickers` is optional and space-separated: the tickers a feed is
about (a per-ticker headline feed). Tagging may add them to every item of that feed at a low
confidence (see `assets/news/tagging.py`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

FEED_COLUMNS = ("name", "url", "tickers")

# Feed names end up in file names, table rows and log lines: keep them plain.
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
_TICKER_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=]{0,15}$")


@dataclass(frozen=True)
class Feed:
    name: str
    url: str
    tickers: tuple[str, ...] = ()


def _check_url(url: str, where: str) -> str:
    if not url:
        raise ValueError(f"{where}: empty url")
    if any(ch.isspace() for ch in url):
        raise ValueError(f"{where}: url {url!r} contains whitespace; percent-encode it (%20)")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{where}: url {url!r} is not an http(s) URL with a host")
    return url


def read_feeds(path: Path, *, known_tickers: Collection[str] | None = None) -> list[Feed]:
    """Read and validate the feed list; errors name the file and line.

    With `known_tickers` (e.g. the universe), a ticker outside it is an error, so a typo in the
    feed list does not silently tag items with a ticker nobody follows.
    """
    if not path.exists():
        raise FileNotFoundError(f"feed list {path} does not exist (set ADRPULSE_FEEDS)")
    known = {t.upper() for t in known_tickers} if known_tickers is not None else None
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = tuple(h.strip() for h in (reader.fieldnames or ()))
        if header[:2] != FEED_COLUMNS[:2] or (len(header) > 2 and header[2] != "tickers"):
            raise ValueError(
                f"{path}:1: header must be {','.join(FEED_COLUMNS)} (tickers optional), "
                f"got {','.join(header)}"
            )
        feeds: list[Feed] = []
        names: dict[str, int] = {}
        urls: dict[str, int] = {}
        for row in reader:
            line_no = reader.line_num
            where = f"{path}:{line_no}"
            name = (row.get("name") or "").strip()
            url = (row.get("url") or "").strip()
            if not name and not url and not (row.get("tickers") or "").strip():
                continue  # a blank line
            if not _NAME_PATTERN.match(name):
                raise ValueError(
                    f"{where}: feed name {name!r} must be 1-80 letters, digits, '_', '-' or '.'"
                )
            if name in names:
                raise ValueError(f"{where}: feed name {name!r} is already used on line "
                                 f"{names[name]}; names must be unique")
            _check_url(url, where)
            if url in urls:
                raise ValueError(f"{where}: url is already listed on line {urls[url]}")
            tickers = tuple((row.get("tickers") or "").upper().split())
            for ticker in tickers:
                if not _TICKER_PATTERN.match(ticker):
                    raise ValueError(f"{where}: {ticker!r} does not look like a ticker")
                if known is not None and ticker not in known:
                    raise ValueError(
                        f"{where}: ticker {ticker} is not in the universe; add it to "
                        "universe.csv or remove it from the feed"
                    )
            names[name] = line_no
            urls[url] = line_no
            feeds.append(Feed(name=name, url=url, tickers=tickers))
    return feeds
