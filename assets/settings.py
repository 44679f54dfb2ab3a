"""ADR Pulse configuration: every setting declared once, with its default and its variable.

`SETTINGS` below is the one declaration. `Settings.from_env()` reads it (and only it) from the
environment; the Dagster resources, the dbt vars (`Settings.dbt_vars()`), `adrpulse settings` and
the settings table in the README are all derived from it, so a default is never written twice.

Pure modules (assets/prices, assets/news, assets/reporting, warehouse/) never read this; they take
paths and values as arguments. Reading the environment changes nothing: no folder is created and
no variable is set here (orchestration/prepare.py does that, when a command runs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The repository root, computed here and nowhere else.
REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
QUERIES_DIR = REPO_ROOT / "queries"
DOCS_DIR = REPO_ROOT / "docs"
SAMPLE_ARCHIVE_DIR = REPO_ROOT / "orchestration" / "tools" / "sample_data" / "archive"


class SettingError(ValueError):
    """A setting whose value cannot be used; the message names the variable and the value."""


@dataclass(frozen=True)
class Setting:
    """One setting: the field of `Settings`, its variable, its default and what it does.

    `default` is text as a user would write it; `{home}` stands for ADRPULSE_HOME and `{repo}`
    for the repository root.
    """

    field: str
    env: str
    default: str
    # path | int | float | bool | text | ticker (upper-cased) | postgres_url (a secret: never
    # printed in full)
    kind: str
    doc: str
    group: str
    choices: tuple[str, ...] = ()  # a text setting limited to these values


    def parse(self, text: str) -> Any:
        """The typed value of `text` (a variable's value, or the default with {home} filled)."""
        if self.kind == "path":
            return Path(text).expanduser().resolve()
        if self.kind == "int":
            try:
                return int(text)
            except ValueError as exc:
                raise SettingError(f"{self.env}={text!r} is not a whole number") from exc
        if self.kind == "bool":
            lowered = text.strip().lower()
            if lowered not in BOOL_WORDS:
                raise SettingError(
                    f"{self.env}={text!r} is not on or off (use one of "
                    f"{', '.join(sorted(BOOL_WORDS))})"
                )
            return BOOL_WORDS[lowered]
        if self.kind == "float":
            try:
                return float(text)
            except ValueError as exc:
                raise SettingError(f"{self.env}={text!r} is not a number") from exc
        if self.kind == "ticker":
            # One spelling everywhere: the fetch list, the archive and the dbt var compare it.
            return text.strip().upper()
        if self.choices and text.strip().lower() not in self.choices:
            raise SettingError(
                f"{self.env}={text!r} is not one of {', '.join(self.choices)}"
            )
        if self.choices:
            return text.strip().lower()
        if self.kind == "postgres_url" and text and not text.startswith(POSTGRES_SCHEME):
            # SQLAlchemy 2.1 reads a bare postgresql:// as the psycopg 3 driver, which Dagster's
            # PostgreSQL storage does not support: the driver is named, not guessed.
            scheme = text.split("://", 1)[0] if "://" in text else text[:20]
            raise SettingError(
                f"{self.env} must start with {POSTGRES_SCHEME} (the driver Dagster's PostgreSQL "
                f"storage uses), not {scheme}://; e.g. "
                f"{POSTGRES_SCHEME}user:password@127.0.0.1:5432/dagster"
            )
        return text

    def shown(self, value: Any) -> str:
        """The value as printed for a person: a secret's password is masked."""
        if self.kind == "postgres_url":
            return mask_password(str(value))
        if self.kind == "bool":
            return "on" if value else "off"
        return str(value)


POSTGRES_SCHEME = "postgresql+psycopg2://"
BOOL_WORDS = {"on": True, "off": False, "true": True, "false": False, "yes": True, "no": False,
              "1": True, "0": False}


def mask_password(url: str) -> str:
    """postgresql://user:secret@host/db -> postgresql://user:***@host/db (anything else as is)."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://[^:/@]*):[^@]*@", r"\1:***@", url)


SETTINGS: tuple[Setting, ...] = (
    # --- where state lives (ADRPULSE_HOME first: the others default to folders inside it)
    Setting("home", "ADRPULSE_HOME", "{repo}/.adrpulse", "path",
            "State folder: warehouse, raw archive, published marts, Dagster instance, reports.",
            "state"),
    Setting("warehouse_path", "ADRPULSE_WAREHOUSE", "{home}/warehouse.duckdb", "path",
            "The DuckDB warehouse file (only the pipeline opens it, one writer at a time).",
            "state"),
    Setting("dagster_home", "DAGSTER_HOME", "{home}/dagster", "path",
            "The Dagster instance: runs, schedules, event logs (dagster.yaml).", "state"),
    # --- reference data the user may replace with their own files
    Setting("universe_path", "ADRPULSE_UNIVERSE", "{repo}/dbt_project/seeds/universe.csv", "path",
            "Tickers, names, groups, exchange, currency (the marts' groups come from it).",
            "reference"),
    Setting("event_catalog_path", "ADRPULSE_EVENTS",
            "{repo}/dbt_project/seeds/event_catalog.csv", "path",
            "Catalogued events studied by the event-study marts.", "reference"),
    Setting("feeds_path", "ADRPULSE_FEEDS", "{repo}/dbt_project/seeds/news_feeds.csv", "path",
            "RSS/Atom feeds to poll.", "reference"),
    Setting("aliases_path", "ADRPULSE_ALIASES", "{repo}/dbt_project/seeds/news_aliases.csv",
            "path", "Names and aliases that tag news items with tickers.", "reference"),
    # --- prices
    Setting("price_history_start", "ADRPULSE_PRICE_HISTORY_START", "2024-01-02", "text",
            "First session fetched for a ticker new to the warehouse; first price partition.",
            "prices"),
    Setting("price_lookback_sessions", "ADRPULSE_PRICE_LOOKBACK_SESSIONS", "5", "int",
            "Sessions re-fetched on every run, so late corrections from Yahoo land.", "prices"),
    Setting("price_chunk_size", "ADRPULSE_PRICE_CHUNK_SIZE", "20", "int",
            "Tickers per Yahoo request.", "prices"),
    Setting("price_timeout_seconds", "ADRPULSE_PRICE_TIMEOUT", "20", "float",
            "Timeout of one Yahoo request, in seconds.", "prices"),
    Setting("price_max_retries", "ADRPULSE_PRICE_MAX_RETRIES", "3", "int",
            "Attempts per Yahoo request before its tickers are reported failed.", "prices"),
    # --- news
    Setting("feed_connect_timeout_seconds", "ADRPULSE_FEED_CONNECT_TIMEOUT", "5", "float",
            "Connect timeout of a feed request, in seconds.", "news"),
    Setting("feed_read_timeout_seconds", "ADRPULSE_FEED_READ_TIMEOUT", "15", "float",
            "Read timeout of a feed request, in seconds.", "news"),
    Setting("feed_total_timeout_seconds", "ADRPULSE_FEED_TOTAL_TIMEOUT", "60", "float",
            "Deadline of a whole feed fetch (DNS, connect, headers, body), in seconds.", "news"),
    Setting("feed_max_bytes", "ADRPULSE_FEED_MAX_BYTES", "5000000", "int",
            "Largest feed body accepted, in bytes.", "news"),
    # --- runs
    Setting("pool_wait_timeout_seconds", "ADRPULSE_POOL_WAIT_TIMEOUT", "600", "float",
            "Seconds a command or run waits for a pool slot held by another run (0: no limit).",
            "runs"),
    Setting("dagster_postgres_url", "ADRPULSE_DAGSTER_POSTGRES_URL", "", "postgres_url",
            "PostgreSQL for Dagster's runs, schedules and event logs, with the queued run "
            "coordinator: `postgresql+psycopg2://user:password@host:5432/db` (empty: SQLite "
            "files under DAGSTER_HOME).", "runs"),
    Setting("max_concurrent_runs", "ADRPULSE_MAX_CONCURRENT_RUNS", "4", "int",
            "Runs the queued run coordinator starts at once on PostgreSQL (warehouse writers: one "
            "at a time whatever this says).", "runs"),
    # --- dbt
    Setting("duckdb_memory_limit", "ADRPULSE_DUCKDB_MEMORY_LIMIT", "3GB", "text",
            "DuckDB memory cap of the dbt build (it spills to disk beyond it); a build that runs "
            "out names the models and a cap to set (docs/operations.md, Sizing).", "dbt"),
    # --- event study (docs/event_study.md)
    Setting("estimation_exclude_other_events", "ADRPULSE_ESTIMATION_EXCLUDE_EVENTS", "on", "bool",
            "Leave out of each event's estimation window the sessions near another catalogued "
            "event of the same ticker (on/off): its reaction would otherwise inflate the "
            "residual variance and tilt beta.", "event study"),
    Setting("estimation_exclusion_start", "ADRPULSE_ESTIMATION_EXCLUSION_START", "-5", "int",
            "First session, relative to the other event's day 0, that is left out.",
            "event study"),
    Setting("estimation_exclusion_end", "ADRPULSE_ESTIMATION_EXCLUSION_END", "5", "int",
            "Last session, relative to the other event's day 0, that is left out.",
            "event study"),
    Setting("market_model_beta", "ADRPULSE_MARKET_MODEL_BETA", "ols", "text",
            "The market model's beta: ols, scholes_williams (Scholes-Williams 1977, for thinly "
            "or non-synchronously traded stocks) or dimson (Dimson 1979).", "event study",
            choices=("ols", "scholes_williams", "dimson")),
    Setting("expected_return_model", "ADRPULSE_EXPECTED_RETURN_MODEL", "market_model", "text",
            "The expected-return model of the event study's abnormal returns, CARs and tests: "
            "market_model (alpha + beta r_m), constant_mean (the estimation window's mean "
            "return), ff3 (Fama-French 3 factors) or ff5 (5 factors), the factor models fitted "
            "on the factors imported with `adrpulse import-factors`; the marts name it in "
            "expected_return_model.", "event study",
            choices=("market_model", "constant_mean", "ff3", "ff5")),
    Setting("dimson_lags", "ADRPULSE_DIMSON_LAGS", "1", "int",
            "Lags and leads of the benchmark return in the Dimson beta (each side).",
            "event study"),
    # --- dual listings (docs/dual_listings.md)
    Setting("hk_benchmark", "ADRPULSE_HK_BENCHMARK", "2800.HK", "ticker",
            "The Hong Kong benchmark (a Yahoo ticker) the home lines' returns are measured "
            "against; fetched with the home lines and HKD=X.", "dual listings"),
    Setting("premium_jump_threshold", "ADRPULSE_PREMIUM_JUMP_THRESHOLD", "0.1", "float",
            "The premium check warns when an ADR's premium to its home line moves by more than "
            "this (0.1: ten percentage points) from one session to the next (a ratio change or a "
            "bad FX bar).", "dual listings"),
    # --- alerts (docs/alerts.md)
    Setting("alert_sar_threshold", "ADRPULSE_ALERT_SAR_THRESHOLD", "2.58", "float",
            "An abnormal move on the latest session alerts when its absolute standardised "
            "abnormal return is at least this (2.58: two-sided 1% under a normal).", "alerts"),
    Setting("alert_webhook_url", "ADRPULSE_ALERT_WEBHOOK", "", "text",
            "URL each new alert is POSTed to once as JSON (Slack-compatible); empty: no delivery.",
            "alerts"),
    Setting("alert_webhook_timeout_seconds", "ADRPULSE_ALERT_WEBHOOK_TIMEOUT", "5", "float",
            "Seconds one webhook POST may take (3 attempts per alert and run at most).",
            "alerts"),
    # --- performance and risk (docs/performance.md)
    Setting("risk_free_rate", "ADRPULSE_RISK_FREE_RATE", "0", "float",
            "Annual risk-free rate of the Sharpe and Sortino ratios and alpha, as a fraction "
            "(0.04 is 4%); each session's is (1 + rate)^(1/252) - 1.", "performance"),
)

_BY_FIELD = {s.field: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Where state lives and how the pipeline behaves. Build with `Settings.from_env()`."""

    home: Path
    warehouse_path: Path
    dagster_home: Path
    universe_path: Path
    event_catalog_path: Path
    feeds_path: Path
    aliases_path: Path
    price_history_start: str
    price_lookback_sessions: int
    price_chunk_size: int
    price_timeout_seconds: float
    price_max_retries: int
    feed_connect_timeout_seconds: float
    feed_read_timeout_seconds: float
    feed_total_timeout_seconds: float
    feed_max_bytes: int
    pool_wait_timeout_seconds: float
    dagster_postgres_url: str = field(repr=False)  # may hold a password
    max_concurrent_runs: int
    duckdb_memory_limit: str
    estimation_exclude_other_events: bool
    estimation_exclusion_start: int
    estimation_exclusion_end: int
    market_model_beta: str
    expected_return_model: str
    dimson_lags: int
    hk_benchmark: str
    premium_jump_threshold: float
    alert_sar_threshold: float
    alert_webhook_url: str
    alert_webhook_timeout_seconds: float
    risk_free_rate: float

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Each setting from its variable when set (and not empty), else its default."""
        env = os.environ if environ is None else environ
        context = {"repo": str(REPO_ROOT)}
        values: dict[str, Any] = {}
        for setting in SETTINGS:  # home comes first: later defaults refer to it
            raw = env.get(setting.env) or setting.default.format(**context)
            values[setting.field] = setting.parse(raw)
            if setting.field == "home":
                context["home"] = str(values["home"])
        return cls(**values)

    def describe(self, environ: Mapping[str, str] | None = None) -> list[tuple[Setting, Any, str]]:
        """(setting, value, "environment" or "default") for every setting, in order."""
        env = os.environ if environ is None else environ
        return [
            (s, getattr(self, s.field), "environment" if env.get(s.env) else "default")
            for s in SETTINGS
        ]

    # --- the state folder -------------------------------------------------------------------
    @property
    def archive_dir(self) -> Path:
        """Raw archive: every fetch and import, as received, before it is loaded."""
        return self.home / "archive"

    @property
    def published_dir(self) -> Path:
        """What SQL readers open: marts as Parquet plus a small catalog database."""
        return self.home / "published"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's per-run artifacts (kept out of the repository)."""
        return self.home / "dbt"

    @property
    def spark_dir(self) -> Path:
        """The dbt `spark` target's files (`adrpulse build --target spark`): raw/ (the raw tables
        as Parquet), warehouse/ (the built tables as Parquet) and metastore/ (Spark's catalog)."""
        return self.home / "spark"

    def spark_dbt_vars(self) -> dict[str, Any]:
        """dbt_vars plus what the profile's `spark` target reads: its folders, all under
        spark_dir, so the Spark build never writes outside ADRPULSE_HOME."""
        return {
            **self.dbt_vars(),
            "adrpulse_spark_warehouse_dir": str(self.spark_dir / "warehouse"),
            "adrpulse_spark_metastore_dir": str(self.spark_dir / "metastore"),
            "adrpulse_spark_raw_dir": str(self.spark_dir / "raw"),
        }

    def state_dirs(self) -> tuple[Path, ...]:
        return (
            self.home,
            self.archive_dir,
            self.published_dir,
            self.dagster_home,
            self.reports_dir,
            self.dbt_target_dir,
        )

    def dbt_vars(self) -> dict[str, Any]:
        """The vars the dbt profile and models read (dbt_project/profiles.yml, fct_alerts):
        passed with --vars, so each (the warehouse path, the memory cap, the estimation-window
        exclusion and beta, the alert threshold, the risk-free rate) has no second default in the
        dbt project."""
        return {
            "adrpulse_warehouse": str(self.warehouse_path),
            "adrpulse_duckdb_memory_limit": self.duckdb_memory_limit,
            "estimation_exclude_other_events": self.estimation_exclude_other_events,
            "estimation_exclusion_start": self.estimation_exclusion_start,
            "estimation_exclusion_end": self.estimation_exclusion_end,
            "market_model_beta": self.market_model_beta,
            "expected_return_model": self.expected_return_model,
            "dimson_lags": self.dimson_lags,
            "alert_sar_threshold": self.alert_sar_threshold,
            "risk_free_rate": self.risk_free_rate,
            "hk_benchmark_ticker": self.hk_benchmark,
            "premium_jump_threshold": self.premium_jump_threshold,
        }


README_TABLE_BEGIN = "<!-- settings table: generated by `adrpulse settings --markdown` -->"
README_TABLE_END = "<!-- end of settings table -->"


def settings_table_markdown() -> str:
    """The README's settings table, generated from the declaration (tests compare the two)."""
    lines = ["| variable | default | what it sets |", "| --- | --- | --- |"]
    for s in SETTINGS:
        default = s.default.replace("{repo}/", "").replace("{home}", "$ADRPULSE_HOME")
        shown = f"`{default}`" if default else "(empty)"
        lines.append(f"| `{s.env}` | {shown} | {s.doc} |")
    return "\n".join(lines)


def setting(field_name: str) -> Setting:
    return _BY_FIELD[field_name]


# The defaults alone (no environment read): what pure functions use as their parameter defaults,
# so that a default is written once, in SETTINGS, even there.
DEFAULTS = Settings.from_env({})
