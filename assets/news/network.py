"""Where a feed fetch may connect, and one deadline over the whole fetch.

A feed URL, or a redirect a feed server answers with, must not make ADR Pulse fetch from the
machine it runs on, its private network or a cloud metadata address (169.254.169.254). So every
hop of a fetch is resolved here, its addresses are checked, and the connection goes to exactly the
addresses that were checked:

- `check_addresses` says why an address is not public (loopback, private, link-local, multicast,
  unspecified, reserved or otherwise not global), looking inside IPv6 forms that carry an IPv4
  address (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
- `PinnedBackend` is the httpcore network backend of a fetch: it connects only to the addresses
  pinned for a host and port, never resolving names itself. The URL keeps its host name, so the
  Host header, TLS SNI and certificate checks use the name while the socket goes to the checked IP
  (no second DNS answer can swap the address: no DNS-rebinding window).
- `Deadline` is one monotonic deadline for DNS, connect, TLS, request, response headers and body.
  Every socket operation waits at most until the deadline, so a server that drips header lines
  slower than the read timeout but never finishes is cut at the deadline.
- `GuardedTransport` is the httpx transport over that backend (public httpx and httpcore APIs
  only: `httpx.BaseTransport`, `httpcore.ConnectionPool(network_backend=...)`).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses the host resolves to (textual IPs). The seam tests replace.
Resolver = Callable[[str, int], Sequence[str]]

_NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class FetchRefused(Exception):
    """The fetch would go somewhere the feed may not: permanent, not worth retrying."""


class DeadlineExceeded(Exception):
    """The fetch's total deadline passed (raised where no httpx timeout applies, e.g. DNS)."""


class DNSFailure(Exception):
    """The host name did not resolve (or took longer than allowed to)."""


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, in the system's order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "IPv4-mapped"
    if any(ip in net for net in _NAT64_PREFIXES):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64"
    if ip.sixtofour is not None:
        return ip.sixtofour, "6to4"
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # not :: nor ::1, which are their own kinds
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "IPv4-compatible"
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address a feed may be fetched from, or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "link-local address"
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            inner, form = embedded
            problem = address_problem(inner)
            return f"{problem} ({form} {inner})" if problem else None
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_reserved:
        return "reserved address"
    if ip.is_private or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return "private address"
    if not ip.is_global:
        return "non-public address"
    return None


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class Deadline:
    """One monotonic deadline; `clamp` shortens a per-operation timeout to what is left."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._at = None if seconds is None else time.monotonic() + seconds
        self.expired = False  # set when an operation was cut because of this deadline

    def remaining(self) -> float | None:
        return None if self._at is None else self._at - time.monotonic()

    def clamp(self, timeout: float | None) -> tuple[float | None, bool]:
        """(timeout to use, whether the deadline is what bounds it)."""
        left = self.remaining()
        if left is None or (timeout is not None and timeout < left):
            return timeout, False
        return max(left, 0.0), True


def resolve_within(resolver: Resolver, host: str, port: int, timeout: float | None) -> list[str]:
    """Run `resolver` with a time bound (getaddrinfo has none): a daemon thread that is left to
    finish on its own if it overruns. Raises DNSFailure or TimeoutError."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["addresses"] = list(resolver(host, port))
        except Exception as exc:  # reported to the caller below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"DNS lookup for {host} took longer than {timeout:g}s")
    if "error" in outcome:
        exc = outcome["error"]
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DNSFailure(f"DNS lookup failed for {host}: {reason or type(exc).__name__}")
    if not outcome.get("addresses"):
        raise DNSFailure(f"DNS lookup failed for {host}: no addresses")
    return outcome["addresses"]


class _DeadlineStream(httpcore.NetworkStream):
    """A connected stream whose every wait ends at the deadline at the latest."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def _bounded(self, timeout: float | None, timeout_error: type[Exception]) -> float | None:
        bounded, by_deadline = self._deadline.clamp(timeout)
        if by_deadline and bounded is not None and bounded <= 0:
            self._deadline.expired = True
            raise timeout_error("total deadline passed")
        return bounded

    @contextmanager
    def _watch(self, timeout: float | None) -> Iterator[None]:
        _, by_deadline = self._deadline.clamp(timeout)
        try:
            yield
        except httpcore.TimeoutException:
            if by_deadline:
                self._deadline.expired = True
            raise

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        bounded = self._bounded(timeout, httpcore.ReadTimeout)
        with self._watch(timeout):
            return self._inner.read(max_bytes, bounded)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        bounded = self._bounded(timeout, httpcore.WriteTimeout)
        with self._watch(timeout):
            self._inner.write(buffer, bounded)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        bounded = self._bounded(timeout, httpcore.ConnectTimeout)
        with self._watch(timeout):
            inner = self._inner.start_tls(ssl_context, server_hostname, bounded)
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Connects a host and port only to the addresses pinned for them; never resolves a name.

    A connection to a host and port nothing was pinned for is refused (a ConnectError): nothing
    reaches the network that the address policy did not see.
    """

    def __init__(self, deadline: Deadline, inner: httpcore.NetworkBackend | None = None) -> None:
        self._deadline = deadline
        self._inner = inner or httpcore.SyncBackend()
        self._pins: dict[tuple[str, int], tuple[str, ...]] = {}

    def pin(self, host: str, port: int, addresses: Sequence[str]) -> None:
        self._pins[(host, port)] = tuple(addresses)

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        addresses = self._pins.get((host, port))
        if not addresses:
            raise httpcore.ConnectError(f"{host}:{port} was not checked; not connecting")
        error: Exception | None = None
        for address in addresses:
            bounded, by_deadline = self._deadline.clamp(timeout)
            if by_deadline and bounded is not None and bounded <= 0:
                self._deadline.expired = True
                raise httpcore.ConnectTimeout("total deadline passed")
            try:
                stream = self._inner.connect_tcp(address, port, timeout=bounded,
                                                 local_address=local_address,
                                                 socket_options=socket_options)
            except httpcore.ConnectTimeout as exc:
                if by_deadline:
                    self._deadline.expired = True
                    raise
                error = exc
            except httpcore.ConnectError as exc:
                error = exc
            else:
                return _DeadlineStream(stream, self._deadline)
        assert error is not None
        raise error

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for feeds")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


# httpcore's exceptions as httpx's, most specific first (what httpx's own transport does).
_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core, mapped in _EXCEPTIONS:
            if isinstance(exc, core):
                raise mapped(str(exc)) from exc
        raise


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._inner

    def close(self) -> None:
        if hasattr(self._inner, "close"):
            self._inner.close()


class GuardedTransport(httpx.BaseTransport):
    """HTTP/1.1 over a `PinnedBackend`; TLS verifies the URL's host name as usual."""

    def __init__(self, backend: PinnedBackend) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=backend,
            http1=True,
            http2=False,
            retries=0,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            core_response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_ResponseStream(core_response.stream),
            extensions=core_response.extensions,
        )

    def close(self) -> None:
        self._pool.close()
