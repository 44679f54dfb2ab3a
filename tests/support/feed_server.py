"""A loopback HTTP server for the news tests: real sockets, real HTTP, no internet.

`FeedServer` binds 127.0.0.1 on a free port (port 0), serves a table of `Route`s from a daemon
thread and is shut down by its context manager. The default routes cover what a feed fetcher
meets in the wild: RSS 2.0, RSS 1.0 (RDF) and Atom; conditional GET (304); a 500; a response
slower than the read timeout; a body that drips; oversized bodies (with and without
Content-Length, and a gzip bomb); truncated documents; an HTML page; an entity-expansion
document; non-UTF-8 bytes with and without a declared encoding; redirect chains and a loop;
response headers dripped one line at a time; redirects to addresses a feed must never reach
(a metadata address, a private address, a host name the test's resolver maps). `redirect(url)`
builds a redirect to anywhere, e.g. to another `FeedServer` on another loopback port.

`hostile_routes()` adds what the faults tier throws at the fetcher (tests/test_faults_inputs.py):
bodies of 100 MB with and without Content-Length, a gzip bomb that inflates to 1 GB, entity bombs
(exponential, quadratic, an external entity), a two-step redirect loop, a redirect to `file://`,
an HTML page served as RSS and a feed of 10,000 items. Big bodies are streamed from generators
(`Route.stream`), never held in memory.
"""

from __future__ import annotations

import functools
import gzip
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

RSS_TYPE = "application/rss+xml; charset=utf-8"

RSS20 = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
  <title>ADR Pulse test feed</title>
  <link>http://example.com/</link>
  <description>RSS 2.0 fixture</description>
  <item>
    <title>Apple picks Alibaba AI for iPhones in China</title>
    <guid isPermaLink="false">baba-apple-2025-02-12</guid>
    <link>https://News.Example.com/baba/apple?utm_source=rss&amp;utm_medium=feed&amp;id=7</link>
    <pubDate>Wed, 12 Feb 2025 07:15:00 +0800</pubDate>
    <description>&lt;p&gt;Shares of &lt;b&gt;Alibaba&lt;/b&gt;
      rose 4.9%&amp;nbsp;&amp;amp; more&lt;/p&gt;
      &lt;p&gt;Second   paragraph &amp;#8212; with &amp;quot;quotes&amp;quot;&lt;/p&gt;
      &lt;script&gt;track()&lt;/script&gt;</description>
  </item>
  <item>
    <title>DeepSeek shock hits Nvidia</title>
    <link>HTTPS://WWW.Example.COM:443/news/deepseek?utm_campaign=x&amp;story=42&amp;fbclid=abc#comments</link>
    <pubDate>Mon, 27 Jan 2025 09:00:00 -0500</pubDate>
    <description><![CDATA[<div>Chip stocks <i>slid</i> on Monday.</div>]]></description>
  </item>
  <item>
    <title>JD Vance comments on tariffs</title>
    <description>No link, no guid and no date here.</description>
  </item>
</channel>
</rss>
"""

RSS10 = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://example.com/rdf">
    <title>RDF fixture</title>
    <link>http://example.com/</link>
    <description>RSS 1.0 fixture</description>
    <items><rdf:Seq><rdf:li rdf:resource="http://example.com/xi-symposium"/></rdf:Seq></items>
  </channel>
  <item rdf:about="http://example.com/xi-symposium">
    <title>Xi meets private entrepreneurs, Jack Ma attends</title>
    <link>http://example.com/xi-symposium</link>
    <description>Beijing symposium with founders.</description>
    <dc:date>2025-02-17T15:00:00+08:00</dc:date>
  </item>
</rdf:RDF>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom fixture</title>
  <id>urn:adrpulse:test:atom</id>
  <updated>2025-02-10T19:30:00+08:00</updated>
  <entry>
    <title type="html">BYD launches &lt;em&gt;God's Eye&lt;/em&gt; with DeepSeek</title>
    <id>urn:adrpulse:byd-gods-eye</id>
    <link rel="alternate" href="https://example.com/byd?utm_source=atom"/>
    <updated>2025-02-10T19:30:00+08:00</updated>
    <summary type="html">&lt;p&gt;Driver assistance on cheap models&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>Nio and Li Auto deliveries</title>
    <id>urn:adrpulse:ev-deliveries</id>
    <link rel="alternate" href="https://example.com/ev"/>
    <published>2025-02-01T08:00:00Z</published>
    <updated>2025-02-02T08:00:00Z</updated>
  </entry>
</feed>
"""

HTML_PAGE = """<!DOCTYPE html>
<html><head><title>Consent</title></head>
<body><p>Before you continue, accept our cookies.</p></body></html>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>lol</title>
<item><title>&lol9;</title><guid>lol</guid></item>
</channel></rss>
"""

