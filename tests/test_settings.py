"""Every setting is declared once (assets/settings.py): its variable overrides its default, the
resources and dbt read that declaration, and the README's table is generated from it."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from assets.resources import build_resources
from assets.settings import (
    README_TABLE_BEGIN,
    README_TABLE_END,
    REPO_ROOT,
    SETTINGS,
    SettingError,
    Settings,
    settings_table_markdown,
)

# A value for each kind of setting that differs from every default.
SAMPLE_VALUES = {
    "path": "/tmp/adrpulse-settings-test/x",
    "int": "17",
    "float": "2.5",
    "bool": "off",
    "postgres_url": "postgresql+psycopg2://u@127.0.0.1:5432/d",
}


def test_the_declaration_and_the_settings_fields_are_the_same_list() -> None:
    assert [s.field for s in SETTINGS] == [f.name for f in fields(Settings)]
    envs = [s.env for s in SETTINGS]
    assert len(envs) == len(set(envs)), "a variable is declared twice"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_each_variable_overrides_its_default(setting) -> None:
    raw = SAMPLE_VALUES.get(setting.kind, "2030-01-02" if "START" in setting.env else "7GB")
    if setting.choices:
        raw = setting.choices[-1]
    default = getattr(Settings.from_env({}), setting.field)
    value = getattr(Settings.from_env({setting.env: raw}), setting.field)
    assert value != default
    assert str(value) == str(setting.parse(raw))


def test_defaults_inside_the_home_follow_the_home(tmp_path: Path) -> None:
    settings = Settings.from_env({"ADRPULSE_HOME": str(tmp_path)})
    assert settings.warehouse_path == tmp_path / "warehouse.duckdb"
    assert settings.dagster_home == tmp_path / "dagster"
    assert Settings.from_env({}).home == REPO_ROOT / ".adrpulse"


def test_a_bad_value_names_the_variable() -> None:
    with pytest.raises(SettingError, match="ADRPULSE_PRICE_CHUNK_SIZE='many'"):
        Settings.from_env({"ADRPULSE_PRICE_CHUNK_SIZE": "many"})


def test_a_switch_reads_on_and_off_and_names_a_bad_value() -> None:
    assert Settings.from_env({"ADRPULSE_ESTIMATION_EXCLUDE_EVENTS": "OFF"}) \
        .estimation_exclude_other_events is False
    assert Settings.from_env({}).estimation_exclude_other_events is True
    switch = next(s for s in SETTINGS if s.env == "ADRPULSE_ESTIMATION_EXCLUDE_EVENTS")
    assert (switch.shown(True), switch.shown(False)) == ("on", "off")
    with pytest.raises(SettingError, match="ADRPULSE_ESTIMATION_EXCLUDE_EVENTS='maybe' is not on"):
        Settings.from_env({"ADRPULSE_ESTIMATION_EXCLUDE_EVENTS": "maybe"})


def test_a_setting_with_choices_names_them() -> None:
    assert Settings.from_env({"ADRPULSE_MARKET_MODEL_BETA": "Dimson"}).market_model_beta == "dimson"
    with pytest.raises(SettingError, match="ADRPULSE_MARKET_MODEL_BETA='garch' is not one of ols, "
                                           "scholes_williams, dimson"):
        Settings.from_env({"ADRPULSE_MARKET_MODEL_BETA": "garch"})


def test_the_resources_carry_the_settings_values(tmp_path: Path) -> None:
    env = {
        "ADRPULSE_HOME": str(tmp_path),
        "ADRPULSE_PRICE_CHUNK_SIZE": "3",
        "ADRPULSE_PRICE_LOOKBACK_SESSIONS": "9",
        "ADRPULSE_FEED_TOTAL_TIMEOUT": "7.5",
        "ADRPULSE_FEED_MAX_BYTES": "1234",
        "ADRPULSE_DUCKDB_MEMORY_LIMIT": "1GB",
        "ADRPULSE_EVENTS": str(tmp_path / "events.csv"),
        "ADRPULSE_ALERT_SAR_THRESHOLD": "3.5",
        "ADRPULSE_ALERT_WEBHOOK": "http://127.0.0.1:9/hook",
        "ADRPULSE_RISK_FREE_RATE": "0.04",
        "ADRPULSE_HK_BENCHMARK": "^hsi",
        "ADRPULSE_PREMIUM_JUMP_THRESHOLD": "0.25",
        "ADRPULSE_EXPECTED_RETURN_MODEL": "ff5",
    }
    resources = build_resources(Settings.from_env(env))
    assert resources["yahoo"].chunk_size == 3
    assert resources["yahoo"].lookback_sessions == 9
    assert resources["feeds"].total_timeout_seconds == 7.5
    assert resources["feeds"].max_bytes == 1234
    assert resources["warehouse"].path == str(tmp_path / "warehouse.duckdb")
    assert resources["state"].event_catalog_path == str(tmp_path / "events.csv")
    assert resources["dbt"].dbt_vars() == {
        "adrpulse_warehouse": str(tmp_path / "warehouse.duckdb"),
        "adrpulse_duckdb_memory_limit": "1GB",
        "estimation_exclude_other_events": True,
        "estimation_exclusion_start": -5,
        "estimation_exclusion_end": 5,
        "market_model_beta": "ols",
        "expected_return_model": "ff5",
        "dimson_lags": 1,
        "alert_sar_threshold": 3.5,
        "risk_free_rate": 0.04,
        "hk_benchmark_ticker": "^HSI",
        "premium_jump_threshold": 0.25,
    }
    assert resources["state"].hk_benchmark == "^HSI"  # one spelling, as the dbt var has it
    assert resources["alert_webhook"].url == "http://127.0.0.1:9/hook"


def test_the_dbt_profile_has_no_default_of_its_own() -> None:
    profile = (REPO_ROOT / "dbt_project" / "profiles.yml").read_text()
    assert "env_var(" not in profile
    assert "var('adrpulse_warehouse')" in profile
    assert "var('adrpulse_duckdb_memory_limit')" in profile


def test_the_readme_table_is_generated_from_the_declaration() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    start = readme.index(README_TABLE_BEGIN) + len(README_TABLE_BEGIN)
    end = readme.index(README_TABLE_END)
    assert readme[start:end].strip() == settings_table_markdown(), (
        "README.md's settings table is stale: paste `adrpulse settings --markdown` between the "
        "markers"
    )
