"""Stable keys for news items, so the same story fetched twice (or from two feeds) is one row.

Order of preference:
1. the entry's guid / Atom id, as given (publishers promise it is unique and stable);
2. the canonical link: scheme and host lowercased, default port, fragment and tracking
   parameters (utm_*, fbclid ...) dropped, so a shared link with campaign tags still matches;
3. a sha256 of the normalized title and the publication instant, for entries with neither.

Keys carry their kind as a prefix (`guid:`, `link:`, `sha256:`) so it is visible which rule made
a key, and a link can never collide with a guid that happens to be the same text.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from assets.news.text import collapse_whitespace

_TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid", "ocid",
    "cmpid", "icid", "ncid", "soc_src", "soc_trk", "guccounter", "guce_referrer",
    "guce_referrer_sig", ".tsrc", "tsrc", "ref_src", "cmp", "taid", "srnd",
})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in _TRACKING_PARAMS


def canonical_link(link: str | None) -> str | None:
    """A normalized form of an http(s) link, or None if it is not one."""
    if not link:
        return None
    text = link.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _is_tracking(k)]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def normalized_title(title: str) -> str:
    return collapse_whitespace(title).casefold()


def hash_key(title: str, published_at: datetime | None) -> str:
    """sha256 of the normalized title plus the publication instant (UTC, ISO) when known.

    Pass None for a fallback date: the fetch time changes on every fetch and would give the
    same story a new key each time.
    """
    stamp = published_at.astimezone(UTC).isoformat() if published_at is not None else ""
    digest = hashlib.sha256(f"{normalized_title(title)}\n{stamp}".encode()).hexdigest()
    return f"sha256:{digest}"


def item_key(guid: str | None, link: str | None, title: str,
             published_at: datetime | None) -> str:
    """The item's stable key: guid, else canonical link, else a hash of title and date."""
    if guid and guid.strip():
        return f"guid:{guid.strip()}"
    canonical = canonical_link(link)
    if canonical:
        return f"link:{canonical}"
    return hash_key(title, published_at)
