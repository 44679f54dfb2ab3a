"""ADR Pulse configuration: the one place that reads the environment.

Pure modules (assets/prices, assets/news, assets/sample, warehouse) never read this; they take paths
and values as arguments. The Dagster wiring and the CLI build a `Settings` and pass values down.

Every setting has a default that works from a clone of the repository, and an environment variable
that overrides it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
SAMPLE_ARCHIVE_DIR = REPO_ROOT / "assets" / "sample" / "archive"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name}={value!r} is not a whole number") from exc


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"{name}={value!r} is not a number") from exc


@dataclass(frozen=True)
class Settings:
    """Where state lives and how the pipeline behaves. Build with `Settings.from_env()`."""

    home: Path
    universe_path: Path
    event_catalog_path: Path
    feeds_path: Path
    aliases_path: Path
    # prices
    price_lookback_sessions: int = 5
    price_history_start: str = "2024-01-02"
    price_chunk_size: int = 20
    price_timeout_seconds: float = 20.0
    price_max_retries: int = 3
    # news
    feed_connect_timeout_seconds: float = 5.0
    feed_read_timeout_seconds: float = 15.0
    feed_max_bytes: int = 5_000_000
    # dbt-duckdb memory cap (DuckDB spills to disk beyond it), e.g. "3GB"
    duckdb_memory_limit: str = "3GB"
    # how long a command waits for a pool slot held by another run (0: no limit); see
    # orchestration/run_slots.py
    pool_wait_timeout_seconds: float = 600.0

    @classmethod
    def from_env(cls) -> Settings:
        home = _env_path("ADRPULSE_HOME", REPO_ROOT / ".adrpulse")
        return cls(
            home=home,
            universe_path=_env_path("ADRPULSE_UNIVERSE", SEEDS_DIR / "universe.csv"),
            event_catalog_path=_env_path("ADRPULSE_EVENTS", SEEDS_DIR / "event_catalog.csv"),
            feeds_path=_env_path("ADRPULSE_FEEDS", SEEDS_DIR / "news_feeds.csv"),
            aliases_path=_env_path("ADRPULSE_ALIASES", SEEDS_DIR / "news_aliases.csv"),
            price_lookback_sessions=_env_int("ADRPULSE_PRICE_LOOKBACK_SESSIONS", 5),
            price_history_start=os.environ.get("ADRPULSE_PRICE_HISTORY_START", "2024-01-02"),
            price_chunk_size=_env_int("ADRPULSE_PRICE_CHUNK_SIZE", 20),
            price_timeout_seconds=_env_float("ADRPULSE_PRICE_TIMEOUT", 20.0),
            price_max_retries=_env_int("ADRPULSE_PRICE_MAX_RETRIES", 3),
            feed_connect_timeout_seconds=_env_float("ADRPULSE_FEED_CONNECT_TIMEOUT", 5.0),
            feed_read_timeout_seconds=_env_float("ADRPULSE_FEED_READ_TIMEOUT", 15.0),
            feed_max_bytes=_env_int("ADRPULSE_FEED_MAX_BYTES", 5_000_000),
            duckdb_memory_limit=os.environ.get("ADRPULSE_DUCKDB_MEMORY_LIMIT") or "3GB",
            pool_wait_timeout_seconds=_env_float("ADRPULSE_POOL_WAIT_TIMEOUT", 600.0),
        )

    # --- the state folder -------------------------------------------------------------------
    @property
    def warehouse_path(self) -> Path:
        """The DuckDB file. Only the pipeline opens it, one writer at a time."""
        return _env_path("ADRPULSE_WAREHOUSE", self.home / "warehouse.duckdb")

    @property
    def archive_dir(self) -> Path:
        """Raw archive: every fetch and import, as received, before it is loaded."""
        return self.home / "archive"

    @property
    def published_dir(self) -> Path:
        """What SQL readers open: marts as Parquet plus a small catalog database."""
        return self.home / "published"

    @property
    def dagster_home(self) -> Path:
        return _env_path("DAGSTER_HOME", self.home / "dagster")

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    def ensure_dirs(self) -> None:
        for path in (
            self.home,
            self.archive_dir,
            self.published_dir,
            self.dagster_home,
            self.reports_dir,
        ):
            path.mkdir(parents=True, exist_ok=True)

    def dbt_env(self) -> dict[str, str]:
        """Environment variables the dbt profile reads (see dbt_project/profiles.yml)."""
        return {
            "ADRPULSE_WAREHOUSE": str(self.warehouse_path),
            "ADRPULSE_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }
