"""Fetch one feed over HTTP, defensively: timeouts, a size cap, bounded redirects, conditional GET.

`fetch_feed` never raises for network or HTTP problems: a feed that misbehaves must not stop the
other feeds, so every outcome comes back as a `FeedResponse` whose `error` says what went wrong.
feedparser has no timeout of its own, which is why fetching lives here and parsing in `parse.py`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import httpx

from assets.news.text import html_to_text

FetchStatus = Literal["ok", "not_modified", "failed"]

DEFAULT_USER_AGENT = "ADR-Pulse/0.1 (news feed reader; python-httpx)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_ERROR_EXCERPT_CHARS = 200
_ERROR_BODY_READ_BYTES = 4096
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FeedResponse:
    """What one fetch produced. `body` is set only when `status == 'ok'`."""

    url: str  # as requested
    final_url: str  # after redirects
    status: FetchStatus
    http_status: int | None
    body: bytes | None
    content_type: str | None
    etag: str | None
    last_modified: str | None
    error: str | None
    fetched_at: datetime  # UTC, when the request started
    elapsed_seconds: float
    redirects: int = 0


@dataclass
class _Progress:
    """What is known so far about one fetch, while following redirects."""

    final_url: str
    redirects: int = 0
    http_status: int | None = None
    content_type: str | None = None


def _seconds(value: float) -> str:
    return f"{value:g}s"


def _describe_connect_error(exc: Exception, host: str | None) -> str:
    text = str(exc)
    lowered = text.lower()
    if "refused" in lowered:
        return f"connection refused by {host}"
    if "name or service not known" in lowered or "name resolution" in lowered \
            or "nodename nor servname" in lowered or "no address associated" in lowered:
        return f"DNS lookup failed for {host}"
    if "unreachable" in lowered:
        return f"network unreachable for {host}"
    if "certificate" in lowered or "ssl" in lowered:
        return f"TLS error with {host}: {text}"
    return f"connection to {host} failed: {text or type(exc).__name__}"


def _excerpt(raw: bytes) -> str:
    # Error pages are mostly HTML: the words matter, not the markup.
    text = html_to_text(raw.decode("utf-8", errors="replace"))
    if len(text) > _ERROR_EXCERPT_CHARS:
        text = text[:_ERROR_EXCERPT_CHARS] + "..."
    return text


def _read_excerpt(response: httpx.Response) -> str:
    """A short, whitespace-collapsed start of an error body, for the error message only."""
    collected = bytearray()
    try:
        for chunk in response.iter_bytes():
            collected.extend(chunk)
            if len(collected) >= _ERROR_BODY_READ_BYTES:
                break
    except httpx.HTTPError:
        pass  # the excerpt is a courtesy; the status code already says it failed
    return _excerpt(bytes(collected))


def _declared_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    if value is None or response.headers.get("content-encoding"):
        # With gzip the header counts compressed bytes: only the decoded stream can be judged.
        return None
    try:
        return int(value)
    except ValueError:
        return None


def fetch_feed(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    connect_timeout: float = 5.0,
    read_timeout: float = 15.0,
    total_timeout: float | None = 60.0,
    max_bytes: int = 5_000_000,
    max_redirects: int = 5,
    user_agent: str = DEFAULT_USER_AGENT,
    client: httpx.Client | None = None,
) -> FeedResponse:
    """GET one feed. Sends If-None-Match / If-Modified-Since when validators are given.

    - `read_timeout` bounds each wait for data; `total_timeout` bounds the whole transfer, so a
      server dripping a byte at a time cannot hold the run (None disables it).
    - The body is counted while streaming, after content decoding (a small gzip that inflates
      past `max_bytes` is stopped too); beyond `max_bytes` the transfer is aborted.
    - Redirects are followed by hand, at most `max_redirects`, and only to http(s) URLs.
    - A 304 returns no body; its validators fall back to the ones sent, so the caller can keep
      using them on the next fetch.
    - A non-2xx response is a failure: its body is not kept, only a short excerpt in `error`.
    """
    fetched_at = datetime.now(UTC)
    started = time.monotonic()
    timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout,
                            pool=connect_timeout)
    headers = {"User-Agent": user_agent, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified

    progress = _Progress(final_url=url)

    def result(status: FetchStatus, *, body: bytes | None = None, error: str | None = None,
               etag_out: str | None = None, last_modified_out: str | None = None) -> FeedResponse:
        return FeedResponse(
            url=url,
            final_url=progress.final_url,
            status=status,
            http_status=progress.http_status,
            body=body,
            content_type=progress.content_type,
            etag=etag_out,
            last_modified=last_modified_out,
            error=error,
            fetched_at=fetched_at,
            elapsed_seconds=round(time.monotonic() - started, 3),
            redirects=progress.redirects,
        )

    own_client = client is None
    http = client or httpx.Client(follow_redirects=False)
    host: str | None = None
    try:
        try:
            request = http.build_request("GET", url, headers=headers, timeout=timeout)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
            return result("failed", error=f"invalid URL {url!r}: {exc}")
        while True:
            host = request.url.host
            if request.url.scheme not in ("http", "https") or not host:
                if progress.redirects:
                    return result("failed",
                                  error=f"redirected to a non-http(s) URL {request.url}")
                return result("failed", error=f"invalid URL {url!r}: need http(s) and a host")
            response = http.send(request, stream=True, follow_redirects=False)
            try:
                progress.http_status = response.status_code
                progress.content_type = response.headers.get("content-type")
                progress.final_url = str(request.url)
                if response.status_code in _REDIRECT_CODES and response.next_request is not None:
                    if progress.redirects >= max_redirects:
                        return result(
                            "failed",
                            error=f"more than {max_redirects} redirects (last to "
                                  f"{response.headers.get('location')})",
                        )
                    progress.redirects += 1
                    request = response.next_request
                    continue
                if response.status_code == 304:
                    return result(
                        "not_modified",
                        etag_out=response.headers.get("etag") or etag,
                        last_modified_out=response.headers.get("last-modified") or last_modified,
                    )
                if not 200 <= response.status_code < 300:
                    reason = response.reason_phrase or ""
                    excerpt = _read_excerpt(response)
                    message = f"HTTP {response.status_code} {reason}".strip()
                    return result("failed", error=f"{message}: {excerpt}" if excerpt else message)
                declared = _declared_length(response)
                if declared is not None and declared > max_bytes:
                    return result("failed", error=f"body larger than {max_bytes} bytes "
                                                  f"(Content-Length {declared})")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        return result("failed", error=f"body larger than {max_bytes} bytes")
                    if total_timeout is not None and time.monotonic() - started > total_timeout:
                        return result("failed", error=f"transfer took longer than "
                                                      f"{_seconds(total_timeout)} in total")
                return result(
                    "ok",
                    body=bytes(body),
                    etag_out=response.headers.get("etag"),
                    last_modified_out=response.headers.get("last-modified"),
                )
            finally:
                response.close()
    except httpx.ConnectTimeout:
        return result("failed", error=f"connect timeout after {_seconds(connect_timeout)} "
                                      f"({host})")
    except httpx.ReadTimeout:
        return result("failed", error=f"timeout after {_seconds(read_timeout)} waiting for data "
                                      f"from {host}")
    except httpx.TimeoutException as exc:
        return result("failed", error=f"timeout talking to {host}: {type(exc).__name__}")
    except httpx.ConnectError as exc:
        return result("failed", error=_describe_connect_error(exc, host))
    except httpx.RemoteProtocolError as exc:
        return result("failed", error=f"server broke the HTTP exchange: {exc}")
    except httpx.DecodingError as exc:
        return result("failed", error=f"could not decode the response body: {exc}")
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        return result("failed", error=f"invalid URL: {exc}")
    except httpx.HTTPError as exc:
        return result("failed", error=f"{type(exc).__name__}: {exc}")
    except OSError as exc:
        return result("failed", error=f"network error: {exc}")
    finally:
        if own_client:
            http.close()
