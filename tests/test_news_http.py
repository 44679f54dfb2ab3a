"""fetch_feed against a real loopback HTTP server: every failure mode comes back as a result.

The feeds here live on 127.0.0.1, so most fetches are of a feed marked local
(`allow_private_network`). A guard on `socket.create_connection` (the one call httpcore's backend
connects with) records every connection and stops any that is not to loopback, so no test sends a
packet anywhere else, and the refusal tests can assert that nothing was connected to at all.
"""

from __future__ import annotations

import gzip
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC
from typing import Any

import pytest

from assets.news.http import fetch_feed
from assets.news.network import address_problem
from tests.support.feed_server import (
    ETAG,
    HEADER_DRIP_SECONDS,
    LAST_MODIFIED,
    OVERSIZED_BYTES,
    RSS20,
    FeedServer,
    redirect,
)

LOCAL: dict[str, Any] = {"allow_private_network": True}
# Short timeouts keep the suite fast; the slow route waits far longer than these.
FAST: dict[str, Any] = {"connect_timeout": 1.0, "read_timeout": 0.3, **LOCAL}
LOOPBACK = ("127.0.0.1", "::1")


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every (address, port) a fetch connected to, or tried to: only loopback gets a socket."""
    attempts: list[tuple[str, int]] = []
    real = socket.create_connection

    def guarded(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append((address[0], address[1]))
        if address[0] not in LOOPBACK:
            raise OSError(f"test guard: no connection to {address[0]} outside loopback")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    return attempts


class FakeDNS:
    """A resolver seam: answers from a table, records every question."""

    def __init__(self, answers: dict[str, Sequence[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


def test_ok_returns_body_validators_and_sends_identifying_headers(server: FeedServer) -> None:
    response = fetch_feed(server.url("/conditional.xml"), **FAST)

    assert response.status == "ok"
    assert response.http_status == 200
    assert response.body == RSS20.encode()
    assert response.content_type == "application/rss+xml; charset=utf-8"
    assert response.etag == ETAG
    assert response.last_modified == LAST_MODIFIED
    assert response.error is None
    assert response.fetched_at.tzinfo == UTC
    sent = server.requests_to("/conditional.xml")[-1].headers
    assert "ADR-Pulse" in sent["user-agent"]
    assert "application/rss+xml" in sent["accept"]
    assert "if-none-match" not in sent


def test_matching_etag_gives_not_modified_without_body(server: FeedServer) -> None:
    response = fetch_feed(server.url("/conditional.xml"), etag=ETAG, **FAST)

    assert response.status == "not_modified"
    assert response.http_status == 304
    assert response.body is None
    assert response.etag == ETAG
    # The server did not repeat Last-Modified: the caller keeps what it had (nothing here).
    assert response.last_modified is None
    assert server.requests_to("/conditional.xml")[-1].headers["if-none-match"] == ETAG


def test_matching_last_modified_gives_not_modified_and_keeps_it(server: FeedServer) -> None:
    response = fetch_feed(server.url("/conditional.xml"), last_modified=LAST_MODIFIED, **FAST)

    assert response.status == "not_modified"
    assert response.last_modified == LAST_MODIFIED
    sent = server.requests_to("/conditional.xml")[-1].headers
    assert sent["if-modified-since"] == LAST_MODIFIED


def test_stale_etag_gets_the_full_body(server: FeedServer) -> None:
    response = fetch_feed(server.url("/conditional.xml"), etag='"v0-old"', **FAST)

    assert response.status == "ok"
    assert response.body == RSS20.encode()


def test_server_error_is_a_failure_with_an_excerpt_not_a_body(server: FeedServer) -> None:
    response = fetch_feed(server.url("/error500"), **FAST)

    assert response.status == "failed"
    assert response.http_status == 500
    assert response.body is None
    assert response.error is not None
    assert response.error.startswith("HTTP 500")
    assert "upstream timed out" in response.error  # markup and whitespace runs removed
    assert "<p>" not in response.error


def test_not_found_is_a_failure(server: FeedServer) -> None:
    response = fetch_feed(server.url("/not-found"), **FAST)

    assert (response.status, response.http_status, response.body) == ("failed", 404, None)
    assert response.error is not None and response.error.startswith("HTTP 404")


def test_response_slower_than_read_timeout_fails_with_timeout(server: FeedServer) -> None:
    response = fetch_feed(server.url("/slow.xml"), connect_timeout=1.0, read_timeout=0.2, **LOCAL)

    assert response.status == "failed"
    assert response.body is None
    assert response.error is not None
    assert response.error.startswith("timeout after 0.2s")


def test_dripping_body_is_cut_by_the_total_timeout(server: FeedServer) -> None:
    # Each chunk arrives well within the read timeout; only the total bound can stop it.
    response = fetch_feed(server.url("/drip.xml"), connect_timeout=1.0, read_timeout=2.0,
                          total_timeout=0.15, **LOCAL)

    assert response.status == "failed"
    assert response.error is not None and "longer than 0.15s" in response.error


def test_dripping_body_completes_without_a_total_timeout(server: FeedServer) -> None:
    response = fetch_feed(server.url("/drip.xml"), connect_timeout=1.0, read_timeout=2.0,
                          total_timeout=None, **LOCAL)

    assert response.status == "ok"
    assert response.body == RSS20.encode()


@pytest.mark.parametrize("path", ["/oversized.xml", "/oversized-unannounced.xml",
                                  "/gzip-bomb.xml"])
def test_body_beyond_max_bytes_is_refused(server: FeedServer, path: str) -> None:
    response = fetch_feed(server.url(path), max_bytes=100_000, **FAST)

    assert response.status == "failed"
    assert response.body is None
    assert response.error is not None
    assert response.error.startswith("body larger than 100000 bytes")


@pytest.mark.parametrize("path", ["/oversized.xml", "/oversized-unannounced.xml",
                                  "/gzip-bomb.xml"])
def test_the_same_bodies_pass_under_a_larger_cap(server: FeedServer, path: str) -> None:
    response = fetch_feed(server.url(path), max_bytes=OVERSIZED_BYTES * 2, **FAST)

    assert response.status == "ok"
    assert response.body is not None
    assert len(response.body) >= OVERSIZED_BYTES


def test_gzip_body_is_returned_decoded(server: FeedServer) -> None:
    response = fetch_feed(server.url("/gzip.xml"), **FAST)

    assert response.status == "ok"
    assert response.body == RSS20.encode()
    assert response.body != gzip.compress(RSS20.encode())


def test_redirects_within_the_bound_are_followed(server: FeedServer) -> None:
    response = fetch_feed(server.url("/hop/5"), max_redirects=5, **FAST)

    assert response.status == "ok"
    assert response.redirects == 5
    assert response.final_url == server.url("/rss20.xml")
    assert response.url == server.url("/hop/5")
    assert response.body == RSS20.encode()


def test_redirects_beyond_the_bound_fail(server: FeedServer) -> None:
    response = fetch_feed(server.url("/hop/6"), max_redirects=5, **FAST)

    assert response.status == "failed"
    assert response.body is None
    assert response.error is not None and response.error.startswith("more than 5 redirects")


def test_redirect_loop_fails(server: FeedServer) -> None:
    response = fetch_feed(server.url("/loop"), max_redirects=3, **FAST)

    assert response.status == "failed"
    assert response.redirects == 3
    assert response.error is not None and "more than 3 redirects" in response.error


def test_redirect_to_another_scheme_fails(server: FeedServer) -> None:
    response = fetch_feed(server.url("/to-ftp"), **FAST)

    assert response.status == "failed"
    assert response.refused
    assert response.error is not None and "non-http(s)" in response.error


def test_connection_refused_is_reported_not_raised() -> None:
    # A socket bound but not listening: connecting to it is refused, with no race on the port.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as reserved:
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]
        response = fetch_feed(f"http://127.0.0.1:{port}/feed.xml", **FAST)

    assert response.status == "failed"
    assert response.http_status is None
    assert response.error is not None and response.error.startswith("connection refused")


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/feed.xml", "http://"])
def test_invalid_url_is_reported_not_raised(url: str) -> None:
    response = fetch_feed(url, **FAST)

    assert response.status == "failed"
    assert response.error is not None and "URL" in response.error


def test_connection_goes_to_the_checked_address_and_host_header_keeps_the_name(
    server: FeedServer, connections: list[tuple[str, int]]
) -> None:
    # feeds.local.test has no DNS entry: only the pinned address can be connected to.
    dns = FakeDNS({"feeds.local.test": ["127.0.0.1"]})
    url = f"http://feeds.local.test:{server.port}/atom.xml"

    response = fetch_feed(url, resolver=dns, feed_name="named_local", **FAST)

    assert response.status == "ok"
    assert dns.asked == ["feeds.local.test"]  # once: the HTTP stack never resolves again
    assert connections == [("127.0.0.1", server.port)]
    assert server.requests_to("/atom.xml")[-1].headers["host"] == f"feeds.local.test:{server.port}"


# --- where a feed may connect -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback address"),
        ("127.8.9.10", "loopback address"),
        ("::1", "loopback address"),
        ("10.0.0.1", "private address"),
        ("172.16.5.4", "private address"),
        ("192.168.1.1", "private address"),
        ("fc00::1", "private address"),
        ("fec0::1", "private address"),
        ("169.254.169.254", "link-local address"),
        ("fe80::1", "link-local address"),
        ("224.0.0.1", "multicast address"),
        ("ff02::1", "multicast address"),
        ("0.0.0.0", "unspecified address"),
        ("::", "unspecified address"),
        ("240.0.0.1", "reserved address"),
        ("100.64.0.1", "non-public address"),
        ("::ffff:127.0.0.1", "loopback address (IPv4-mapped 127.0.0.1)"),
        ("::ffff:169.254.169.254", "link-local address (IPv4-mapped 169.254.169.254)"),
        ("64:ff9b::a9fe:a9fe", "link-local address (NAT64 169.254.169.254)"),
        ("2002:a00:1::1", "private address (6to4 10.0.0.1)"),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_address_policy(address: str, problem: str | None) -> None:
    assert address_problem(ipaddress.ip_address(address)) == problem


@pytest.mark.parametrize(
    ("template", "refusal"),
    [
        ("http://127.0.0.1:{port}/rss20.xml", "connection to 127.0.0.1:{port} refused: loopback"),
        ("http://[::1]:{port}/rss20.xml", "connection to [::1]:{port} refused: loopback"),
        ("http://[::ffff:127.0.0.1]:{port}/rss20.xml",
         "connection to [::ffff:127.0.0.1]:{port} refused: loopback address (IPv4-mapped "
         "127.0.0.1)"),
        ("http://0.0.0.0:{port}/rss20.xml", "connection to 0.0.0.0:{port} refused: unspecified"),
        ("http://localhost:{port}/rss20.xml",
         "connection to localhost:{port} (127.0.0.1) refused: loopback"),
    ],
)
def test_a_feed_not_marked_local_cannot_reach_loopback(
    server: FeedServer, connections: list[tuple[str, int]], template: str, refusal: str
) -> None:
    before = len(server.requests)

    response = fetch_feed(template.format(port=server.port), feed_name="outside",
                          connect_timeout=1.0, read_timeout=0.3)

    assert response.status == "failed"
    assert response.refused
    assert response.body is None and response.http_status is None
    assert response.error is not None
    assert response.error.startswith(refusal.format(port=server.port)), response.error
    assert "not allowed for feed outside" in response.error
    assert "allow_private_network=true" in response.error  # says how to mark it local
    assert connections == []
    assert len(server.requests) == before


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    connections: list[tuple[str, int]],
) -> None:
    dns = FakeDNS({"mixed.example.test": ["93.184.216.34", "10.0.0.1"]})

    response = fetch_feed("https://mixed.example.test/feed.xml", resolver=dns,
                          feed_name="mixed", connect_timeout=1.0, read_timeout=0.3)

    assert response.refused
    assert response.error == ("connection to mixed.example.test:443 (10.0.0.1) refused: private "
                              "address not allowed for feed mixed (mark it "
                              "allow_private_network=true in the feed list if it is meant to be "
                              "local)")
    assert connections == []


def test_a_redirect_to_another_loopback_port_is_refused(
    server: FeedServer, connections: list[tuple[str, int]]
) -> None:
    with FeedServer() as other:
        server.routes["/to-other-port"] = redirect(other.url("/rss20.xml"))

        response = fetch_feed(server.url("/to-other-port"), feed_name="local_feed", **FAST)

        assert other.requests == []
    assert response.status == "failed"
    assert response.refused
    assert response.body is None
    assert response.redirects == 1
    assert response.error == (
        f"redirect to 127.0.0.1:{other.port} refused: loopback address not allowed for feed "
        f"local_feed (a local feed reaches private addresses only at its own "
        f"http://127.0.0.1:{server.port})"
    )
    assert connections == [("127.0.0.1", server.port)]


@pytest.mark.parametrize(
    ("path", "refusal"),
    [
        ("/to-metadata", "redirect to 169.254.169.254:80 refused: link-local address"),
        ("/to-private", "redirect to 10.0.0.1:80 refused: private address"),
        ("/to-internal-name",
         "redirect to metadata.internal.test:80 (169.254.169.254) refused: link-local address"),
    ],
)
def test_redirects_to_metadata_and_private_addresses_are_refused_without_connecting(
    server: FeedServer, connections: list[tuple[str, int]], path: str, refusal: str
) -> None:
    dns = FakeDNS({"metadata.internal.test": ["169.254.169.254"]})

    response = fetch_feed(server.url(path), feed_name="local_feed", resolver=dns, **FAST)

    assert response.status == "failed"
    assert response.refused
    assert response.body is None
    assert response.error is not None and response.error.startswith(refusal), response.error
    assert "not allowed for feed local_feed" in response.error
    # The feed itself was fetched; the redirect target was never connected to.
    assert connections == [("127.0.0.1", server.port)]
    assert dns.asked == (["metadata.internal.test"] if "name" in path else [])


@pytest.mark.parametrize(
    ("location", "refusal"),
    [
        ("http://localhost:{port}/rss20.xml",
         "redirect to localhost:{port} (127.0.0.1) refused: loopback address"),
        ("https://127.0.0.1:{port}/rss20.xml",
         "redirect to https://127.0.0.1:{port} refused: loopback address"),
    ],
)
def test_a_local_feed_reaches_loopback_only_at_its_own_scheme_host_and_port(
    server: FeedServer, connections: list[tuple[str, int]], location: str, refusal: str
) -> None:
    server.routes["/off-origin"] = redirect(location.format(port=server.port))

    response = fetch_feed(server.url("/off-origin"), feed_name="local_feed", **FAST)

    assert response.refused
    assert response.error is not None
    assert response.error.startswith(refusal.format(port=server.port)), response.error
    assert connections == [("127.0.0.1", server.port)]


def test_a_local_feed_may_redirect_within_its_own_origin(server: FeedServer) -> None:
    response = fetch_feed(server.url("/hop/2"), feed_name="local_feed", **FAST)

    assert response.status == "ok"
    assert response.redirects == 2


def test_a_local_feed_may_redirect_to_a_public_address(
    server: FeedServer, connections: list[tuple[str, int]]
) -> None:
    # The policy lets the fetch go on; the test guard stops it before any socket is created.
    dns = FakeDNS({"public.example.test": ["93.184.216.34"]})
    server.routes["/to-public"] = redirect("http://public.example.test/feed.xml")

    response = fetch_feed(server.url("/to-public"), resolver=dns, **FAST)

    assert not response.refused
    assert connections == [("127.0.0.1", server.port), ("93.184.216.34", 80)]
    assert response.error is not None and "test guard" in response.error


# --- one deadline over the whole fetch ------------------------------------------------------


def test_header_drip_is_cut_at_the_total_deadline(server: FeedServer) -> None:
    # One header line every 2 s: each read succeeds well within the 5 s read timeout.
    assert HEADER_DRIP_SECONDS == 2.0
    started = time.monotonic()

    response = fetch_feed(server.url("/header-drip.xml"), connect_timeout=1.0, read_timeout=5.0,
                          total_timeout=3.0, **LOCAL)

    took = time.monotonic() - started
    assert response.status == "failed"
    assert response.http_status is None
    assert response.error == ("transfer took longer than 3s in total (cut while waiting for the "
                              "response from 127.0.0.1)")
    assert 2.9 <= took < 4.0


def test_a_slow_dns_lookup_counts_against_the_total_deadline() -> None:
    release = threading.Event()

    def stuck(host: str, port: int) -> Sequence[str]:
        release.wait(10)
        return ["127.0.0.1"]

    started = time.monotonic()
    try:
        response = fetch_feed("http://slow-dns.test/feed.xml", resolver=stuck, connect_timeout=5.0,
                              read_timeout=5.0, total_timeout=0.5, **LOCAL)
    finally:
        release.set()

    assert response.error == ("transfer took longer than 0.5s in total (cut while resolving "
                              "slow-dns.test)")
    assert time.monotonic() - started < 1.5


def test_dns_failure_is_reported_not_raised() -> None:
    response = fetch_feed("http://nowhere.test/feed.xml", resolver=FakeDNS({}), **FAST)

    assert response.status == "failed"
    assert not response.refused
    assert response.error == "DNS lookup failed for nowhere.test: Name or service not known"