# Text with characters outside ASCII that windows-1252 and latin-1 encode differently from UTF-8.
NON_ASCII_TITLE = "Caf\u00e9 \u201cquoted\u201d \u20ac5 deal"
LATIN1_TITLE = "Caf\u00e9 na\u00efve \u00a35 deal"


def _single_item_rss(title: str, declaration: str) -> str:
    return (
        f"{declaration}<rss version=\"2.0\"><channel><title>enc</title>"
        f"<item><title>{title}</title><guid>enc-1</guid>"
        "<pubDate>Tue, 11 Feb 2025 08:30:00 GMT</pubDate></item></channel></rss>"
    )


CP1252_DECLARED = _single_item_rss(
    NON_ASCII_TITLE, '<?xml version="1.0" encoding="windows-1252"?>').encode("cp1252")
CP1252_UNDECLARED = _single_item_rss(NON_ASCII_TITLE, '<?xml version="1.0"?>').encode("cp1252")
LATIN1_BY_HEADER = _single_item_rss(LATIN1_TITLE, "").encode("latin-1")


def _truncated(document: str, marker: str) -> bytes:
    """The document cut just after `marker`'s first occurrence."""
    return document[: document.index(marker) + len(marker)].encode()


# One complete item, then the stream stops in the middle of the second.
TRUNCATED_AFTER_ITEM = _truncated(RSS20, "<title>DeepSeek shock")
# The stream stops before any item.
TRUNCATED_BEFORE_ITEMS = _truncated(RSS20, "<title>ADR Pulse")

ETAG = '"v1-abc"'
LAST_MODIFIED = "Wed, 12 Feb 2025 08:00:00 GMT"
OVERSIZED_BYTES = 300_000
SLOW_DELAY_SECONDS = 3.0
HEADER_DRIP_SECONDS = 2.0  # /header-drip.xml: one header line this often, never the end
METADATA_URL = "http://169.254.169.254/latest/meta-data/"
PRIVATE_URL = "http://10.0.0.1/feed.xml"
INTERNAL_NAME_URL = "http://metadata.internal.test/feed.xml"  # tests resolve it themselves


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_length: bool = True  # False: close-delimited body, no Content-Length header
    delay_before_headers: float = 0.0  # seconds of silence before the status line
    drip_chunk: int = 0  # > 0: write the body in chunks of this many bytes ...
    drip_delay: float = 0.0  # ... with this pause between them
    etag: str | None = None  # If-None-Match equal to this -> 304
    last_modified: str | None = None  # If-Modified-Since equal to this -> 304
    header_drip_delay: float = 0.0  # > 0: status line, then one header line per this many
    # seconds until the client gives up or the server stops; the headers never end
    stream: Callable[[], Iterator[bytes]] | None = None  # the body, chunk by chunk (replaces
    # `body`); its length is `stream_length` (sent as Content-Length when content_length)
    stream_length: int = 0


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]


def redirect(location: str, status: int = 302) -> Route:
    """A redirect to `location` (a path, or a full URL on any host and port)."""
    return Route(status=status, headers={"Location": location})


def _padded_rss(total_bytes: int) -> bytes:
    head = RSS20.split("</channel>")[0]
    padding = "<!-- " + "x" * max(0, total_bytes - len(head)) + " -->"
    return (head + padding + "</channel></rss>").encode()


