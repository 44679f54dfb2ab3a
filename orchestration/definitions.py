"""The Dagster code location of ADR Pulse: `defs` is loaded by `dagster dev`, the UI and the CLI.

Importing this module does nothing but define functions: the definitions are built when Dagster
(or a command) calls `defs()`, from the one declaration of settings (assets/settings.py). The
state folder and the dbt manifest are prepared by the commands (orchestration/prepare.py) and
`make setup`; under `dagster dev` the manifest is refreshed here, as dagster-dbt's
`prepare_if_dev()` would.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import dagster as dg

from assets.settings import Settings


@lru_cache(maxsize=4)
def build_definitions(settings: Settings) -> dg.Definitions:
    """Every asset, check, job, schedule and resource, for these settings."""
    from dagster_dbt.dbt_project import using_dagster_dev

    from assets.alert_log import ALERT_LOG, alert_log
    from assets.build_gate import GATE_CHECKS
    from assets.dbt_models import build_dbt_assets, mart_asset_keys
    from assets.dbt_project import dbt_project, prepare_dbt_manifest
    from assets.news_checks import NEWS_CHECKS
    from assets.news_sentiment import news_sentiment
    from assets.partitions import price_sessions
    from assets.price_checks import PRICE_CHECKS
    from assets.publish import build_published_marts
    from assets.raw_analysts import raw_analysts
    from assets.raw_factors import raw_daily_factors
    from assets.raw_news import raw_news
    from assets.raw_prices import build_raw_prices
    from assets.raw_reference import raw_reference_files
    from assets.report import adrpulse_report
    from assets.resources import build_resources
    from assets.sources import SOURCE_SPECS
    from orchestration import pool_guard
    from orchestration.freshness import with_session_freshness
    from orchestration.jobs import ALL_JOBS
    from orchestration.run_logging import console_logger
    from orchestration.schedules import ALL_SCHEDULES

    if using_dagster_dev():
        prepare_dbt_manifest(settings)
    # Runs of this code location (CLI, UI, daemon) wait for a pool slot without spinning, honour
    # SIGINT/SIGTERM and the wait timeout, and free the slots of dead runs (pool_guard.py).
    pool_guard.install()
    dbt_models = build_dbt_assets(dbt_project())
    with warnings.catch_warnings():
        # map_resolved_asset_specs is marked preview in Dagster 1.13; it is the one call that
        # applies a policy to every asset, dbt models included.
        warnings.simplefilter("ignore", category=dg.PreviewWarning)
        return dg.Definitions(
            assets=[
                *SOURCE_SPECS,
                build_raw_prices(price_sessions(settings.price_history_start)),
                raw_news,
                raw_analysts,
                raw_daily_factors,
                news_sentiment,
                raw_reference_files,
                dbt_models,
                alert_log,
                build_published_marts([*mart_asset_keys(dbt_models), ALERT_LOG]),
                adrpulse_report,
            ],
            asset_checks=[*NEWS_CHECKS, *PRICE_CHECKS, *GATE_CHECKS],
            jobs=ALL_JOBS,
            schedules=ALL_SCHEDULES,
            resources=build_resources(settings),
            # Every job's console logger: INFO, plain lines, one stack trace at most. Runs that
            # name it in their run config use it (the CLI's); runs the daemon or the UI launch
            # get Dagster's own, at the level dagster.yaml sets (INFO, orchestration/prepare.py).
            loggers={"console": console_logger},
            # Every job runs its steps in one process: they share the warehouse file, which only
            # one process may write, and a step process costs seconds to start on a small machine.
            executor=dg.in_process_executor,
        ).map_resolved_asset_specs(func=with_session_freshness)


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(Settings.from_env())
