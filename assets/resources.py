"""Dagster resources: the seams between the pipeline and the outside world.

Each resource wraps a pure module and is built from `Settings` by `build_resources`, so no
resource field carries a default of its own (the one declaration is assets/settings.py). Tests
swap the network seam (the yfinance download function, the feed URLs) and keep the rest real.

The warehouse resource is our own, not dagster-duckdb's `DuckDBResource`: that one opens the file
read-write and, when another process holds DuckDB's lock, retries with back-off for about 100 s,
and leaves the connection open when the block raises. ADR Pulse wants the opposite: the lock is
taken through the `warehouse` concurrency pool, a lock error is reported at once with the process
to look for, and the connection is always closed (warehouse/connection.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from assets.settings import Settings
from warehouse.connection import warehouse_connection


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file. Steps that write it run in the `warehouse` concurrency pool."""

    path: str

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse_connection(Path(self.path)) as con:
            yield con


class StateResource(dg.ConfigurableResource):
    """Where the raw archive, the published marts and the reports live (ADRPULSE_HOME), and the
    reference files the user points to."""

    home: str
    universe_path: str
    event_catalog_path: str
    feeds_path: str
    aliases_path: str
    # The Hong Kong benchmark fetched with the home lines (ADRPULSE_HK_BENCHMARK).
    hk_benchmark: str

    @property
    def archive_dir(self) -> Path:
        return Path(self.home) / "archive"

    @property
    def published_dir(self) -> Path:
        return Path(self.home) / "published"

    @property
    def reports_dir(self) -> Path:
        return Path(self.home) / "reports"


class YahooPricesResource(dg.ConfigurableResource):
    """Daily bars from Yahoo Finance through yfinance (the live price source)."""

    chunk_size: int
    lookback_sessions: int
    history_start: str
    timeout_seconds: float
    max_retries: int
    backoff_seconds: float = 2.0  # between attempts of one request; not a user setting

    def download_function(self) -> Callable[..., Any]:
        """The network seam: `yfinance.download`. Tests override this with a fake of its output."""
        import yfinance

        return yfinance.download

    def ticker_function(self) -> Callable[[str], Any]:
        """The network seam of the per-ticker quote endpoints (analyst actions, valuation
        fields): `yfinance.Ticker`. Tests override this with a fake whose Ticker objects answer
        offline."""
        import yfinance

        return yfinance.Ticker

    def fetch_quotes(self, tickers: list[str], endpoint: str) -> Any:
        """fetch_quote_endpoint (assets/analysts/fetch.py) with this resource's retry settings."""
        from assets.analysts.fetch import fetch_quote_endpoint

        return fetch_quote_endpoint(
            tickers,
            endpoint,
            ticker_factory=self.ticker_function(),
            max_retries=self.max_retries,
            backoff_seconds=self.backoff_seconds,
        )

    def fetch(
        self,
        tickers: list[str],
        start: date,
        end: date,
        download: Callable[..., Any] | None = None,
    ) -> Any:
        """fetch_daily_bars with this resource's settings; `download` defaults to the seam."""
        from assets.prices.fetch import fetch_daily_bars

        return fetch_daily_bars(
            tickers,
            start,
            end,
            download=download or self.download_function(),
            chunk_size=self.chunk_size,
            max_retries=self.max_retries,
            backoff_seconds=self.backoff_seconds,
            timeout=self.timeout_seconds,
        )


class FeedClientResource(dg.ConfigurableResource):
    """HTTP client settings for RSS/Atom polling (feedparser itself has no timeout)."""

    connect_timeout_seconds: float
    read_timeout_seconds: float
    total_timeout_seconds: float  # the whole fetch: DNS, connect, headers, body
    max_bytes: int

    def fetch(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        *,
        feed_name: str | None = None,
        allow_private_network: bool = False,
    ) -> Any:
        """fetch_feed with these settings. `allow_private_network` comes from the feed list:
        only a feed marked local may be fetched from loopback or a private network."""
        from assets.news.http import fetch_feed

        return fetch_feed(
            url,
            etag=etag,
            last_modified=last_modified,
            connect_timeout=self.connect_timeout_seconds,
            read_timeout=self.read_timeout_seconds,
            total_timeout=self.total_timeout_seconds,
            max_bytes=self.max_bytes,
            feed_name=feed_name,
            allow_private_network=allow_private_network,
        )


class AlertWebhookResource(dg.ConfigurableResource):
    """Where new alerts are POSTed (ADRPULSE_ALERT_WEBHOOK; empty: nowhere). `post` is the
    network seam: assets/alerts/webhook.py with this timeout and bounded retries."""

    url: str
    timeout_seconds: float

    def post(self, url: str, payload: dict[str, Any], idempotency_key: str) -> Any:
        from assets.alerts.webhook import post_json

        return post_json(url, payload, timeout_seconds=self.timeout_seconds,
                         idempotency_key=idempotency_key)


def build_resources(settings: Settings) -> dict[str, Any]:
    """Every resource of the code location, from the one declaration of settings."""
    from assets.dbt_project import AdrPulseDbtCliResource

    return {
        "warehouse": WarehouseResource(path=str(settings.warehouse_path)),
        "state": StateResource(
            home=str(settings.home),
            universe_path=str(settings.universe_path),
            event_catalog_path=str(settings.event_catalog_path),
            feeds_path=str(settings.feeds_path),
            aliases_path=str(settings.aliases_path),
            hk_benchmark=settings.hk_benchmark,
        ),
        "yahoo": YahooPricesResource(
            chunk_size=settings.price_chunk_size,
            lookback_sessions=settings.price_lookback_sessions,
            history_start=settings.price_history_start,
            timeout_seconds=settings.price_timeout_seconds,
            max_retries=settings.price_max_retries,
        ),
        "feeds": FeedClientResource(
            connect_timeout_seconds=settings.feed_connect_timeout_seconds,
            read_timeout_seconds=settings.feed_read_timeout_seconds,
            total_timeout_seconds=settings.feed_total_timeout_seconds,
            max_bytes=settings.feed_max_bytes,
        ),
        "dbt": AdrPulseDbtCliResource.from_settings(settings),
        "alert_webhook": AlertWebhookResource(
            url=settings.alert_webhook_url,
            timeout_seconds=settings.alert_webhook_timeout_seconds,
        ),
    }
