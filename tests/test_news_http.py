"""fetch_feed against a real loopback HTTP server: every failure mode comes back as a result."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator
from datetime import UTC

import httpx
import pytest

from assets.news.http import fetch_feed
from tests.support.feed_server import ETAG, LAST_MODIFIED, OVERSIZED_BYTES, RSS20, FeedServer

# Short timeouts keep the suite fast; the slow route waits far longer than these.
FAST = {"connect_timeout": 1.0, "read_timeout": 0.3}


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


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
    response = fetch_feed(server.url("/slow.xml"), connect_timeout=1.0, read_timeout=0.2)

    assert response.status == "failed"
    assert response.body is None
    assert response.error is not None
    assert response.error.startswith("timeout after 0.2s")


def test_dripping_body_is_cut_by_the_total_timeout(server: FeedServer) -> None:
    # Each chunk arrives well within the read timeout; only the total bound can stop it.
    response = fetch_feed(server.url("/drip.xml"), connect_timeout=1.0, read_timeout=2.0,
                          total_timeout=0.15)

    assert response.status == "failed"
    assert response.error is not None and "longer than 0.15s" in response.error


def test_dripping_body_completes_without_a_total_timeout(server: FeedServer) -> None:
    response = fetch_feed(server.url("/drip.xml"), connect_timeout=1.0, read_timeout=2.0,
                          total_timeout=None)

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


def test_caller_client_is_used_and_left_open(server: FeedServer) -> None:
    with httpx.Client(headers={"X-Test-Client": "yes"}) as client:
        first = fetch_feed(server.url("/rss20.xml"), client=client, **FAST)
        second = fetch_feed(server.url("/atom.xml"), client=client, **FAST)
        assert not client.is_closed

    assert (first.status, second.status) == ("ok", "ok")
    assert server.requests_to("/atom.xml")[-1].headers["x-test-client"] == "yes"
