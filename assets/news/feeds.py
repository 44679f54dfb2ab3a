"""The feed list (ADRPULSE_FEEDS, default dbt_project/seeds/news_feeds.csv): which RSS/Atom feeds
ADR Pulse reads. Published as reference.news_feeds (assets/reference.py loads it).

Columns: `name,url,tickers,allow_private_network`; the last two are optional. `tickers` is
space-separated: the tickers a feed is about (a per-ticker headline feed). Tagging may add them to
every item of that feed at a low confidence (see `assets/news/tagging.py`).

`allow_private_network` (`true`/`false`, empty means false) marks a feed served from this machine
or a private network: only then may its URL resolve to a loopback, private or link-local address
(see `assets/news/network.py`). Redirects of such a feed to any other scheme, host or port must
still be public.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

FEED_COLUMNS = ("name", "url", "tickers", "allow_private_network")
_OPTIONAL_COLUMNS = frozenset(FEED_COLUMNS[2:])
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"", "false", "no", "0"})

# Feed names end up in file names, table rows and log lines: keep them plain.
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
_TICKER_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=]{0,15}$")


@dataclass(frozen=True)
class Feed:
    name: str
    url: str
    tickers: tuple[str, ...] = ()
    allow_private_network: bool = False  # fetched from loopback / a private network on purpose


def _check_url(url: str, where: str) -> str:
    if not url:
        raise ValueError(f"{where}: empty url")
    if any(ch.isspace() for ch in url):
        raise ValueError(f"{where}: url {url!r} contains whitespace; percent-encode it (%20)")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{where}: url {url!r} is not an http(s) URL with a host")
    return url


def _flag(value: str, where: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{where}: allow_private_network must be true or false (or empty), "
                     f"got {value!r}")


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
        reader.fieldnames = list(header)
        extra = header[2:]
        if header[:2] != FEED_COLUMNS[:2] or not set(extra) <= _OPTIONAL_COLUMNS \
                or len(set(extra)) != len(extra):
            raise ValueError(
                f"{path}:1: header must be {','.join(FEED_COLUMNS)} (tickers and "
                f"allow_private_network optional), got {','.join(header)}"
            )
        feeds: list[Feed] = []
        names: dict[str, int] = {}
        urls: dict[str, int] = {}
        for row in reader:
            line_no = reader.line_num
            where = f"{path}:{line_no}"
            name = (row.get("name") or "").strip()
            url = (row.get("url") or "").strip()
            flag = row.get("allow_private_network") or ""
            if not name and not url and not (row.get("tickers") or "").strip() \
                    and not flag.strip():
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
            allow_private_network = _flag(flag, where)
            names[name] = line_no
            urls[url] = line_no
            feeds.append(Feed(name=name, url=url, tickers=tickers,
                              allow_private_network=allow_private_network))
    return feeds
