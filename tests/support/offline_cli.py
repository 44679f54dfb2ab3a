"""`adrpulse` as on a machine without a network, for end-to-end tests of live commands:

    python -m tests.support.offline_cli ARGS...     (what `.venv/bin/adrpulse ARGS...` runs)

Only the network seams are faked, the way the network fails when there is none:
- every host name but loopback fails to resolve (socket.getaddrinfo raises, as without DNS), so
  the feed fetcher's own code meets the failure;
- Yahoo: the price resource's download function is the real `yfinance.download` whose requests
  fail as curl fails without a network (tests/support/yfinance_fakes.py keeps yfinance's own
  handling of them).
Everything else (the CLI, Dagster, the archive, the checks) is the real code.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence
from typing import Any

from tests.support.yfinance_fakes import FakeYahoo

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


class OfflineYahoo(FakeYahoo):
    """Every ticker's request fails as curl does when the host cannot be resolved."""

    def _next_outcome(self, ticker: str) -> Any:
        return ConnectionError(
            "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com"
        )


def go_offline() -> None:
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name in LOOPBACK_NAMES:
            return real_getaddrinfo(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    socket.getaddrinfo = getaddrinfo

    from assets.resources import YahooPricesResource

    def offline_download(self: YahooPricesResource) -> Any:
        return OfflineYahoo().download

    YahooPricesResource.download_function = offline_download  # type: ignore[method-assign]


def main(argv: Sequence[str]) -> int:
    go_offline()
    from orchestration.cli import main as adrpulse

    return adrpulse(list(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