def default_routes() -> dict[str, Route]:
    routes = {
        "/rss20.xml": Route(body=RSS20.encode(), headers={"Content-Type": RSS_TYPE}),
        "/rss10.rdf": Route(body=RSS10.encode(),
                            headers={"Content-Type": "application/rdf+xml"}),
        "/atom.xml": Route(body=ATOM.encode(),
                           headers={"Content-Type": "application/atom+xml; charset=utf-8"}),
        "/rss-as-text-xml.xml": Route(body=RSS20.encode(), headers={"Content-Type": "text/xml"}),
        "/conditional.xml": Route(
            body=RSS20.encode(),
            headers={"Content-Type": RSS_TYPE, "ETag": ETAG, "Last-Modified": LAST_MODIFIED},
            etag=ETAG,
            last_modified=LAST_MODIFIED,
        ),
        "/error500": Route(status=500, body=b"<html><body><h1>Internal Server Error</h1>"
                                            b"<p>upstream   timed out</p></body></html>",
                           headers={"Content-Type": "text/html"}),
        "/not-found": Route(status=404, body=b"no such feed",
                            headers={"Content-Type": "text/plain"}),
        "/slow.xml": Route(body=RSS20.encode(), headers={"Content-Type": RSS_TYPE},
                           delay_before_headers=SLOW_DELAY_SECONDS),
        "/drip.xml": Route(body=RSS20.encode(), headers={"Content-Type": RSS_TYPE},
                           drip_chunk=256, drip_delay=0.1),
        "/oversized.xml": Route(body=_padded_rss(OVERSIZED_BYTES),
                                headers={"Content-Type": RSS_TYPE}),
        "/oversized-unannounced.xml": Route(body=_padded_rss(OVERSIZED_BYTES),
                                            headers={"Content-Type": RSS_TYPE},
                                            content_length=False),
        "/gzip-bomb.xml": Route(body=gzip.compress(_padded_rss(OVERSIZED_BYTES)),
                                headers={"Content-Type": RSS_TYPE, "Content-Encoding": "gzip"}),
        "/gzip.xml": Route(body=gzip.compress(RSS20.encode()),
                           headers={"Content-Type": RSS_TYPE, "Content-Encoding": "gzip"}),
        "/truncated-after-item.xml": Route(body=TRUNCATED_AFTER_ITEM,
                                           headers={"Content-Type": RSS_TYPE}),
        "/truncated-before-items.xml": Route(body=TRUNCATED_BEFORE_ITEMS,
                                             headers={"Content-Type": RSS_TYPE}),
        "/html-page": Route(body=HTML_PAGE.encode(),
                            headers={"Content-Type": "text/html; charset=utf-8"}),
        "/billion-laughs.xml": Route(body=BILLION_LAUGHS.encode(),
                                     headers={"Content-Type": "application/xml"}),
        "/cp1252-declared.xml": Route(body=CP1252_DECLARED,
                                      headers={"Content-Type": "application/rss+xml"}),
        "/cp1252-undeclared.xml": Route(body=CP1252_UNDECLARED,
                                        headers={"Content-Type": "application/rss+xml"}),
        "/latin1-by-header.xml": Route(
            body=LATIN1_BY_HEADER,
            headers={"Content-Type": "application/rss+xml; charset=iso-8859-1"}),
        "/empty.xml": Route(body=b"", headers={"Content-Type": RSS_TYPE}),
        "/loop": redirect("/loop"),
        "/to-ftp": redirect("ftp://127.0.0.1/feed.xml"),
        "/hop/1": redirect("/rss20.xml", status=301),
        "/header-drip.xml": Route(header_drip_delay=HEADER_DRIP_SECONDS),
        "/to-metadata": redirect(METADATA_URL),
        "/to-private": redirect(PRIVATE_URL),
        "/to-internal-name": redirect(INTERNAL_NAME_URL),
    }
    # /hop/k answers with k redirects before the feed.
    for hops in range(2, 11):
        routes[f"/hop/{hops}"] = redirect(f"/hop/{hops - 1}")
    return routes


# --- hostile routes (the faults tier) ----------------------------------------------------------

HUGE_BODY_BYTES = 100 * 1024 * 1024
GZIP_BOMB_INFLATED_BYTES = 1024 * 1024 * 1024
MANY_ITEMS = 10_000
_MIB = 1024 * 1024

QUADRATIC_BLOWUP = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "' + "a" * 50_000 + '">]>\n'
    '<rss version="2.0"><channel><title>q</title><item><title>' + "&a;" * 20_000
    + "</title><guid>q</guid></item></channel></rss>\n"
)
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>xxe</title>
<item><title>&secret;</title><guid>xxe</guid></item>
</channel></rss>
"""


def _rss_head() -> bytes:
    return RSS20.split("</channel>")[0].encode() + b"<!-- "


_RSS_TAIL = b" --></channel></rss>"


def _padded_stream(total: int) -> Iterator[bytes]:
    """An RSS document of exactly `total` bytes: the fixture's items, then a comment of spaces."""
    head = _rss_head()
    yield head
    padding = total - len(head) - len(_RSS_TAIL)
    block = b" " * _MIB
    while padding > 0:
        piece = block[: min(padding, len(block))]
        padding -= len(piece)
        yield piece
    yield _RSS_TAIL


@functools.cache
def gzip_bomb() -> bytes:
    """A gzip member (about 1 MB) that inflates to GZIP_BOMB_INFLATED_BYTES of RSS.

    The padding is deflated one MiB at a time with a full flush between blocks, so every block
    compresses to the same bytes: compress it once and repeat it, instead of deflating a GB."""
    head, block = _rss_head(), b" " * _MIB
    blocks = (GZIP_BOMB_INFLATED_BYTES - len(head) - len(_RSS_TAIL)) // _MIB
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    middle = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.compress(_RSS_TAIL) + deflate.flush()
    crc = zlib.crc32(head)
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(_RSS_TAIL, crc)
    size = len(head) + blocks * _MIB + len(_RSS_TAIL)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # gzip, deflate, no name, no time
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return header + start + middle * blocks + end + trailer


