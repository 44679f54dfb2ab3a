"""Fetch one feed over HTTP, defensively: timeouts, a size cap, bounded redirects, conditional GET,
and only from public addresses unless the feed is marked local (see `network.py`).

`fetch_feed` never raises for network or HTTP problems: a feed that misbehaves must not stop the
other feeds, so every outcome comes back as a `FeedResponse` whose `error` says what went wrong.
feedparser has no timeout of its own, which is why fetching lives here and parsing in `parse.py`.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import httpx

from assets.news.network import (
    Deadline,
    DeadlineExceeded,
    DNSFailure,
    FetchRefused,
    GuardedTransport,
    PinnedBackend,
    Resolver,
    address_problem,
    literal_address,
    resolve_within,
    system_resolver,
)
from assets.news.text import html_to_text
from assets.settings import DEFAULTS

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
    # True when the address policy refused the fetch (a private address, a redirect off the
    # feed's own origin, a non-http(s) redirect): a permanent error, retrying cannot help.
    refused: bool = False


@dataclass
class _Progress:
    """What is known so far about one fetch, while following redirects."""

    final_url: str
    redirects: int = 0
    http_status: int | None = None
    content_type: str | None = None
    phase: str = "resolving"  # what the fetch was doing, for a deadline message


def _seconds(value: float) -> str:
    return f"{value:g}s"


Origin = tuple[str, str, int]  # scheme, host (as in the URL, IDNA-encoded), port


def _origin(url: httpx.URL) -> Origin:
    scheme = url.scheme
    return scheme, url.raw_host.decode("ascii"), url.port or (443 if scheme == "https" else 80)


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


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
    connect_timeout: float = DEFAULTS.feed_connect_timeout_seconds,
    read_timeout: float = DEFAULTS.feed_read_timeout_seconds,
    total_timeout: float | None = DEFAULTS.feed_total_timeout_seconds,
    max_bytes: int = DEFAULTS.feed_max_bytes,
    max_redirects: int = 5,
    user_agent: str = DEFAULT_USER_AGENT,
    feed_name: str | None = None,
    allow_private_network: bool = False,
    resolver: Resolver = system_resolver,
) -> FeedResponse:
    """GET one feed. Sends If-None-Match / If-Modified-Since when validators are given.

    - `read_timeout` bounds each wait for data; `total_timeout` bounds the whole fetch (DNS,
      connect, TLS, response headers, body, every redirect), so a server dripping header lines
      or body bytes cannot hold the run (None disables it).
    - The body is counted while streaming, after content decoding (a small gzip that inflates
      past `max_bytes` is stopped too); beyond `max_bytes` the transfer is aborted.
    - Redirects are followed by hand, at most `max_redirects`, and only to http(s) URLs.
    - Every hop is resolved (`resolver`, default the system's) and refused unless all its
      addresses are public; the connection then goes to exactly those addresses. With
      `allow_private_network` (a feed marked local in the feed list) the feed's own scheme, host
      and port may be private, and so may redirects back to them; a redirect anywhere else must
      still be public. A refusal fails the feed with `refused=True`, naming the feed (`feed_name`,
      else the URL), the target and why.
    - A 304 returns no body; its validators fall back to the ones sent, so the caller can keep
      using them on the next fetch.
    - A non-2xx response is a failure: its body is not kept, only a short excerpt in `error`.
    """
    fetched_at = datetime.now(UTC)
    started = time.monotonic()
    deadline = Deadline(total_timeout)
    timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout,
                            pool=connect_timeout)
    headers = {"User-Agent": user_agent, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    label = f"feed {feed_name}" if feed_name else f"feed {url}"

    progress = _Progress(final_url=url)

    def result(status: FetchStatus, *, body: bytes | None = None, error: str | None = None,
               etag_out: str | None = None, last_modified_out: str | None = None,
               refused: bool = False) -> FeedResponse:
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
            refused=refused,
        )

    def out_of_time() -> FeedResponse:
        assert total_timeout is not None
        return result("failed", error=f"transfer took longer than {_seconds(total_timeout)} in "
                                      f"total (cut while {progress.phase} {host})")

    backend = PinnedBackend(deadline)
    feed_origin: Origin | None = None

    def admit(target: httpx.URL) -> None:
        """Resolve and check one hop, then pin its addresses; raises FetchRefused."""
        origin = _origin(target)
        _, name, port = origin
        redirected = progress.redirects > 0
        shown_target = _host_port(name, port)
        if feed_origin is not None and origin[0] != feed_origin[0]:
            shown_target = f"{origin[0]}://{shown_target}"  # the scheme is what differs
        where = f"redirect to {shown_target}" if redirected else f"connection to {shown_target}"
        literal = literal_address(name)
        if literal is not None:
            addresses = [str(literal)]
        else:
            progress.phase = "resolving"
            wait, by_deadline = deadline.clamp(connect_timeout)
            if by_deadline and wait is not None and wait <= 0:
                deadline.expired = True
                raise DeadlineExceeded
            try:
                addresses = resolve_within(resolver, name, port, wait)
            except TimeoutError as exc:
                if by_deadline:
                    deadline.expired = True
                    raise DeadlineExceeded from exc
                raise DNSFailure(str(exc)) from exc
        private_ok = allow_private_network and (not redirected or origin == feed_origin)
        for address in addresses:
            try:
                ip = ipaddress.ip_address(address)
            except ValueError as exc:
                raise DNSFailure(f"DNS lookup for {name} gave an unusable address "
                                 f"{address!r}") from exc
            problem = None if private_ok else address_problem(ip)
            if problem is None:
                continue
            shown = "" if literal is not None else f" ({address})"
            if allow_private_network and feed_origin is not None:
                own = f"{feed_origin[0]}://{_host_port(*feed_origin[1:])}"
                hint = f" (a local feed reaches private addresses only at its own {own})"
            elif not redirected:
                hint = (" (mark it allow_private_network=true in the feed list if it is meant "
                        "to be local)")
            else:
                hint = ""
            raise FetchRefused(f"{where}{shown} refused: {problem} not allowed for {label}{hint}")
        backend.pin(name, port, addresses)

    http = httpx.Client(transport=GuardedTransport(backend), follow_redirects=False,
                        trust_env=False)  # no proxies from the environment: they would resolve
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
                    return result("failed", refused=True,
                                  error=f"redirect to {request.url} refused: non-http(s) URL "
                                        f"not allowed for {label}")
                return result("failed", error=f"invalid URL {url!r}: need http(s) and a host")
            if feed_origin is None:
                feed_origin = _origin(request.url)
            admit(request.url)
            progress.phase = "waiting for the response from"
            response = http.send(request, stream=True, follow_redirects=False)
            try:
                progress.http_status = response.status_code
                progress.content_type = response.headers.get("content-type")
                progress.final_url = str(request.url)
                progress.phase = "reading the response from"
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
                    remaining = deadline.remaining()
                    if remaining is not None and remaining <= 0:
                        return out_of_time()
                return result(
                    "ok",
                    body=bytes(body),
                    etag_out=response.headers.get("etag"),
                    last_modified_out=response.headers.get("last-modified"),
                )
            finally:
                response.close()
    except FetchRefused as exc:
        return result("failed", error=str(exc), refused=True)
    except DeadlineExceeded:
        return out_of_time()
    except DNSFailure as exc:
        return result("failed", error=str(exc))
    except httpx.TimeoutException as exc:
        if deadline.expired:
            return out_of_time()
        if isinstance(exc, httpx.ConnectTimeout):
            return result("failed", error=f"connect timeout after {_seconds(connect_timeout)} "
                                          f"({host})")
        if isinstance(exc, httpx.ReadTimeout):
            return result("failed", error=f"timeout after {_seconds(read_timeout)} waiting for "
                                          f"data from {host}")
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
        http.close()