@functools.cache
def many_items_feed(items: int = MANY_ITEMS) -> bytes:
    """A valid RSS 2.0 feed of `items` distinct items (about 2 MB for 10,000)."""
    entries = "".join(
        f"<item><title>Alibaba headline number {i}</title><guid>many-{i}</guid>"
        f"<link>https://news.example.com/many/{i}</link>"
        f"<pubDate>Wed, 12 Feb 2025 07:15:00 +0800</pubDate>"
        f"<description>Item {i} of a very long feed.</description></item>\n"
        for i in range(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>many</title><link>http://example.com/</link><description>d</description>\n"
        f"{entries}</channel></rss>\n"
    ).encode()


def hostile_routes() -> dict[str, Route]:
    """The routes of `default_routes()` plus the faults tier's (see the module docstring)."""
    routes = default_routes()
    routes.update({
        "/huge-100mb.xml": Route(headers={"Content-Type": RSS_TYPE},
                                 stream=lambda: _padded_stream(HUGE_BODY_BYTES),
                                 stream_length=HUGE_BODY_BYTES),
        "/huge-100mb-unannounced.xml": Route(headers={"Content-Type": RSS_TYPE},
                                             stream=lambda: _padded_stream(HUGE_BODY_BYTES),
                                             content_length=False),
        "/gzip-bomb-1gb.xml": Route(
            headers={"Content-Type": RSS_TYPE, "Content-Encoding": "gzip"},
            stream=lambda: iter([gzip_bomb()]), stream_length=len(gzip_bomb())),
        "/quadratic-blowup.xml": Route(body=QUADRATIC_BLOWUP.encode(),
                                       headers={"Content-Type": "application/xml"}),
        "/external-entity.xml": Route(body=EXTERNAL_ENTITY.encode(),
                                      headers={"Content-Type": "application/xml"}),
        "/loop-a": redirect("/loop-b"),
        "/loop-b": redirect("/loop-a"),
        "/to-file": redirect("file:///etc/passwd"),
        "/html-as-rss.xml": Route(body=HTML_PAGE.encode(), headers={"Content-Type": RSS_TYPE}),
        "/items-10000.xml": Route(body=many_items_feed(), headers={"Content-Type": RSS_TYPE}),
    })
    return routes


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest output clean

    def do_GET(self) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path
        headers = {name.lower(): value for name, value in self.headers.items()}
        owner.requests.append(RecordedRequest(path, headers))
        route = owner.routes.get(path)
        try:
            if route is None:
                self._send(Route(status=404, body=b"unknown path"))
            else:
                self._serve(route, owner)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeouts, size caps): that is what the tests provoke

    def _serve(self, route: Route, owner: FeedServer) -> None:
        if route.delay_before_headers and owner.stopping.wait(route.delay_before_headers):
            return
        if route.header_drip_delay:
            self._drip_headers(route, owner)
            return
        etag_matches = route.etag is not None \
            and self.headers.get("If-None-Match") == route.etag
        date_matches = route.last_modified is not None \
            and self.headers.get("If-Modified-Since") == route.last_modified
        if etag_matches or date_matches:
            self.send_response(304)
            if route.etag:
                self.send_header("ETag", route.etag)
            self.end_headers()
            return
        self._send(route, owner)

    def _drip_headers(self, route: Route, owner: FeedServer) -> None:
        # Each line arrives well within any read timeout; only a total deadline can stop this.
        self.wfile.write(f"HTTP/1.1 {route.status} OK\r\n".encode())
        self.wfile.flush()
        line = 0
        while not owner.stopping.wait(route.header_drip_delay):
            line += 1
            self.wfile.write(f"X-Drip-{line}: {'x' * 16}\r\n".encode())
            self.wfile.flush()
        self.close_connection = True

    def _send(self, route: Route, owner: FeedServer | None = None) -> None:
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        if route.content_length:
            length = route.stream_length if route.stream is not None else len(route.body)
            self.send_header("Content-Length", str(length))
        elif route.stream is not None:
            self.close_connection = True  # the end of the body is the end of the connection
        self.end_headers()
        if route.stream is not None:
            for chunk in route.stream():
                if owner is not None and owner.stopping.is_set():
                    return
                self.wfile.write(chunk)
        elif route.drip_chunk and owner is not None:
            for start in range(0, len(route.body), route.drip_chunk):
                self.wfile.write(route.body[start:start + route.drip_chunk])
                self.wfile.flush()
                if owner.stopping.wait(route.drip_delay):
                    return
        else:
            self.wfile.write(route.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FeedServer


class FeedServer:
    """Serve `routes` (default: `default_routes()`) on 127.0.0.1 until the context ends."""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes = default_routes() if routes is None else routes
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()  # wakes handlers that are sleeping on purpose
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def serve_feeds(routes: dict[str, Route] | None = None) -> Iterator[FeedServer]:
    with FeedServer(routes) as server:
        yield server
